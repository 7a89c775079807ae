package store

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Issue 10 item 6: the database and its -wal and -shm files are created 0600 (they hold
// password and secret hashes), whatever the umask.
func TestDatabaseFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	path := filepath.Join(t.TempDir(), "oauth.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// A write makes sure the WAL and the shared-memory file exist.
	if err := st.PutFact(context.Background(), "probe", "x"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), m)
		}
	}
}
