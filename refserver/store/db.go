package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// The migrations of each dialect live in their own folder, numbered alike (the same number is
// the same change in both).
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationsFS embed.FS

// busyTimeoutMS bounds how long a statement waits for a lock held by another process before it
// fails with SQLITE_BUSY. Inside one process writes are serialized by the single writer
// connection, so this only matters when two processes share a file.
const busyTimeoutMS = 10000

// dsnParams splits a DSN into the file part and its query, and reports whether it names an
// in-memory database.
func dsnParams(dsn string) (base string, q url.Values, memory bool, err error) {
	if strings.TrimSpace(dsn) == "" {
		return "", nil, false, errors.New("store: the database path is empty")
	}
	base, query, _ := strings.Cut(dsn, "?")
	q, err = url.ParseQuery(query)
	if err != nil {
		return "", nil, false, fmt.Errorf("store: the query part of database DSN %q is malformed: %w", dsn, err)
	}
	memory = base == ":memory:" || base == "file::memory:" || q.Get("mode") == "memory"
	return base, q, memory, nil
}

// buildDSN adds the connection settings to the user's DSN without overriding any the user set.
func buildDSN(base string, user url.Values, extra url.Values) string {
	q := url.Values{}
	for k, v := range user {
		q[k] = append([]string(nil), v...)
	}
	for k, v := range extra {
		if k == "_pragma" {
			// Pragmas the user gave win: only add ours for names they did not set.
			for _, p := range v {
				name, _, _ := strings.Cut(p, "(")
				set := false
				for _, up := range user["_pragma"] {
					if strings.HasPrefix(strings.ToLower(strings.TrimSpace(up)), strings.ToLower(name)) {
						set = true
					}
				}
				if !set {
					q.Add("_pragma", p)
				}
			}
			continue
		}
		if _, ok := q[k]; !ok {
			q[k] = v
		}
	}
	return base + "?" + q.Encode()
}

// openDBs opens the writer (one connection, BEGIN IMMEDIATE) and the reader pool.
//
// SQLite allows one writer at a time. With one writer connection every write in this process
// queues in database/sql instead of failing with SQLITE_BUSY, and BEGIN IMMEDIATE takes the
// write lock when a transaction starts, so a transaction never fails half-way on a lock upgrade.
// WAL lets the readers run in parallel with the writer.
func openDBs(ctx context.Context, dsn string, onRowChange sqlite.PreUpdateHookFn, statements *atomic.Int64) (w, r *sql.DB, err error) {
	base, q, memory, err := dsnParams(dsn)
	if err != nil {
		return nil, nil, err
	}
	if !memory {
		if err := createPrivate(base); err != nil {
			return nil, nil, err
		}
	}
	busy := "busy_timeout(" + strconv.Itoa(busyTimeoutMS) + ")"
	// synchronous=NORMAL in WAL mode: a commit is durable against a crash of the process (kill
	// -9 loses nothing), and only the last commits can be lost on power failure; the fsync per
	// commit of FULL would cap writes at the disk's flush rate (BenchmarkCreateAccessToken on
	// the 2-core development machine: FULL issued ~25% fewer tokens/s than NORMAL with ~70%
	// more CPU per token when idle, 1,900 against 8,100 tokens/s under load). Losing an
	// issued token to a power cut fails closed (the client holds a token the server forgot).
	// Losing a revocation fails open (a revoked token, a used refresh token or code, a disabled
	// user's grants, an ended session would work again), so every transaction that revokes,
	// rotates or ends something is made durable before it returns, as FULL would: Commit
	// fsyncs the WAL after it (durableTables, syncWAL). journal_size_limit truncates the WAL
	// after a checkpoint, so a long write burst does not leave a large file behind.
	wextra := url.Values{
		"_txlock": {"immediate"},
		"_pragma": {busy, "foreign_keys(1)", "synchronous(NORMAL)", "journal_size_limit(67108864)", "cache_size(-8000)"},
	}
	if !memory {
		wextra["_pragma"] = append(wextra["_pragma"], "journal_mode(WAL)")
	}
	wc, err := sqlite.NewConnector(buildDSN(base, q, wextra))
	if err != nil {
		return nil, nil, fmt.Errorf("store: open %s: %w", base, err)
	}
	w = sql.OpenDB(hookedConnector{Connector: wc, onRowChange: onRowChange, statements: statements})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingUntilFree(ctx, w); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("store: open %s: %w", base, err)
	}
	if memory {
		// Every connection to ":memory:" is its own database: all access shares the writer.
		return w, w, nil
	}
	rc, err := sqlite.NewConnector(buildDSN(base, q, url.Values{
		"_pragma": {busy, "query_only(1)", "cache_size(-8000)"},
	}))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("store: open %s: %w", base, err)
	}
	r = sql.OpenDB(countingConnector{Connector: rc, n: statements})
	n := 2 * runtime.GOMAXPROCS(0)
	if n < 4 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := pingUntilFree(ctx, r); err != nil {
		w.Close()
		r.Close()
		return nil, nil, fmt.Errorf("store: open %s: %w", base, err)
	}
	return w, r, nil
}

// pingUntilFree opens db's first connection, retrying while the file is busy. A connection's
// first statements set its pragmas, and journal_mode=WAL needs the file to itself: while another
// process (or another store of this one) opens or migrates a new file, SQLite can answer
// SQLITE_BUSY at once instead of through the busy handler, so replicas started together failed
// to open one file now and then. The retries stop where the busy handler would, after
// busyTimeoutMS, or when ctx ends; any other error ends them at once.
func pingUntilFree(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil || !IsBusy(mapErr(err)) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// createPrivate creates the database file, empty and mode 0600, when it does not exist yet:
// it holds password and secret hashes and every token's metadata, so only its owner may read
// it. SQLite creates the -wal and -shm files with the database file's permissions, so they
// are 0600 too. A "file:" URI is left to SQLite (and the umask).
func createPrivate(base string) error {
	if strings.HasPrefix(base, "file:") || base == "" {
		return nil
	}
	f, err := os.OpenFile(base, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create %s: %w", base, err)
	}
	return f.Close()
}

// hookedConnector opens writer connections with the pre-update hook installed (the access
// token cache follows every row change through it, see accessTokenCache).
type hookedConnector struct {
	driver.Connector
	onRowChange sqlite.PreUpdateHookFn
	statements  *atomic.Int64 // counted (countingConn)
}

func (h hookedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := h.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	hr, ok := c.(sqlite.HookRegisterer)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("store: the SQLite driver's connection (%T) takes no pre-update hook", c)
	}
	if h.onRowChange != nil {
		hr.RegisterPreUpdateHook(h.onRowChange)
	}
	return newCountingConn(c, h.statements), nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q must be named NNNN_description.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q share version %d", prev, name, v)
		}
		seen[v] = name
		body, err := migrationsFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the embedded migrations of the dialect not yet recorded in
// schema_migrations, all in one transaction: a failed migration leaves the database as it was.
// On PostgreSQL the transaction first takes an advisory lock, so that replicas starting at
// once migrate one after the other: the first applies, the others find nothing left to do.
func migrate(ctx context.Context, db *sql.DB, pg bool) error {
	dialect := "sqlite"
	if pg {
		dialect = "postgres"
	}
	ms, err := loadMigrations(dialect)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", mapErr(err))
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.FormatInt(migrationLockKey, 10)+`)`); err != nil {
			return fmt.Errorf("store: migrate: %w", mapErr(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	maxApplied := 0
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = true
		maxApplied = max(maxApplied, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if len(ms) > 0 && maxApplied > ms[len(ms)-1].version {
		return fmt.Errorf("store: the database schema is at version %d, newer than this program knows (%d): use a newer oauthconf",
			maxApplied, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		insert := `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
		if pg {
			insert = rebindPG(insert)
		}
		if _, err := tx.ExecContext(ctx, insert,
			m.version, m.name, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return mapErr(tx.Commit())
}

// stmt is one statement prepared on the writer and, for reads, on the reader pool.
type stmt struct {
	sql string
	w   *sql.Stmt
	r   *sql.Stmt
	// changesAccessTokens: the statement updates or deletes access_tokens rows, so it always
	// runs in a transaction (the access-token cache waits for its commit, see exec).
	changesAccessTokens bool
	// durable: the statement revokes (updates or deletes rows of durableTables), so it always
	// runs in a transaction, whose commit syncs the WAL.
	durable bool
}

func (s *Store) prepare(ctx context.Context, query string, read bool) (*stmt, error) {
	query = s.rebind(query)
	st := &stmt{sql: query}
	var err error
	if st.w, err = s.wdb.PrepareContext(ctx, query); err != nil {
		return nil, fmt.Errorf("store: prepare %q: %w", query, err)
	}
	if read {
		if s.rdb == s.wdb {
			st.r = st.w
		} else if st.r, err = s.rdb.PrepareContext(ctx, query); err != nil {
			return nil, fmt.Errorf("store: prepare %q: %w", query, err)
		}
	}
	s.stmts = append(s.stmts, st)
	return st, nil
}

// txKey is the context key under which BeginTX stores the transaction.
type txKey struct{}

// txState is one open transaction (or a savepoint inside one, when BeginTX is nested).
type txState struct {
	tx        *sql.Tx
	savepoint string // non-empty for a nested BeginTX
	parent    *txState
	// clientsChanged makes Commit and Rollback drop the client cache: a change made inside the
	// transaction must not be served from (or hidden by) the cache.
	clientsChanged atomic.Bool
	// durable: the transaction updated or deleted rows whose loss on power failure would fail
	// open (durableTables); Commit fsyncs the WAL after it (set by the pre-update hook, on the
	// root).
	durable atomic.Bool
	// tokensChanged: the transaction updated or deleted access_tokens rows (set by the
	// pre-update hook, on the root); its end closes the access-token cache's invalidation.
	tokensChanged atomic.Bool
	// sharedChanged: the transaction changed what other processes' caches may hold
	// (sharedTables; set by the pre-update hook, on the root); Commit moves the shared epoch
	// in it (epoch.go).
	sharedChanged atomic.Bool
	done          atomic.Bool
}

func (t *txState) root() *txState {
	for t.parent != nil {
		t = t.parent
	}
	return t
}

func txFrom(ctx context.Context) *txState {
	t, _ := ctx.Value(txKey{}).(*txState)
	return t
}

// BeginTX implements storage.Transactional. The transaction travels in the returned context;
// every store method called with that context runs inside it. A BeginTX on a context that
// already carries a transaction opens a savepoint, so nesting never waits for the (single)
// writer connection that the outer transaction holds.
//
// While a transaction is open, the writer connection is taken: a write made with a context
// that does not carry the transaction waits until it ends, so do not mix contexts.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if parent := txFrom(ctx); parent != nil && !parent.done.Load() {
		name := "sp" + strconv.FormatUint(s.savepoints.Add(1), 10)
		if _, err := parent.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
			return ctx, fmt.Errorf("store: begin nested transaction: %w", mapErr(err))
		}
		return context.WithValue(ctx, txKey{}, &txState{tx: parent.tx, savepoint: name, parent: parent}), nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return ctx, fmt.Errorf("store: begin transaction: %w", mapErr(err))
	}
	t := &txState{tx: tx}
	// The transaction holds the single writer connection from here until it ends, so every
	// row change the pre-update hook reports meanwhile is this transaction's.
	s.writerTx.Store(t)
	return context.WithValue(ctx, txKey{}, t), nil
}

// endTx is called when a root transaction has committed or rolled back: its outcome is now
// what every reader sees.
func (s *Store) endTx(t *txState) {
	if t.clientsChanged.Load() {
		s.clients.clear()
	}
	if t.tokensChanged.Load() {
		s.atCache.end()
	}
}

// Commit implements storage.Transactional.
func (s *Store) Commit(ctx context.Context) error {
	t := txFrom(ctx)
	if t == nil {
		return errors.New("store: commit: the context carries no transaction")
	}
	if !t.done.CompareAndSwap(false, true) {
		return errors.New("store: commit: the transaction has already ended")
	}
	if t.savepoint != "" {
		if t.clientsChanged.Load() {
			t.parent.clientsChanged.Store(true)
		}
		if _, err := t.tx.ExecContext(ctx, "RELEASE "+t.savepoint); err != nil {
			return fmt.Errorf("store: commit nested transaction: %w", mapErr(err))
		}
		return nil
	}
	if t.sharedChanged.Load() {
		// Other replicas' caches: the epoch moves in the same commit as the change.
		if err := s.bumpEpoch(ctx, t); err != nil {
			// Not committed without it: a change other replicas could not see.
			s.writerTx.CompareAndSwap(t, nil)
			_ = t.tx.Rollback()
			s.endTx(t)
			return err
		}
	}
	// No row changes during COMMIT: the writer stops being this transaction's before it ends.
	s.writerTx.CompareAndSwap(t, nil)
	err := t.tx.Commit()
	s.endTx(t)
	if err != nil {
		return fmt.Errorf("store: commit: %w", mapErr(err))
	}
	if t.durable.Load() {
		return s.syncWAL()
	}
	return nil
}

// Rollback implements storage.Transactional. Rolling back a transaction that already ended
// (fosite rolls back after a failed commit) is not an error.
func (s *Store) Rollback(ctx context.Context) error {
	t := txFrom(ctx)
	if t == nil {
		return errors.New("store: rollback: the context carries no transaction")
	}
	if !t.done.CompareAndSwap(false, true) {
		return nil
	}
	if t.savepoint != "" {
		if t.clientsChanged.Load() {
			t.parent.clientsChanged.Store(true)
		}
		if t.root().done.Load() {
			return nil
		}
		ctx := context.WithoutCancel(ctx)
		if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO "+t.savepoint); err != nil {
			return fmt.Errorf("store: roll back nested transaction: %w", mapErr(err))
		}
		if _, err := t.tx.ExecContext(ctx, "RELEASE "+t.savepoint); err != nil {
			return fmt.Errorf("store: roll back nested transaction: %w", mapErr(err))
		}
		return nil
	}
	s.writerTx.CompareAndSwap(t, nil)
	err := t.tx.Rollback()
	s.endTx(t)
	if err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("store: rollback: %w", mapErr(err))
	}
	return nil
}

// inTx runs fn in a transaction (a savepoint when ctx already carries one).
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tctx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	if err := fn(tctx); err != nil {
		if rerr := s.Rollback(tctx); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return s.Commit(tctx)
}

// exec runs a write: in the context's transaction if there is one, else on the writer.
func (s *Store) exec(ctx context.Context, st *stmt, args ...any) (sql.Result, error) {
	if t := txFrom(ctx); t != nil {
		res, err := t.tx.StmtContext(ctx, st.w).ExecContext(ctx, args...)
		return res, mapErr(err)
	}
	if st.changesAccessTokens || st.durable {
		// A one-statement transaction: the access-token cache reopens at its commit, and a
		// durable change is synced there.
		var res sql.Result
		err := s.inTx(ctx, func(ctx context.Context) error {
			var err error
			res, err = s.exec(ctx, st, args...)
			return err
		})
		return res, err
	}
	res, err := st.w.ExecContext(ctx, args...)
	if berr := s.bumpIfUntracked(ctx); berr != nil && err == nil {
		err = berr
	}
	return res, mapErr(err)
}

// row is a *sql.Row whose Scan maps driver errors (mapErr).
type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }

// rows is a *sql.Rows whose Scan and Err map driver errors (mapErr).
type rows struct{ *sql.Rows }

func (r *rows) Scan(dest ...any) error { return mapErr(r.Rows.Scan(dest...)) }
func (r *rows) Err() error             { return mapErr(r.Rows.Err()) }

func wrapRows(r *sql.Rows, err error) (*rows, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	return &rows{r}, nil
}

// queryRow runs a single-row read: in the context's transaction (which sees its own
// uncommitted writes) if there is one, else on the reader pool.
func (s *Store) queryRow(ctx context.Context, st *stmt, args ...any) row {
	if t := txFrom(ctx); t != nil {
		return row{t.tx.StmtContext(ctx, st.w).QueryRowContext(ctx, args...)}
	}
	return row{st.r.QueryRowContext(ctx, args...)}
}

func (s *Store) query(ctx context.Context, st *stmt, args ...any) (*rows, error) {
	if t := txFrom(ctx); t != nil {
		return wrapRows(t.tx.StmtContext(ctx, st.w).QueryContext(ctx, args...))
	}
	return wrapRows(st.r.QueryContext(ctx, args...))
}

// queryRaw runs an ad-hoc read (ListTokens builds its query from the filter).
func (s *Store) queryRaw(ctx context.Context, query string, args ...any) (*rows, error) {
	if t := txFrom(ctx); t != nil {
		return wrapRows(t.tx.QueryContext(ctx, s.rebind(query), args...))
	}
	return wrapRows(s.rdb.QueryContext(ctx, s.rebind(query), args...))
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
