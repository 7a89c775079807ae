package seed

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Template creates the database file path and seeds it from yamlData at bcryptCost. Hashing
// the seed's secrets is the slow part of starting a reference server (seconds under the race
// detector), so tests and the self-test seed one template and give every server a CopyDB of it.
func Template(ctx context.Context, path string, yamlData []byte, bcryptCost int) error {
	st, err := store.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("seed template %s: %w", path, err)
	}
	if _, err := Load(ctx, st, yamlData, bcryptCost); err != nil {
		_ = st.Close()
		return fmt.Errorf("seed template %s: %w", path, err)
	}
	// Closing the last connection checkpoints the WAL into the main file.
	if err := st.Close(); err != nil {
		return fmt.Errorf("seed template %s: %w", path, err)
	}
	return nil
}

// CopyDB copies the closed SQLite database src, and its WAL file if one was left, to dst.
func CopyDB(src, dst string) error {
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return fmt.Errorf("copying database %s: %w", src, err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			return fmt.Errorf("copying database %s: %w", src, err)
		}
	}
	return nil
}
