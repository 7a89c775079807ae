package launch

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/pgcluster"
)

// Two servers over one database (two replicas), a SQLite file and PostgreSQL: guesses of one client's secret spread over
// both reach the per-account limit (20 failures from one source) together, and then both
// refuse even the right secret, unchecked. With counts per process, each would have admitted
// 20 (40 in all).
func TestThrottleCountsAcrossTwoServers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { throttleAcrossTwoServers(t, filepath.Join(t.TempDir(), "shared.db")) })
	t.Run("postgres", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		c, err := pgcluster.Start(ctx)
		cancel()
		if err != nil {
			t.Fatalf("the PostgreSQL case needs a cluster (make setup installs PostgreSQL): %v", err)
		}
		defer c.Stop()
		throttleAcrossTwoServers(t, c.URL)
	})
}

func throttleAcrossTwoServers(t *testing.T, path string) {
	ctx := context.Background()
	seed := []byte(`clients:
  - {id: guessed, name: Guessed, secret: "guessed-secret-0123456789", auth_method: client_secret_basic, grants: [client_credentials]}
`)
	// A minute's first delay: the last request must meet the throttle however slow the machine.
	cfg := refserver.Config{}
	cfg.Throttle.BaseDelay = time.Minute
	var servers [2]*Server
	for i := range servers {
		d := DBOptions{Path: path}
		if i == 0 {
			d.Seed = seed
		}
		srv, err := Start(ctx, d, Options{Config: cfg})
		if err != nil {
			t.Fatalf("server #%d: %v", i+1, err)
		}
		defer srv.Close()
		servers[i] = srv
	}
	token := func(srv *Server, secret string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.Issuer+refserver.PathToken,
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("guessed", secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := 0; i < 20; i++ {
		srv := servers[i%2]
		if res := token(srv, "wrong"); res.StatusCode != http.StatusUnauthorized || res.Header.Get("Retry-After") != "" {
			t.Fatalf("wrong secret %d (server #%d): expected a plain 401, got %d Retry-After %q",
				i+1, i%2+1, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	for i, srv := range servers {
		if res := token(srv, "guessed-secret-0123456789"); res.StatusCode != http.StatusUnauthorized || res.Header.Get("Retry-After") == "" {
			t.Errorf("the right secret at server #%d after 10 wrong ones at each: expected a throttled 401, got %d Retry-After %q",
				i+1, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
}
