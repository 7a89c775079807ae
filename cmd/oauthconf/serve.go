package main

// serveCmd runs the reference server; owned by the server work.
func serveCmd(args []string) int { return exitUsage }
