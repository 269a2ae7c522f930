package main

import (
	"syscall"
	"time"
)

// cpu is the process's user and system CPU time so far: the machine is
// shared, so wall time says little about the cost.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
