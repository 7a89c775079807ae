//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user + system). The bench reports CPU per
// request beside the rate: on a shared, loaded machine the rate says more about the other
// processes than about the server, CPU per request much less so.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
