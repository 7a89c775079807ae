package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// tightenFileModes makes the database, its -wal and -shm files and the audit log readable by
// their owner only (0600), also when they existed before with a wider mode: they hold
// password hashes, token signatures and the names of users and clients (issue 16 item 7).
// New files are created 0600 already; SQLite gives the -wal and -shm files the database's mode.
func tightenFileModes(db, auditLog string) error {
	var paths []string
	if db != "" { // "" for a PostgreSQL database: no file of ours
		paths = []string{db, db + "-wal", db + "-shm"}
	}
	if auditLog != "" && auditLog != "-" {
		paths = append(paths, auditLog)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("checking the mode of %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&0o700|0o600); err != nil {
			return fmt.Errorf("making %s readable by its owner only (it holds password hashes and tokens' signatures): %w", p, err)
		}
	}
	return nil
}
