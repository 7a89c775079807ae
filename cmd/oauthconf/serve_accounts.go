package main

// Safe defaults of `oauthconf serve` (issue 10): what a first start loads, and the check that
// the token secret is the one the database was used with.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/seed"
)

const (
	// defaultAdmin is the administrator a first start without a seed creates.
	defaultAdmin = "admin"
	// Installation facts (store.Fact).
	factSecretFingerprint = "token_secret_fingerprint"
	factSeededFrom        = "seeded_from"
	seededDemo            = "demo"
)

// secretFingerprint identifies the token secret without revealing it: HMAC-SHA256 under the
// secret of a fixed text. Stored in the database, it tells a start with the database's own
// secret from one whose secret file was lost, replaced or belongs to another database.
func secretFingerprint(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("oauthconf refserver token secret fingerprint v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// secretStore is what checkSecret keeps the secret's fingerprint in.
type secretStore interface {
	Fact(ctx context.Context, name string) (value string, ok bool, err error)
	PutFact(ctx context.Context, name, value string) error
	RevokeEverything(ctx context.Context) (int64, error)
}

// checkSecret returns the token secret to serve with, checked against the fingerprint the
// database keeps. A missing secret file is created only for a database that never had a
// secret; a missing or different one for a database that had one is refused unless
// --rotate-secret. Rotating revokes every code and token in the database: they were signed
// under the old secret and fail its HMAC check anyway, and revoking them means that restoring
// the old secret file later does not bring them back. Login and console sessions are signed
// with keys derived from the secret, so they end too. note describes a rotation for the
// start-up lines.
func checkSecret(ctx context.Context, st secretStore, o *serveOptions) (secret []byte, note string, err error) {
	want, known, err := st.Fact(ctx, factSecretFingerprint)
	if err != nil {
		return nil, "", err
	}
	_, statErr := os.Stat(o.SecretFile)
	missing := errors.Is(statErr, os.ErrNotExist)
	switch {
	case missing && known && !o.RotateSecret:
		return nil, "", fmt.Errorf("the token secret file %s is missing, but database %s was used with a secret: restore the file (from a backup, or point --secret-file at it), "+
			"or start once with --rotate-secret to make a new secret (every code and token issued so far is revoked, every session ends)", o.SecretFile, o.DBName)
	case missing:
		if secret, err = loadOrCreateSecret(o.SecretFile); err != nil {
			return nil, "", err
		}
	default:
		if secret, err = loadOrCreateSecret(o.SecretFile); err != nil {
			return nil, "", err
		}
		if known && secretFingerprint(secret) != want && !o.RotateSecret {
			return nil, "", fmt.Errorf("the token secret in %s is not the one database %s was used with (its fingerprint differs): point --secret-file at the right file, "+
				"or start once with --rotate-secret to adopt this secret (every code and token issued so far is revoked, every session ends)", o.SecretFile, o.DBName)
		}
		if known && secretFingerprint(secret) == want && o.RotateSecret {
			// Rotating an intact secret: replace it with a new one.
			if secret, err = replaceSecret(o.SecretFile); err != nil {
				return nil, "", err
			}
		}
	}
	fp := secretFingerprint(secret)
	if known && fp == want {
		return secret, "", nil
	}
	if known { // rotated
		n, err := st.RevokeEverything(ctx)
		if err != nil {
			return nil, "", err
		}
		note = fmt.Sprintf(" (rotated: %d codes and tokens of the old secret revoked)", n)
	}
	if err := st.PutFact(ctx, factSecretFingerprint, fp); err != nil {
		return nil, "", err
	}
	return secret, note, nil
}

// replaceSecret writes a new secret to path (a temporary file renamed over it, so a crash
// leaves the old or the new secret, never half of one).
func replaceSecret(path string) ([]byte, error) {
	tmp := path + ".new"
	_ = os.Remove(tmp)
	secret, err := loadOrCreateSecret(tmp)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("replacing secret file: %w", err)
	}
	return secret, nil
}

// firstStartStore is what firstStart seeds or gives its first administrator.
type firstStartStore interface {
	seed.Store
	PutFact(ctx context.Context, name, value string) error
	HasAdmin(ctx context.Context) (bool, error)
}

// firstStart loads what a new database starts with and describes it for the start-up lines:
// the seed (--seed FILE, or --demo's fixtures) into an empty database; with no seed, an empty
// database gets only an administrator, whose password comes from --admin-password-file or is
// generated and printed once to out. An existing database is left as it is.
func firstStart(ctx context.Context, st firstStartStore, o *serveOptions, seedYAML []byte, demo bool, out io.Writer) (string, error) {
	if seedYAML != nil {
		loaded, err := seed.Load(ctx, st, seedYAML, o.BcryptCost)
		if err != nil {
			return "", fmt.Errorf("loading seed data: %w", err)
		}
		if !loaded {
			return "", nil
		}
		if demo {
			if err := st.PutFact(ctx, factSeededFrom, seededDemo); err != nil {
				return "", err
			}
			return " (new, seeded with the demo fixtures: their passwords are public, loopback only)", nil
		}
		return " (new, seeded from " + filepath.Base(o.SeedFile) + ")", nil
	}
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return "", err
	}
	hasAdmin, err := st.HasAdmin(ctx)
	if err != nil || !empty || hasAdmin {
		return "", err
	}
	user := o.AdminUser
	if user == "" {
		user = defaultAdmin
	}
	var hash []byte
	generated := ""
	if o.AdminPasswordFile != "" {
		if hash, err = hashAdminPassword(o.AdminPasswordFile, o.BcryptCost); err != nil {
			return "", err
		}
	} else {
		var b [18]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		generated = base64.RawURLEncoding.EncodeToString(b[:])
		if hash, err = bcrypt.GenerateFromPassword([]byte(generated), o.BcryptCost); err != nil {
			return "", err
		}
	}
	if err := st.PutAdmin(ctx, user, hash); err != nil {
		return "", err
	}
	if generated != "" {
		fmt.Fprintf(out, "admin:    %s, password %s (generated: shown this once, stored only as a bcrypt hash)\n", user, generated)
	}
	return " (new: an administrator only; add clients, users and scopes in the console at /admin/ or with oauthconf admin)", nil
}
