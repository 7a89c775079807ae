package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Issue 16 item 7: existing database, -wal, -shm and audit files are made 0600 on open.
func TestServeTightensFileModes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "o.db")
	auditLog := filepath.Join(dir, "audit.log")
	for _, p := range []string{db, db + "-wal", db + "-shm", auditLog} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := tightenFileModes(db, auditLog); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm", auditLog} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), m)
		}
	}
	if err := tightenFileModes(filepath.Join(dir, "missing.db"), "-"); err != nil {
		t.Errorf("missing files: %v", err)
	}
}
