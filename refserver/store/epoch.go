package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The shared change epoch (issue 15 item 4: replicas that agree).
//
// Several processes may serve over one database (`oauthconf serve` replicas sharing a SQLite
// file). Each keeps its own caches (the access-token cache, the client cache, the server's
// run-time settings), and the pre-update hook that keeps them exact sees only the writes of its
// own process. So that no replica ever answers from what another replica has already changed
// (a token revoked or rotated through A still "active" on B, a client disabled through A still
// accepted by B), every transaction that changes something a cache holds also increments one
// counter in the database, the epoch, before it commits; and every cache entry is tagged with
// the epoch read before its row was, and is served only while the epoch is still that value.
//
// Why that is exact: the increment commits atomically with the change, so once a change is
// committed (by any process) the epoch differs from every value read before it. An entry
// tagged e was read after e was read; if the epoch still reads e, no change has committed
// since, so the row is still what the database holds. Reading the epoch is one point query on
// a one-row table; a request reads it at most once (WithEpochScope), however many cached
// things it looks up.
//
// What counts as a cached thing's change (the pre-update hook decides, sharedTables): an
// update or delete of access_tokens (an insert cannot be in a cache), and any change of
// clients (the client cache also remembers unknown ids) or server_settings.

// epochFact is the server_facts row holding the epoch (an integer, as text).
const epochFact = "cache_epoch"

// sharedTables are the tables whose changes move the epoch, and whether inserts count.
var sharedTables = map[string]bool{ // table -> inserts count too
	"access_tokens":   false,
	"clients":         true,
	"server_settings": true,
}

const (
	epochGetSQL  = `SELECT CAST(value AS INTEGER) FROM server_facts WHERE name = '` + epochFact + `'`
	epochBumpSQL = `INSERT INTO server_facts (name, value, updated_at) VALUES ('` + epochFact + `', '1', ?)
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(server_facts.value AS INTEGER) + 1 AS TEXT), updated_at = excluded.updated_at`
)

// errNoEpoch: on PostgreSQL the store caches nothing another replica can change
// (postgres.go), so there is no epoch to follow; callers then read what they need.
var errNoEpoch = errors.New("store: no change epoch on PostgreSQL: nothing is cached")

// readEpoch reads the epoch from the database (0 before the first change).
func (s *Store) readEpoch(ctx context.Context) (uint64, error) {
	if s.pg {
		return 0, errNoEpoch
	}
	var v int64
	err := s.queryRow(ctx, s.q.epochGet).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read the change epoch: %w", err)
	}
	return uint64(v), nil
}

// Epoch returns the database's change epoch: it differs from every value read before a change
// to access tokens, clients or settings committed, whichever process made it. Within a
// WithEpochScope context it is read once and remembered. An error (always, on PostgreSQL)
// means: cache nothing, read the database.
func (s *Store) Epoch(ctx context.Context) (uint64, error) {
	sc, _ := ctx.Value(epochScopeKey{}).(*epochScope)
	if sc == nil || sc.store != s {
		return s.readEpoch(ctx)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.read {
		v, err := s.readEpoch(ctx)
		if err != nil {
			return 0, err
		}
		sc.v, sc.read = v, true
	}
	return sc.v, nil
}

type epochScopeKey struct{}

type epochScope struct {
	store *Store
	mu    sync.Mutex
	read  bool
	v     uint64
}

// WithEpochScope returns a context in which the epoch is read at most once, on first use: the
// server wraps each request's context with it, so one request pays one epoch read however
// many cached things it looks up. The first read happens after the request arrived, so the
// request sees every change committed before it arrived.
func (s *Store) WithEpochScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, epochScopeKey{}, &epochScope{store: s})
}

// bumpEpoch increments the epoch: in the context's transaction if there is one (the commit
// then carries the change and the increment together), else on its own.
func (s *Store) bumpEpoch(ctx context.Context, t *txState) error {
	now := time.Now().UnixNano()
	var err error
	if t != nil {
		_, err = t.tx.ExecContext(ctx, s.rebind(epochBumpSQL), now)
	} else {
		_, err = s.wdb.ExecContext(ctx, s.rebind(epochBumpSQL), now)
	}
	if err != nil {
		return fmt.Errorf("store: move the change epoch: %w", err)
	}
	return nil
}

// bumpIfUntracked moves the epoch after a write made outside any transaction the store tracks
// changed a shared table (the pre-update hook noted it): the change committed on its own, so
// the increment follows it at once, before the write returns to its caller.
func (s *Store) bumpIfUntracked(ctx context.Context) error {
	if !s.untrackedShared.Swap(false) {
		return nil
	}
	return s.bumpEpoch(context.WithoutCancel(ctx), nil)
}
