package main

// runCmd is the conformance run; owned by the harness work.
func runCmd(args []string) int { return exitUsage }
