package store

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// ThrottleCounter is a throttle.Counter kept in the database (table throttle_counts), so that
// every process serving from one database counts every guess: N replicas behind one address
// give an attacker the budget of one server, not N times it (RFC 6749 2.3.1, 4.3.2: "MUST
// protect the endpoint against brute force attacks"). It applies throttle.Rules, as the
// in-process Memory does, over the rows of the names an operation touches, in one write
// transaction: on SQLite BEGIN IMMEDIATE holds the database's write lock (across processes)
// from the first read to the commit; on PostgreSQL the rows are created if missing and
// locked (SELECT ... FOR UPDATE) in name order, so concurrent reservations of one key queue
// on its row and never deadlock.
//
// What a failure of the database does (locked by another process past its busy timeout,
// unreachable): the operation is counted in this process instead (a throttle.Memory with the
// same rules), and logged. Guessing stays throttled, per process as before counts were shared,
// and the request goes on to meet the same failure where it needs the database (answered
// temporarily_unavailable), instead of being told it made too many attempts. A reservation
// counted in memory is settled there; a pending count lost with the database expires after
// throttle.PendingTimeout.
//
// Rows that hold nothing any more (Rules.Expires passed) are deleted by a sweep at most once a
// minute, made by whichever operation comes first.
type ThrottleCounter struct {
	s     *Store
	rules throttle.Rules
	// lockRows: PostgreSQL. Its transactions do not lock the whole database as SQLite's
	// writer does, so the rows are locked one by one.
	lockRows bool
	// timeout bounds one operation (the Counter interface carries no context).
	timeout time.Duration
	log     *slog.Logger

	// goodWritten remembers the good marks this process wrote, by name: MarkGood is called on
	// every remembered credential (each client-credentials token of a known client), and a
	// mark only grows, so one written less than goodSlack ago is not written again.
	goodMu      sync.Mutex
	goodWritten map[string]time.Time
	// clearedAt remembers, by the first key's name, when this process last ran Cleared for a
	// key set: a remembered credential (every request of a known client) reads the counts at
	// most once per clearSlack, not once per request.
	clearedAt map[string]time.Time

	nextSweep atomic.Int64 // unix nanoseconds of the counter's clock

	// local counts what the database could not take (see above).
	local *throttle.Memory
}

// localMark prefixes the names of a reservation counted in local, so Settle finds it there.
const localMark = "\x01local\x00"

var _ throttle.Counter = (*ThrottleCounter)(nil)

const (
	// goodSlack: a good mark (valid throttle.Config.GoodFor, 7 days by default) is rewritten
	// at most this often per process, so a mark may end up to goodSlack earlier than Memory's.
	goodSlack = time.Hour
	// maxGoodWritten bounds goodWritten and clearedAt (each is dropped whole when full: only a
	// rewrite or a read that could have been saved is lost).
	maxGoodWritten = 10000
	// clearSlack: a holder's success clears its source's count at most this late (Memory
	// clears it at once). Its own mistakes are thus forgiven a few seconds later; an
	// outsider's count from another source is never cleared by it.
	clearSlack = 5 * time.Second
	sweepEvery = time.Minute
)

// Shareable reports whether other processes can open this database too (a file, not an
// in-memory database): what they count must then be counted in it (ThrottleCounter).
func (s *Store) Shareable() bool { return s.pg || s.rdb != s.wdb }

// ThrottleCounter returns the counter of this database with cfg's rules (the limiter's own
// config: throttle.Config.Counter = store.ThrottleCounter(cfg)).
func (s *Store) ThrottleCounter(cfg throttle.Config) *ThrottleCounter {
	return &ThrottleCounter{s: s, rules: throttle.NewRules(cfg), lockRows: s.pg, timeout: 5 * time.Second,
		log: slog.Default(), goodWritten: map[string]time.Time{}, clearedAt: map[string]time.Time{},
		local: throttle.NewMemory(cfg)}
}

const throttleColumns = `name, failures, pending, pending_at, last_failure, throttled_until, good_until`

// throttleTable is the rows of one operation: throttle.Table over them, and what changed.
type throttleTable struct {
	rows map[string]*throttle.State
	// before is each loaded row as read (absent: a row added in this operation).
	before map[string]throttle.State
}

func (t *throttleTable) Get(name string) *throttle.State { return t.rows[name] }

func (t *throttleTable) Add(_ time.Time, name string) *throttle.State {
	e := &throttle.State{}
	t.rows[name] = e
	return e
}

// changed reports the names whose State differs from what was read, Decay aside (the decay is
// computed again from the stored values by the next reader, so it need not be written).
func (c *ThrottleCounter) changed(t *throttleTable, now time.Time) []string {
	var out []string
	for name, e := range t.rows {
		b, ok := t.before[name]
		if ok {
			c.rules.Decay(&b, now)
			c.rules.Decay(e, now)
			if b == *e {
				continue
			}
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// load reads the rows of names (in ctx's transaction when it carries one).
func (c *ThrottleCounter) load(ctx context.Context, names []string, lock bool) (*throttleTable, error) {
	t := &throttleTable{rows: map[string]*throttle.State{}, before: map[string]throttle.State{}}
	if len(names) == 0 {
		return t, nil
	}
	args := make([]any, len(names))
	ph := make([]string, len(names))
	for i, n := range names {
		args[i] = []byte(n)
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	q := `SELECT ` + throttleColumns + ` FROM throttle_counts WHERE name IN (` + strings.Join(ph, ", ") + `) ORDER BY name`
	if lock {
		q += ` FOR UPDATE`
	}
	rows, err := c.s.queryRaw(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name []byte
		var e throttle.State
		var pendingAt, last, until, good int64
		if err := rows.Scan(&name, &e.Failures, &e.Pending, &pendingAt, &last, &until, &good); err != nil {
			return nil, err
		}
		e.PendingAt, e.Last, e.Until, e.Good = fromNanos(pendingAt), fromNanos(last), fromNanos(until), fromNanos(good)
		t.rows[string(name)] = &e
		t.before[string(name)] = e
	}
	return t, rows.Err()
}

// write stores the changed rows of t: an idle one is deleted, any other upserted with the
// time it expires.
func (c *ThrottleCounter) write(ctx context.Context, t *throttleTable, names []string, now time.Time) error {
	for _, name := range names {
		e := t.rows[name]
		if c.rules.Idle(e, now) {
			if _, ok := t.before[name]; ok {
				if _, err := c.s.adminExec(ctx, `DELETE FROM throttle_counts WHERE name = $1`, []byte(name)); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := c.s.adminExec(ctx, `INSERT INTO throttle_counts (`+throttleColumns+`, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (name) DO UPDATE SET failures = excluded.failures, pending = excluded.pending,
				pending_at = excluded.pending_at, last_failure = excluded.last_failure,
				throttled_until = excluded.throttled_until, good_until = excluded.good_until,
				expires_at = excluded.expires_at`,
			[]byte(name), e.Failures, e.Pending, nanos(e.PendingAt), nanos(e.Last), nanos(e.Until), nanos(e.Good),
			nanos(c.rules.Expires(e))); err != nil {
			return err
		}
	}
	return nil
}

// update runs fn over the rows of names in one write transaction and stores what it changed.
func (c *ThrottleCounter) update(now time.Time, names []string, fn func(t *throttleTable)) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	err := c.s.inTx(ctx, func(ctx context.Context) error {
		if c.lockRows {
			// Rows that do not exist yet cannot be locked: create them first, in name order
			// (as the lock below), so two transactions never wait for each other in turn.
			for _, n := range names {
				if _, err := c.s.adminExec(ctx,
					`INSERT INTO throttle_counts (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, []byte(n)); err != nil {
					return err
				}
			}
		}
		t, err := c.load(ctx, names, c.lockRows)
		if err != nil {
			return err
		}
		fn(t)
		return c.write(ctx, t, c.changed(t, now), now)
	})
	c.sweep(now)
	return err
}

// names are the names an operation over keys reads: each key's and its good mark's.
func names(keys []throttle.Key) []string {
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k.Name)
		if k.UnlessGood != "" {
			out = append(out, k.UnlessGood)
		}
	}
	return out
}

// Reserve implements throttle.Counter.
func (c *ThrottleCounter) Reserve(now time.Time, keys []throttle.Key) ([]throttle.Key, *throttle.Refusal) {
	if len(keys) > 0 {
		c.forgetCleared(keys[0].Name)
	}
	var applied []throttle.Key
	var ref *throttle.Refusal
	err := c.update(now, names(keys), func(t *throttleTable) {
		applied, ref = c.rules.Reserve(t, now, keys)
	})
	if err == nil {
		return applied, ref
	}
	c.log.Error("throttle: the counts could not be read or written: this check is counted in this process only", "err", err)
	applied, ref = c.local.Reserve(now, keys)
	for i := range applied {
		applied[i].Name = localMark + applied[i].Name
	}
	return applied, ref
}

// forgetCleared drops the note that Cleared ran for a key set: this process is checking the
// key again, so the next remembered success reads the counts.
func (c *ThrottleCounter) forgetCleared(name string) {
	c.goodMu.Lock()
	delete(c.clearedAt, name)
	c.goodMu.Unlock()
}

// Settle implements throttle.Counter.
func (c *ThrottleCounter) Settle(now time.Time, keys []throttle.Key, o throttle.Outcome) {
	if len(keys) == 0 {
		return
	}
	if strings.HasPrefix(keys[0].Name, localMark) {
		local := make([]throttle.Key, len(keys))
		for i, k := range keys {
			local[i] = k
			local[i].Name = strings.TrimPrefix(k.Name, localMark)
		}
		c.local.Settle(now, local, o)
		c.forgetCleared(local[0].Name)
		return
	}
	c.forgetCleared(keys[0].Name)
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = k.Name
	}
	if err := c.update(now, ks, func(t *throttleTable) { c.rules.Settle(t, now, keys, o) }); err != nil {
		c.log.Error("throttle: a check's outcome could not be written: counted in this process only", "err", err)
		c.local.Settle(now, keys, o)
	}
}

// Cleared implements throttle.Counter. It reads first, outside a transaction: a remembered
// credential (every token request of a known client) usually finds nothing to clear, and then
// writes nothing; and it reads at most once per clearSlack for one key set.
func (c *ThrottleCounter) Cleared(now time.Time, keys []throttle.Key) {
	if len(keys) == 0 {
		return
	}
	c.local.Cleared(now, keys) // counts made while the database was away

	c.goodMu.Lock()
	last, ok := c.clearedAt[keys[0].Name]
	if !ok || now.Sub(last) >= clearSlack || now.Before(last) {
		if len(c.clearedAt) >= maxGoodWritten {
			clear(c.clearedAt)
		}
		c.clearedAt[keys[0].Name] = now
		ok = false
	}
	c.goodMu.Unlock()
	if ok {
		return
	}
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = k.Name
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	t, err := c.load(ctx, slices.Compact(slices.Sorted(slices.Values(ks))), false)
	if err == nil {
		c.rules.Cleared(t, now, keys)
		if len(c.changed(t, now)) == 0 {
			return
		}
		err = c.update(now, ks, func(t *throttleTable) { c.rules.Cleared(t, now, keys) })
	}
	if err != nil {
		c.log.Error("throttle: a remembered credential's success could not be written", "err", err)
	}
}

// MarkGood implements throttle.Counter.
func (c *ThrottleCounter) MarkGood(now time.Time, name string, until time.Time) {
	c.goodMu.Lock()
	w, ok := c.goodWritten[name]
	c.goodMu.Unlock()
	if ok && !until.After(w.Add(goodSlack)) {
		return
	}
	err := c.update(now, []string{name}, func(t *throttleTable) { c.rules.MarkGood(t, now, name, until) })
	if err != nil {
		c.log.Error("throttle: a good mark could not be written: kept in this process only", "err", err)
		c.local.MarkGood(now, name, until)
		return
	}
	c.goodMu.Lock()
	if len(c.goodWritten) >= maxGoodWritten {
		clear(c.goodWritten)
	}
	c.goodWritten[name] = until
	c.goodMu.Unlock()
}

// sweep deletes the rows that hold nothing any more, at most once per sweepEvery (of the
// counter's clock) in this process.
func (c *ThrottleCounter) sweep(now time.Time) {
	next := c.nextSweep.Load()
	if now.UnixNano() < next || !c.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).UnixNano()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	// expires_at is rewritten by every change of a row, so a row past it holds nothing (its
	// pending counts, if any, were left by a process that died and have expired too).
	if _, err := c.s.adminExec(ctx, `DELETE FROM throttle_counts WHERE expires_at < $1`, nanos(now)); err != nil {
		c.log.Error("throttle: expired counts could not be deleted", "err", err)
	}
}

// Len is the number of rows held (tests).
func (c *ThrottleCounter) Len() (int, error) {
	var n int
	if err := c.s.adminQueryRow(context.Background(), `SELECT count(*) FROM throttle_counts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count throttle rows: %w", err)
	}
	return n, nil
}
