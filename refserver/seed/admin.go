package seed

// The administrator of the admin console and API (issue 4). Administrators are their own
// namespace: neither a resource owner nor a client, so a client secret or a user's password
// never signs in there.

import (
	"context"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// AdminEntry is the administrator. Password is the plain test password, hashed when loaded.
type AdminEntry struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// validateAdmin checks the admin entry, naming each bad field.
func (f *File) validateAdmin() []string {
	a := f.Admin
	if a == nil {
		return nil
	}
	var p []string
	switch {
	case a.Username == "":
		p = append(p, "admin.username: is required")
	case len(a.Username) > 64 || !utf8.ValidString(a.Username):
		p = append(p, "admin.username: must be 1 to 64 characters of UTF-8")
	}
	switch {
	case len(a.Password) < 8:
		p = append(p, "admin.password: must be at least 8 characters")
	case len(a.Password) > 72:
		p = append(p, "admin.password: must be at most 72 bytes (bcrypt ignores the rest)")
	}
	return p
}

// loadAdmin stores the administrator, in the seed's transaction.
func (f *File) loadAdmin(ctx context.Context, st Store, cost int) error {
	if f.Admin == nil {
		return nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(f.Admin.Password), cost)
	if err != nil {
		return fmt.Errorf("seed: admin: %w", err)
	}
	if err := st.PutAdmin(ctx, f.Admin.Username, h); err != nil {
		return fmt.Errorf("seed: admin: %w", err)
	}
	return nil
}
