package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// The demo is recognised by what it holds, not by its bytes (issue 16 item 4): a copy of the
// published fixtures with one comment added loaded the published passwords on any address.
// Any client secret, user or administrator password equal to one the repository publishes
// makes the database a demo database, which is served on loopback addresses only.

// published is one published credential: the fixtures' plain secret of an account.
type published struct {
	kind, id, secret string
}

// publishedCredentials are the fixtures' secrets and passwords.
var publishedCredentials = sync.OnceValue(func() []published {
	f, err := seed.Parse(fixtures.SeedYAML())
	if err != nil {
		panic("fixtures: the embedded seed does not parse: " + err.Error()) // a build error
	}
	var out []published
	for _, c := range f.Clients {
		if c.Secret != "" {
			out = append(out, published{"client", c.ID, c.Secret})
		}
	}
	for _, u := range f.Users {
		if u.Password != "" {
			out = append(out, published{"user", u.Username, u.Password})
		}
	}
	if f.Admin != nil && f.Admin.Password != "" {
		out = append(out, published{"administrator", f.Admin.Username, f.Admin.Password})
	}
	return out
})

// publishedSecret names the published credential secret equals, "" for none.
func publishedSecret(secret string) string {
	for _, p := range publishedCredentials() {
		if secret == p.secret {
			return "the published " + p.kind + " " + p.id + "'s"
		}
	}
	return ""
}

// publishedInSeed says which secret or password of seedYAML is a published one, "" for none
// (or when the seed does not parse: loading it reports that).
func publishedInSeed(seedYAML []byte) string {
	f, err := seed.Parse(seedYAML)
	if err != nil {
		return ""
	}
	check := func(what, secret string) string {
		if secret == "" {
			return ""
		}
		if p := publishedSecret(secret); p != "" {
			return what + " is " + p
		}
		return ""
	}
	for _, c := range f.Clients {
		if s := check("client "+c.ID+"'s secret", c.Secret); s != "" {
			return s
		}
	}
	for _, u := range f.Users {
		if s := check("user "+u.Username+"'s password", u.Password); s != "" {
			return s
		}
	}
	if f.Admin != nil {
		return check("administrator "+f.Admin.Username+"'s password", f.Admin.Password)
	}
	return ""
}

// publishedInStore says which account of st has its published secret or password, "" for
// none. It checks the accounts the fixtures name (about a dozen bcrypt comparisons), so a
// database seeded from a copy of the fixtures before this check existed is recognised too.
func publishedInStore(ctx context.Context, st *store.Store) (string, error) {
	for _, p := range publishedCredentials() {
		var hash []byte
		switch p.kind {
		case "client":
			c, err := st.GetClient(ctx, p.id)
			if err != nil {
				continue // not there (or unreadable: the server's start reports that)
			}
			if sc, ok := c.(*store.Client); ok {
				hash = sc.SecretHash
			}
		case "user":
			if u, err := st.GetUser(ctx, p.id); err == nil && u != nil {
				hash = u.PasswordHash
			}
		case "administrator":
			h, err := st.AdminPasswordHash(ctx, p.id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
			hash = h
		}
		if len(hash) > 0 && bcrypt.CompareHashAndPassword(hash, []byte(p.secret)) == nil {
			return p.kind + " " + p.id + " has its published secret", nil
		}
	}
	return "", nil
}

// publishedAdminPassword says whether the --admin-password-file holds a published password.
func publishedAdminPassword(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "" // hashAdminPassword reports it
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	if p := publishedSecret(strings.TrimRight(pw, "\r")); p != "" {
		return "--admin-password-file holds " + p + " password"
	}
	return ""
}

// checkNotDemo refuses a demo database (one holding a published credential) on an address
// that is not loopback. seededDemo is the database's record of a --demo start.
func checkNotDemo(ctx context.Context, st *store.Store, o *serveOptions, host, seededFrom string) error {
	if isLoopbackHost(host) {
		return nil
	}
	why := ""
	if seededFrom == seededDemo {
		why = "it was loaded with --demo"
	} else if why = publishedAdminPassword(o.AdminPasswordFile); why == "" {
		var err error
		if why, err = publishedInStore(ctx, st); err != nil {
			return err
		}
	}
	if why == "" {
		return nil
	}
	return fmt.Errorf("database %s holds the published test fixtures (%s; their passwords are in the repository): serve it on a loopback address only, or start from a new database with secrets of your own", o.DBName, why)
}
