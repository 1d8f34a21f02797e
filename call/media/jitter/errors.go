package jitter

import "errors"

// ErrInvalidConfig is returned by New for a Config it cannot work with.
var ErrInvalidConfig = errors.New("invalid jitter buffer config")
