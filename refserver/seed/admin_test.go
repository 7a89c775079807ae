package seed

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestSeedAdmin(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	yml := "scopes: [{name: s}]\nadmin: {username: root, password: \"root-Secret-1\"}\n"
	if loaded, err := Load(ctx, st, []byte(yml), MinBcryptCost); err != nil || !loaded {
		t.Fatalf("Load: %v %v", loaded, err)
	}
	h, err := st.AdminPasswordHash(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword(h, []byte("root-Secret-1")) != nil || strings.Contains(string(h), "root-Secret-1") {
		t.Errorf("the administrator's password is not stored as its bcrypt hash")
	}
	if _, err := st.AdminPasswordHash(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown administrator: %v", err)
	}
}

func TestSeedAdminBadFields(t *testing.T) {
	_, err := Parse([]byte("admin: {username: \"\", password: short}\n"))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	for _, want := range []string{"admin.username", "admin.password"} {
		found := false
		for _, p := range ve.Problems {
			found = found || strings.HasPrefix(p, want)
		}
		if !found {
			t.Errorf("no problem names %s: %v", want, ve.Problems)
		}
	}
}
