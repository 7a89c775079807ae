package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

func TestAuditHasMatchesEventOutcomeWhomAndReason(t *testing.T) {
	log := `{"event":"resource_access","outcome":"denied","client_id":"c-1","user":"client:c-1","reason":"acl: not allowed"}
{"event":"admin_change","outcome":"ok","operation":"POST /admin/clients"}
{"event":"login","outcome":"ok","client_id":"ropc","user":"suite-carol-x"}
`
	p := &profile.Profile{Timeouts: profile.Timeouts{Request: 100 * time.Millisecond}}
	w := newWorld(&Env{Profile: p, AuditLog: func() []byte { return []byte(log) }})
	w.admin.clientID = "c-1"
	w.admin.users = map[string]profile.User{"carol": {Username: "suite-carol-x"}}
	ctx := context.Background()
	for _, ok := range [][4]string{
		{"resource_access", "denied", "the registered client", "acl"},
		{"resource_access", "denied", "the registered client", ""},
		{"admin_change", "ok", `"POST /admin/clients"`, ""},
		{"login", "ok", `the user "carol"`, ""},
	} {
		if err := w.auditHas(ctx, ok[0], ok[1], ok[2], ok[3]); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][4]string{
		{"resource_access", "denied", "the registered client", "scope"},
		{"resource_access", "allowed", "the registered client", ""},
		{"admin_change", "ok", `"POST /admin/users"`, ""},
		{"login", "failed", `the user "carol"`, ""},
	} {
		err := w.auditHas(ctx, bad[0], bad[1], bad[2], bad[3])
		if err == nil || !strings.Contains(err.Error(), "found none") {
			t.Errorf("%v: expected no match, got %v", bad, err)
		}
	}
	if err := newWorld(&Env{Profile: p}).auditHas(ctx, "login", "ok", `"x"`, ""); err == nil {
		t.Error("a target without an audit log passed")
	}
}
