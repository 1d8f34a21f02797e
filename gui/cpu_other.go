//go:build !unix

package gui

import "time"

func cpuTime() time.Duration { return 0 }
func rssBytes() int64        { return 0 }
