package main

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// storeAdminPassword makes --admin-password-file change the administrator's password for good
// (issue 16 item 6): its hash is stored in the database, where the admin console and API
// read it. Before, the new password lived only in memory, shadowing the stored one: console
// sessions signed in with the old password survived the restart, and dropping the flag
// brought the old password back.
//
// An unchanged password (the stored hash matches) is left as it is, so restarting with the
// same file keeps the administrator's sessions; a changed one is stored with store.PutAdmin,
// which ends every console session of that administrator. It returns the start-up line
// ("" when nothing changed).
func storeAdminPassword(ctx context.Context, st *store.Store, o *serveOptions) (string, error) {
	if o.AdminPasswordFile == "" {
		return "", nil
	}
	pw, err := readAdminPassword(o.AdminPasswordFile)
	if err != nil {
		return "", err
	}
	stored, err := st.AdminPasswordHash(ctx, o.AdminUser)
	switch {
	case err == nil && bcrypt.CompareHashAndPassword(stored, pw) == nil:
		return "", nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword(pw, o.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("--admin-password-file %s: %w", o.AdminPasswordFile, err)
	}
	if err := st.PutAdmin(ctx, o.AdminUser, hash); err != nil {
		return "", err
	}
	if stored == nil {
		return o.AdminUser + ", password from " + o.AdminPasswordFile + " (stored)", nil
	}
	return o.AdminUser + ", password changed from " + o.AdminPasswordFile + " (stored; its console sessions ended)", nil
}
