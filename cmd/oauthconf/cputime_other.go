//go:build !unix

package main

import "time"

// processCPU is not measured here; the bench then prints no CPU figure.
func processCPU() time.Duration { return 0 }
