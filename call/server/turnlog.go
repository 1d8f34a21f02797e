package server

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory bridges pion/turn's loggers into slog. Its info messages are
// per packet or per request, so they go to debug.
type slogFactory struct{ log *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)                 {}
func (l pionLogger) Tracef(string, ...any)        {}
func (l pionLogger) Debug(msg string)             { l.log.Debug(msg) }
func (l pionLogger) Debugf(f string, args ...any) { l.log.Debug(fmt.Sprintf(f, args...)) }
func (l pionLogger) Info(msg string)              { l.log.Debug(msg) }
func (l pionLogger) Infof(f string, args ...any)  { l.log.Debug(fmt.Sprintf(f, args...)) }
func (l pionLogger) Warn(msg string)              { l.log.Warn(msg) }
func (l pionLogger) Warnf(f string, args ...any)  { l.log.Warn(fmt.Sprintf(f, args...)) }
func (l pionLogger) Error(msg string)             { l.log.Error(msg) }
func (l pionLogger) Errorf(f string, args ...any) { l.log.Error(fmt.Sprintf(f, args...)) }
