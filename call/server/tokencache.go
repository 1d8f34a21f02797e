package server

import (
	"crypto/sha256"
	"sync"
	"time"
)

// tokenCache remembers tokens that verified recently, so a reconnect storm
// costs a SHA-256 and a database read per sign-in instead of an argon2id
// hash. An entry is only trusted while the token's stored hash is the one
// it verified against, and the database still says whether the token is
// revoked; revocations also drop entries, to free them early. Safe for
// concurrent use.
type tokenCache struct {
	max int
	ttl time.Duration

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry // guarded by mu
}

// cacheKey is the SHA-256 of the account and the whole token: the token
// itself is never kept in memory.
type cacheKey [sha256.Size]byte

type cacheEntry struct {
	id      int64
	hash    string
	expires time.Time
}

func newTokenCache(max int, ttl time.Duration) *tokenCache {
	return &tokenCache{max: max, ttl: ttl, entries: map[cacheKey]cacheEntry{}}
}

func tokenKey(account, token string) cacheKey {
	h := sha256.New()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(token))
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// hit reports whether key verified against token id's current hash.
func (c *tokenCache) hit(key cacheKey, id int64, hash string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return false
	}
	if time.Now().After(e.expires) || e.id != id || e.hash != hash {
		delete(c.entries, key)
		return false
	}
	return true
}

func (c *tokenCache) add(key cacheKey, id int64, hash string) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evictLocked()
	}
	c.entries[key] = cacheEntry{id: id, hash: hash, expires: time.Now().Add(c.ttl)}
}

// evictLocked drops expired entries, or else one arbitrary entry: a full
// cache only costs a few extra hashes.
func (c *tokenCache) evictLocked() {
	now := time.Now()
	for k, e := range c.entries {
		if now.After(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max {
			return
		}
		delete(c.entries, k)
	}
}

// forget drops the entries of revoked tokens.
func (c *tokenCache) forget(ids map[int64]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if _, ok := ids[e.id]; ok {
			delete(c.entries, k)
		}
	}
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
