package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// Browsers send the page's origin with the handshake; other clients send
// none. A page may connect when its origin's host:port is the one the
// request was sent to, or matches an --allow-origin pattern: path.Match
// against host:port (the port is absent for a page on its scheme's default
// port), or against scheme://host:port when the pattern has "://". This is
// the check websocket.Accept makes too; making it first lets the server say
// why it refused and what would allow the page.

// originAllowed reports whether r's Origin may connect.
func (s *Server) originAllowed(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" {
		if strings.EqualFold(r.Host, u.Host) || matchOrigin(s.cfg.AllowOrigins, u) {
			return true
		}
	}
	level := s.refusedOrigins.level(origin, time.Now())
	if err != nil || u.Host == "" {
		// "null" (a file:// page, a sandboxed frame) names no host that
		// any pattern could allow.
		s.log.Log(r.Context(), level, "refused a web page: its origin names no host; serve the page over http(s)",
			"origin", origin, "remote", r.RemoteAddr)
		http.Error(w, fmt.Sprintf("origin %q names no host; serve the page over http(s)", origin), http.StatusForbidden)
		return false
	}
	hint := "--allow-origin " + u.Host
	s.log.Log(r.Context(), level, "refused a web page from another origin; serve with the flag in allow to let it connect",
		"origin", origin, "host", r.Host, "allow", hint, "remote", r.RemoteAddr)
	http.Error(w, fmt.Sprintf("origin %s is not allowed on %s", u.Host, r.Host), http.StatusForbidden)
	return false
}

// matchOrigin reports whether a pattern allows the origin u.
func matchOrigin(patterns []string, u *url.URL) bool {
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		// Patterns were checked by acceptOptions.
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}

// originLog keeps a page that retries in a loop from flooding the log: each
// origin is warned about once a minute, and logged at debug level between.
// Safe for concurrent use.
type originLog struct {
	mu     sync.Mutex
	warned map[string]time.Time // guarded by mu
}

// originLogEvery is how often one refused origin is logged as a warning.
const originLogEvery = time.Minute

func (l *originLog) level(origin string, now time.Time) slog.Level {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.warned[origin]; ok && now.Sub(at) < originLogEvery {
		return slog.LevelDebug
	}
	if l.warned == nil || len(l.warned) >= 1000 {
		l.warned = map[string]time.Time{} // many origins: start over
	}
	l.warned[origin] = now
	return slog.LevelWarn
}
