// Package pionlog bridges Pion's loggers (webrtc, ice, turn) into slog.
package pionlog

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// Factory makes Pion loggers that write to log. Pion's info messages are
// per packet or per request, so they go to debug.
type Factory struct{ Log *slog.Logger }

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	return leveled{f.Log.With("pion", scope)}
}

type leveled struct{ log *slog.Logger }

func (l leveled) Trace(string)                 {}
func (l leveled) Tracef(string, ...any)        {}
func (l leveled) Debug(msg string)             { l.log.Debug(msg) }
func (l leveled) Debugf(f string, args ...any) { l.log.Debug(fmt.Sprintf(f, args...)) }
func (l leveled) Info(msg string)              { l.log.Debug(msg) }
func (l leveled) Infof(f string, args ...any)  { l.log.Debug(fmt.Sprintf(f, args...)) }
func (l leveled) Warn(msg string)              { l.log.Warn(msg) }
func (l leveled) Warnf(f string, args ...any)  { l.log.Warn(fmt.Sprintf(f, args...)) }
func (l leveled) Error(msg string)             { l.log.Error(msg) }
func (l leveled) Errorf(f string, args ...any) { l.log.Error(fmt.Sprintf(f, args...)) }
