package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// postgresCPU returns a reader of the CPU time used so far by the PostgreSQL server listening
// on the port of dbURL (a throwaway cluster on this machine: the postmaster and its backends),
// so the bench's CPU per request counts the database's work too. It reads /proc (Linux); where
// that is not possible it says so on diag and reads 0.
func postgresCPU(dbURL string, diag io.Writer) func() time.Duration {
	none := func() time.Duration { return 0 }
	u, err := url.Parse(dbURL)
	if err != nil || u.Port() == "" {
		fmt.Fprintln(diag, "bench: the PostgreSQL URL names no port: its server's CPU is not counted")
		return none
	}
	pm := findPostmaster(u.Port())
	if pm == 0 {
		fmt.Fprintf(diag, "bench: no PostgreSQL server process on port %s found in /proc: its CPU is not counted\n", u.Port())
		return none
	}
	return func() time.Duration {
		// The postmaster's own time and its ended children's (cutime, cstime), plus its live
		// children's (the backends of open connections).
		total := procCPU(pm, true)
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == pm {
				continue
			}
			if f := procStat(pid); len(f) > 2 && f[1] == strconv.Itoa(pm) {
				total += procCPU(pid, false)
			}
		}
		return total
	}
}

// findPostmaster is the pid of the postgres process started with "-p port", 0 if none.
func findPostmaster(port string) int {
	ms, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "postgres" {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-p" && args[i+1] == port {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(m)))
				return pid
			}
		}
	}
	return 0
}

// procStat is /proc/pid/stat's fields after the command name: state, ppid, ... (field 3 on).
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procCPU is utime+stime of pid (and cutime+cstime with children), in clock ticks of 1/100 s
// (USER_HZ, 100 on Linux).
func procCPU(pid int, children bool) time.Duration {
	f := procStat(pid)
	// utime, stime, cutime, cstime are fields 14-17: indexes 11-14 after the name.
	if len(f) < 15 {
		return 0
	}
	n := 2
	if children {
		n = 4
	}
	var ticks int64
	for i := 11; i < 11+n; i++ {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
