package main

// benchCmd load-tests the reference server; owned by the server work.
func benchCmd(args []string) int { return exitUsage }
