// Package jitter is an adaptive audio jitter buffer keyed on RTP
// timestamps, built like a small NetEQ: received packets wait undecoded,
// and the playout clock pulls PCM, decoding each packet when its turn comes.
package jitter
