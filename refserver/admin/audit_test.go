package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestChangesAreReportedWithoutSecrets(t *testing.T) {
	var (
		mu      sync.Mutex
		changes []Change
	)
	e := newEnv(t, func(c *Config) {
		c.OnChange = func(_ context.Context, ch Change) {
			mu.Lock()
			defer mu.Unlock()
			changes = append(changes, ch)
		}
	})
	r := e.api("POST", "/admin/api/clients", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}})
	id, _ := r.json(t)["client_id"].(string)
	secret, _ := r.json(t)["client_secret"].(string)
	r = e.api("POST", "/admin/api/clients/"+id+"/secret", nil)
	secret2, _ := r.json(t)["client_secret"].(string)
	e.api("GET", "/admin/api/clients", nil) // a read is not a change
	e.api("POST", "/admin/api/users", map[string]any{"username": "u", "password": "short"})
	e.apiAs(testAdmin, "wrong-password", "DELETE", "/admin/api/clients/"+id, nil)
	c := e.console()
	login := c.get("/admin/login")
	c.post("/admin/login", map[string][]string{"csrf": {login.csrf(t)}, "username": {testAdmin}, "password": {"nope-nope"}})
	c.login()
	tok := c.get("/admin/clients").csrf(t)
	c.post("/admin/clients/"+id+"/disable", map[string][]string{"csrf": {tok}})

	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		via, op string
		ok      bool
		status  int
	}{
		{"api", "POST /admin/api/clients", true, http.StatusCreated},
		{"api", "POST /admin/api/clients/{id}/secret", true, http.StatusOK},
		{"api", "POST /admin/api/users", false, http.StatusBadRequest},
		{"api", "DELETE /admin/api/clients/{id}", false, http.StatusUnauthorized},
		{"console", "POST /admin/login", false, http.StatusUnauthorized},
		{"console", "POST /admin/login", true, http.StatusSeeOther},
		{"console", "POST /admin/clients/{id}/{action}", true, http.StatusSeeOther},
	}
	if len(changes) != len(want) {
		t.Fatalf("%d changes reported, want %d: %+v", len(changes), len(want), changes)
	}
	for i, w := range want {
		ch := changes[i]
		if ch.Via != w.via || ch.Operation != w.op || ch.OK != w.ok || ch.Status != w.status || ch.Admin != testAdmin || ch.Remote == "" {
			t.Errorf("change %d = %+v, want %+v", i, ch, w)
		}
		s := fmt.Sprintf("%+v", ch)
		for _, secretish := range []string{secret, secret2, testPassword, "short", "wrong-password", "nope-nope"} {
			if strings.Contains(s, secretish) {
				t.Errorf("change %d carries a secret or password: %s", i, s)
			}
		}
	}
	if changes[1].Target["id"] != id || changes[6].Target["action"] != "disable" {
		t.Errorf("targets: %v %v", changes[1].Target, changes[6].Target)
	}
}
