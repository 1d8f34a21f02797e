package loadtest

import "os"

func selfPID() int { return os.Getpid() }
