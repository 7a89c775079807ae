package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oauthconf/oauthconf/refserver/rrproxy"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// The replicas mode of the soak (issue 15 item 4): --replicas N starts N "oauthconf serve"
// processes over one database (a SQLite file in the temporary folder, or --db postgres://...),
// each on its own loopback port, all serving one issuer: the address of a round-robin proxy
// (refserver/rrproxy) that sends each request to the next replica. The workers drive the proxy;
// the killer sends SIGKILL to one replica at a time, at random moments, and restarts it, while
// the others keep serving. The checks are the crash soak's: no token a client was given is
// lost, no revocation is lost, nothing is redeemed twice, no live replica answers 5xx. A
// request whose replica was killed while holding it loses its answer (the proxy closes the
// connection, as the dead replica's was): counted, and resolved as a crash's lost answer is.

// replicaGroup is the replicas as the workers see them: serving while any replica serves.
type replicaGroup struct {
	reps []*soakServer
	// down counts the replicas killed and not yet restarted.
	down atomic.Int32
}

// isUp reports whether every replica serves: a request that fails then lost its answer for no
// kill of the soak's ("requests_failed_while_up").
func (g *replicaGroup) isUp() bool { return g.down.Load() == 0 }

// waitUp waits until at least one replica serves (the proxy skips the others).
func (g *replicaGroup) waitUp(ctx context.Context) error {
	deadline := time.NewTimer(soakDownTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, r := range g.reps {
			if r.isUp() {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errors.New("no replica came back up")
		case <-tick.C:
		}
	}
}

func soakReplicas(ctx context.Context, o *soakOptions, out io.Writer) (*soakResult, error) {
	bin, dir, cleanup, err := soakWorkDir(o, out)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer front.Close()
	issuer := "http://" + front.Addr().String()
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	dbName := filepath.Join(dir, "soak.db")
	if o.DB != "" {
		dbName = store.RedactURL(o.DB)
	}
	g := &replicaGroup{}
	var addrs []string
	defer func() {
		for _, r := range g.reps {
			r.kill()
		}
	}()
	// One after the other: the first start creates and seeds the database and the token
	// secret; the others find both. Every replica gets the same issuer and secret file.
	for i := 0; i < o.Replicas; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr := ln.Addr().String()
		ln.Close()
		srv := &soakServer{bin: bin, env: o.env, dir: dir, addr: addr, seed: o.SeedFile, db: o.DB, out: out,
			args: append([]string{"--issuer", issuer, "--secret-file", filepath.Join(dir, "soak.secret")}, o.serveArgs...),
			up:   make(chan struct{}), logs: logs}
		if err := srv.start(ctx, 4*soakDownTimeout); err != nil {
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		g.reps = append(g.reps, srv)
		addrs = append(addrs, addr)
	}
	proxy, err := rrproxy.New(addrs)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	hs := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(front) }()
	defer hs.Close()

	r := &soakRun{srv: g, base: issuer, res: soakResult{Counts: map[string]int{}}}
	fmt.Fprintf(out, "soak: %d replicas (%s) over %s behind the round-robin proxy %s, driving %.0f operations/s with %d workers for %s\n",
		o.Replicas, strings.Join(addrs, ", "), dbName, issuer, o.Rate, o.Workers, o.Duration)

	runCtx, stop := context.WithTimeout(ctx, o.Duration)
	defer stop()
	wg := r.startWorkers(runCtx, o)
	// One replica at a time is killed; the others keep serving meanwhile.
	victim := g.reps[0]
	killErr := r.killAtRandom(runCtx, stop, o,
		func() {
			victim = g.reps[mrand.IntN(len(g.reps))]
			g.down.Add(1)
			victim.kill()
		},
		func() error {
			defer g.down.Add(-1)
			return victim.start(ctx, soakDownTimeout)
		})
	wg.Wait()
	if killErr != nil {
		return nil, killErr
	}
	// The final restart of every replica: whatever was committed before it must still hold.
	g.down.Add(int32(len(g.reps)))
	for _, rep := range g.reps {
		rep.kill()
		r.count("kills", 1)
	}
	for _, rep := range g.reps {
		if err := rep.start(ctx, soakDownTimeout); err != nil {
			return nil, err
		}
		g.down.Add(-1)
		r.count("restarts", 1)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	served := proxy.Served()
	for i, n := range served {
		r.res.Counts[fmt.Sprintf("replica_%d_answered", i+1)] = int(n)
	}
	r.res.Counts["answers_lost_with_a_killed_replica"] = int(proxy.Lost())
	r.print(out)
	return &r.res, nil
}
