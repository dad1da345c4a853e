// Package sqlstore keeps the source's side of a push in a SQL database: a
// [sync.Store] over database/sql for SQLite and PostgreSQL. It takes the
// caller's *sql.DB and its [sqldialect.Dialect], and imports no driver; the
// tests use modernc.org/sqlite (driver name "sqlite") and
// github.com/jackc/pgx/v5/stdlib ("pgx").
//
// One database holds the state of any number of targets (R20): every row
// is keyed by a target name the caller gives, and each [Store] reads and
// writes one target's rows. [New] gives the store of [DefaultTarget];
// [Store.ForTarget] the store of another target over the same database.
// An identity provider that pushes to many apps keeps them all in one
// SQLite file or PostgreSQL database, with one lease per target, so that
// several push processes may work through the same targets at once: each
// target's push runs once at a time.
//
// Schema changes are versioned and run by [Store.Migrate], explicitly. Each
// is recorded in the table groupsync_migrations under the component "sync",
// which the target side's store shares under its own component. The tables
// are:
//
//	sync_links    target_name, source_id (key both), target_id, created, has_snapshot, snapshot_name
//	sync_members  target_name, source_id, member (key all three): the last-pushed snapshots' members
//	sync_statuses target_name, source_id (key both), the fields of a Status; times in Unix nanoseconds, NULL when zero
//	sync_plan     target_name (key): the last plan as JSON
//	sync_lease    target_name (key): owner, expires (Unix nanoseconds)
//
// Version 1 of the schema held one target; version 2 keys everything by
// target name and moves what version 1 held under [DefaultTarget].
//
// [Store.Pushed] writes only the member rows a change adds or removes, so
// recording a one-member change costs the same on a snapshot of any size.
// Every operation that writes more than one statement runs in one
// transaction.
//
// The lease is taken by a single conditional upsert, so it holds across
// processes and replicas sharing the database. On PostgreSQL it keeps time
// by the database's clock, so replicas' clocks need not agree; on SQLite,
// whose writers share a machine, by the local one.
//
// For SQLite, open the database with a busy timeout, so that writers
// (several connections of one *sql.DB, or several processes) wait for each
// other instead of failing with SQLITE_BUSY, and preferably in WAL mode, so
// that readers do not wait for writers. Switch to WAL once, right after
// opening, rather than with a journal_mode pragma in the DSN: the file
// keeps the mode, and a connection that switches a new file as it opens
// fails with SQLITE_BUSY, whatever the busy timeout, when another
// connection opens it at the same moment. With modernc.org/sqlite:
//
//	db, err := sql.Open("sqlite", "file:groupsync.db?_pragma=busy_timeout(10000)")
//	…
//	_, err = db.ExecContext(ctx, "PRAGMA journal_mode=WAL")
//
// [Store.Migrate] refuses a SQLite connection without a busy timeout.
//
// # Connection pools
//
// A *sql.DB opens connections without bound; bound it before use. For
// SQLite, db.SetMaxOpenConns(8) and db.SetMaxIdleConns(8) (one writer at a
// time; WAL mode lets readers run beside it) and
// db.SetConnMaxIdleTime(time.Minute). For PostgreSQL, size MaxOpenConns so
// that the pools of every process pushing to the database stay within the
// server's max_connections together (16 per process is plenty: an
// Applier's store calls hold one connection each, for one short
// transaction, and a held lease holds none), and set
// SetConnMaxLifetime(30 * time.Minute) so that a failover is picked up. A
// call that waits for a connection gives up when its context ends.
//
// For PostgreSQL, the tables live in the connection's search_path; to keep
// them in their own schema, add search_path=SCHEMA to the URL.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqlschema"
	"github.com/groupsync/groupsync/sqldialect"
	"github.com/groupsync/groupsync/sync"
)

// Store is a [sync.Store] in a SQL database: the state of one target of
// the database. It is safe for concurrent use, and several Stores, in
// several processes, may share one database, for one target or many.
type Store struct {
	db      *sql.DB
	dialect sqldialect.Dialect
	target  string
}

var _ sync.Store = (*Store)(nil)

// DefaultTarget is the target name of the store [New] returns, and the one
// under which [Store.Migrate] moves the state of a database that held a
// single target.
const DefaultTarget = "default"

// New returns the store of [DefaultTarget] over db, which speaks dialect d.
// Call [Store.Migrate] before using it.
func New(db *sql.DB, d sqldialect.Dialect) *Store {
	return &Store{db: db, dialect: d, target: DefaultTarget}
}

// ForTarget returns the store of the target called name over the same
// database: its links, snapshots, statuses, last plan and lease are its
// own. The name is the caller's to choose (a target URL, an app's id); an
// empty name means [DefaultTarget].
func (s *Store) ForTarget(name string) *Store {
	if name == "" {
		name = DefaultTarget
	}
	return &Store{db: s.db, dialect: s.dialect, target: name}
}

// Target returns the name of the target whose state s holds.
func (s *Store) Target() string { return s.target }

// Targets returns the names of the targets that hold a link, a status or a
// plan in the database, sorted. It returns the database's error, if any.
func (s *Store) Targets(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT target_name FROM sync_links
		UNION SELECT target_name FROM sync_statuses UNION SELECT target_name FROM sync_plan`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list targets: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlstore: list targets: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list targets: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// component names this package's migrations in groupsync_migrations.
const component = "sync"

// migrations holds the schema's versions: version i+1 is migrations[i]. A
// released version never changes; a change of schema appends one.
var migrations = [][]string{
	{
		`CREATE TABLE sync_links (
			source_id     TEXT NOT NULL PRIMARY KEY,
			target_id     TEXT NOT NULL,
			created       BOOLEAN NOT NULL,
			has_snapshot  BOOLEAN NOT NULL,
			snapshot_name TEXT NOT NULL
		)`,
		`CREATE TABLE sync_members (
			source_id TEXT NOT NULL,
			member    TEXT NOT NULL,
			PRIMARY KEY (source_id, member)
		)`,
		`CREATE TABLE sync_statuses (
			source_id     TEXT NOT NULL PRIMARY KEY,
			target_id     TEXT NOT NULL,
			name          TEXT NOT NULL,
			last_attempt  BIGINT,
			forced        BOOLEAN NOT NULL,
			outcome       TEXT NOT NULL,
			error         TEXT NOT NULL,
			refused       TEXT,
			last_success  BIGINT,
			pending_since BIGINT
		)`,
		`CREATE TABLE sync_plan (
			id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
			plan TEXT NOT NULL
		)`,
		`CREATE TABLE sync_lease (
			id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
			owner   TEXT NOT NULL,
			expires BIGINT NOT NULL
		)`,
	},
	// Version 2: many targets in one database (R20), and the status
	// fields of R19 (cause, the target's answer, skipped members). What
	// version 1 held moves under DefaultTarget.
	{
		`CREATE TABLE sync_links_v2 (
			target_name   TEXT NOT NULL,
			source_id     TEXT NOT NULL,
			target_id     TEXT NOT NULL,
			created       BOOLEAN NOT NULL,
			has_snapshot  BOOLEAN NOT NULL,
			snapshot_name TEXT NOT NULL,
			PRIMARY KEY (target_name, source_id)
		)`,
		`INSERT INTO sync_links_v2 (target_name, source_id, target_id, created, has_snapshot, snapshot_name)
			SELECT '` + DefaultTarget + `', source_id, target_id, created, has_snapshot, snapshot_name FROM sync_links`,
		`DROP TABLE sync_links`,
		`ALTER TABLE sync_links_v2 RENAME TO sync_links`,
		`CREATE TABLE sync_members_v2 (
			target_name TEXT NOT NULL,
			source_id   TEXT NOT NULL,
			member      TEXT NOT NULL,
			PRIMARY KEY (target_name, source_id, member)
		)`,
		`INSERT INTO sync_members_v2 (target_name, source_id, member)
			SELECT '` + DefaultTarget + `', source_id, member FROM sync_members`,
		`DROP TABLE sync_members`,
		`ALTER TABLE sync_members_v2 RENAME TO sync_members`,
		`CREATE TABLE sync_statuses_v2 (
			target_name   TEXT NOT NULL,
			source_id     TEXT NOT NULL,
			target_id     TEXT NOT NULL,
			name          TEXT NOT NULL,
			last_attempt  BIGINT,
			forced        BOOLEAN NOT NULL,
			outcome       TEXT NOT NULL,
			error         TEXT NOT NULL,
			refused       TEXT,
			last_success  BIGINT,
			pending_since BIGINT,
			cause         TEXT NOT NULL,
			target_status INTEGER NOT NULL,
			target_detail TEXT NOT NULL,
			skipped       TEXT,
			PRIMARY KEY (target_name, source_id)
		)`,
		`INSERT INTO sync_statuses_v2 (target_name, source_id, target_id, name, last_attempt, forced, outcome, error,
				refused, last_success, pending_since, cause, target_status, target_detail, skipped)
			SELECT '` + DefaultTarget + `', source_id, target_id, name, last_attempt, forced, outcome, error,
				refused, last_success, pending_since, '', 0, '', NULL FROM sync_statuses`,
		`DROP TABLE sync_statuses`,
		`ALTER TABLE sync_statuses_v2 RENAME TO sync_statuses`,
		`CREATE TABLE sync_plan_v2 (
			target_name TEXT NOT NULL PRIMARY KEY,
			plan        TEXT NOT NULL
		)`,
		`INSERT INTO sync_plan_v2 (target_name, plan) SELECT '` + DefaultTarget + `', plan FROM sync_plan`,
		`DROP TABLE sync_plan`,
		`ALTER TABLE sync_plan_v2 RENAME TO sync_plan`,
		`CREATE TABLE sync_lease_v2 (
			target_name TEXT NOT NULL PRIMARY KEY,
			owner       TEXT NOT NULL,
			expires     BIGINT NOT NULL
		)`,
		`INSERT INTO sync_lease_v2 (target_name, owner, expires) SELECT '` + DefaultTarget + `', owner, expires FROM sync_lease`,
		`DROP TABLE sync_lease`,
		`ALTER TABLE sync_lease_v2 RENAME TO sync_lease`,
	},
}

// Migrate brings the schema to the version this package needs. It applies
// each missing version in a transaction and records it in the table
// groupsync_migrations, which it creates if need be. It is safe to run
// again, and from several processes at once. On SQLite it returns an error
// when the connection has no busy timeout (see the package doc).
func (s *Store) Migrate(ctx context.Context) error {
	if err := sqlschema.Migrate(ctx, s.db, s.dialect, component, migrations); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	return nil
}

// tx runs f in a transaction (see [sqlschema.InTx]): every writing f here
// writes first.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	return sqlschema.InTx(ctx, s.db, s.dialect, f)
}

// q rewrites the ? placeholders of query for the dialect: $1, $2, … on
// PostgreSQL.
func (s *Store) q(query string) string { return sqlschema.Rebind(s.dialect, query) }

// chunkSize bounds the member values of one statement, well below both
// databases' limits on parameters.
const chunkSize = 500

// insertMembers adds the member rows of sourceID that are missing.
func (s *Store) insertMembers(ctx context.Context, tx *sql.Tx, sourceID string, members []string) error {
	for chunk := range slices.Chunk(members, chunkSize) {
		args := make([]any, 0, 3*len(chunk))
		for _, m := range chunk {
			args = append(args, s.target, sourceID, m)
		}
		values := strings.Repeat("(?, ?, ?), ", len(chunk))
		values = values[:len(values)-2]
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sync_members (target_name, source_id, member) VALUES `+values+` ON CONFLICT DO NOTHING`), args...); err != nil {
			return err
		}
	}
	return nil
}

// deleteMembers removes the given member rows of sourceID, where present.
func (s *Store) deleteMembers(ctx context.Context, tx *sql.Tx, sourceID string, members []string) error {
	for chunk := range slices.Chunk(members, chunkSize) {
		args := make([]any, 0, 2+len(chunk))
		args = append(args, s.target, sourceID)
		for _, m := range chunk {
			args = append(args, m)
		}
		marks := strings.Repeat("?, ", len(chunk))
		marks = marks[:len(marks)-2]
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sync_members WHERE target_name = ? AND source_id = ? AND member IN (`+marks+`)`), args...); err != nil {
			return err
		}
	}
	return nil
}

// Load implements [sync.Store]. It reads everything in one transaction, so
// the state it returns is one the store held at some moment.
func (s *Store) Load(ctx context.Context) (sync.State, error) {
	var st sync.State
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == sqldialect.Postgres {
		// One snapshot for all the statements of the transaction.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return st, fmt.Errorf("sqlstore: load: %w", err)
	}
	defer tx.Rollback()
	if err := s.load(ctx, tx, &st); err != nil {
		return sync.State{}, fmt.Errorf("sqlstore: load: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return sync.State{}, fmt.Errorf("sqlstore: load: %w", err)
	}
	return st, nil
}

func (s *Store) load(ctx context.Context, tx *sql.Tx, st *sync.State) error {
	// Members first, grouped by source id.
	members := map[string][]string{}
	err := s.scanRows(ctx, tx, `SELECT source_id, member FROM sync_members WHERE target_name = ?`, func(rows *sql.Rows) error {
		var id, m string
		if err := rows.Scan(&id, &m); err != nil {
			return err
		}
		members[id] = append(members[id], m)
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, tx, `SELECT source_id, target_id, created, has_snapshot, snapshot_name FROM sync_links WHERE target_name = ?`, func(rows *sql.Rows) error {
		var l sync.Link
		var hasSnapshot bool
		var name string
		if err := rows.Scan(&l.SourceID, &l.TargetID, &l.Created, &hasSnapshot, &name); err != nil {
			return err
		}
		if hasSnapshot {
			l.Pushed = &sync.Snapshot{Name: name, Members: group.NewMembers(members[l.SourceID]...)}
		}
		st.Links = append(st.Links, l)
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, tx, `SELECT source_id, target_id, name, last_attempt, forced, outcome, error, refused, last_success, pending_since,
			cause, target_status, target_detail, skipped FROM sync_statuses WHERE target_name = ?`, func(rows *sql.Rows) error {
		var x sync.Status
		var outcome, cause string
		var refused, skipped sql.NullString
		var lastAttempt, lastSuccess, pendingSince sql.NullInt64
		if err := rows.Scan(&x.SourceID, &x.TargetID, &x.Name, &lastAttempt, &x.Forced, &outcome, &x.Error, &refused, &lastSuccess, &pendingSince,
			&cause, &x.TargetStatus, &x.TargetDetail, &skipped); err != nil {
			return err
		}
		if outcome != "" {
			if err := x.Outcome.UnmarshalText([]byte(outcome)); err != nil {
				return fmt.Errorf("status of %s: %w", x.SourceID, err)
			}
		}
		if cause != "" {
			if err := x.Cause.UnmarshalText([]byte(cause)); err != nil {
				return fmt.Errorf("status of %s: %w", x.SourceID, err)
			}
		}
		if refused.Valid {
			if err := json.Unmarshal([]byte(refused.String), &x.Refused); err != nil {
				return fmt.Errorf("status of %s: refused members: %w", x.SourceID, err)
			}
		}
		if skipped.Valid {
			if err := json.Unmarshal([]byte(skipped.String), &x.Skipped); err != nil {
				return fmt.Errorf("status of %s: skipped members: %w", x.SourceID, err)
			}
		}
		x.LastAttempt, x.LastSuccess, x.PendingSince = fromNanos(lastAttempt), fromNanos(lastSuccess), fromNanos(pendingSince)
		st.Statuses = append(st.Statuses, x)
		return nil
	})
	if err != nil {
		return err
	}
	// Byte order, whatever the database's collation.
	slices.SortFunc(st.Links, func(a, b sync.Link) int { return cmp.Compare(a.SourceID, b.SourceID) })
	slices.SortFunc(st.Statuses, func(a, b sync.Status) int { return cmp.Compare(a.SourceID, b.SourceID) })

	var plan string
	switch err := tx.QueryRowContext(ctx, s.q(`SELECT plan FROM sync_plan WHERE target_name = ?`), s.target).Scan(&plan); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		var p sync.Plan
		if err := json.Unmarshal([]byte(plan), &p); err != nil {
			return fmt.Errorf("last plan: %w", err)
		}
		st.LastPlan = &p
	}
	return nil
}

// scanRows runs query, whose one parameter is the target name, and calls f
// for each row.
func (s *Store) scanRows(ctx context.Context, tx *sql.Tx, query string, f func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, s.q(query), s.target)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// nanos encodes t as Unix nanoseconds, and the zero time as NULL. Times
// outside the years 1678 to 2262 do not fit.
func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromNanos decodes what nanos encodes, in UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// Link implements [sync.Store]. It replaces the link of l.SourceID, if any,
// and its snapshot's members.
func (s *Store) Link(ctx context.Context, l sync.Link) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		var members []string
		if l.Pushed != nil {
			name, members = l.Pushed.Name, l.Pushed.Members.Slice()
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sync_links (target_name, source_id, target_id, created, has_snapshot, snapshot_name) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (target_name, source_id) DO UPDATE SET target_id = excluded.target_id, created = excluded.created,
				has_snapshot = excluded.has_snapshot, snapshot_name = excluded.snapshot_name`),
			s.target, l.SourceID, l.TargetID, l.Created, l.Pushed != nil, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sync_members WHERE target_name = ? AND source_id = ?`), s.target, l.SourceID); err != nil {
			return err
		}
		return s.insertMembers(ctx, tx, l.SourceID, members)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: link %s: %w", l.SourceID, err)
	}
	return nil
}

// Pushed implements [sync.Store]. It writes the snapshot's name, if c has
// one, and only the member rows c removes and adds. It returns an error
// wrapping [sync.ErrNotLinked] when sourceID has no link.
func (s *Store) Pushed(ctx context.Context, sourceID string, c sync.Change) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A link without a snapshot has no member rows and an empty name,
		// so it starts from an empty snapshot. The update also locks the
		// link, so changes of one group apply one at a time.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE sync_links SET has_snapshot = ?,
			snapshot_name = CASE WHEN ? = '' THEN snapshot_name ELSE ? END WHERE target_name = ? AND source_id = ?`),
			true, c.Name, c.Name, s.target, sourceID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return sync.ErrNotLinked
		}
		if err := s.deleteMembers(ctx, tx, sourceID, c.Remove); err != nil {
			return err
		}
		return s.insertMembers(ctx, tx, sourceID, c.Add)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: record pushed change of %s: %w", sourceID, err)
	}
	return nil
}

// Unlink implements [sync.Store]. Unlinking a source id without a link does
// nothing.
func (s *Store) Unlink(ctx context.Context, sourceID string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sync_links WHERE target_name = ? AND source_id = ?`), s.target, sourceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sync_members WHERE target_name = ? AND source_id = ?`), s.target, sourceID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: unlink %s: %w", sourceID, err)
	}
	return nil
}

// SetStatus implements [sync.Store].
func (s *Store) SetStatus(ctx context.Context, x sync.Status) error {
	var outcome string
	if x.Outcome != 0 {
		b, err := x.Outcome.MarshalText()
		if err != nil {
			return fmt.Errorf("sqlstore: set status of %s: %w", x.SourceID, err)
		}
		outcome = string(b)
	}
	var cause string
	if x.Cause != 0 {
		b, err := x.Cause.MarshalText()
		if err != nil {
			return fmt.Errorf("sqlstore: set status of %s: %w", x.SourceID, err)
		}
		cause = string(b)
	}
	refused, err := jsonList(x.Refused)
	if err != nil {
		return fmt.Errorf("sqlstore: set status of %s: %w", x.SourceID, err)
	}
	skipped, err := jsonList(x.Skipped)
	if err != nil {
		return fmt.Errorf("sqlstore: set status of %s: %w", x.SourceID, err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO sync_statuses
		(target_name, source_id, target_id, name, last_attempt, forced, outcome, error, refused, last_success, pending_since,
			cause, target_status, target_detail, skipped)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target_name, source_id) DO UPDATE SET target_id = excluded.target_id, name = excluded.name,
			last_attempt = excluded.last_attempt, forced = excluded.forced, outcome = excluded.outcome,
			error = excluded.error, refused = excluded.refused, last_success = excluded.last_success,
			pending_since = excluded.pending_since, cause = excluded.cause, target_status = excluded.target_status,
			target_detail = excluded.target_detail, skipped = excluded.skipped`),
		s.target, x.SourceID, x.TargetID, x.Name, nanos(x.LastAttempt), x.Forced, outcome, x.Error, refused,
		nanos(x.LastSuccess), nanos(x.PendingSince), cause, x.TargetStatus, x.TargetDetail, skipped)
	if err != nil {
		return fmt.Errorf("sqlstore: set status of %s: %w", x.SourceID, err)
	}
	return nil
}

// jsonList encodes a non-nil list as JSON, and nil as NULL.
func jsonList(l []string) (sql.NullString, error) {
	if l == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// SavePlan implements [sync.Store]. It stores p as JSON.
func (s *Store) SavePlan(ctx context.Context, p sync.Plan) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sqlstore: save plan: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO sync_plan (target_name, plan) VALUES (?, ?)
		ON CONFLICT (target_name) DO UPDATE SET plan = excluded.plan`), s.target, string(b))
	if err != nil {
		return fmt.Errorf("sqlstore: save plan: %w", err)
	}
	return nil
}

// Lease implements [sync.Store]: the lease of s's target, which leases of
// other targets do not hold up. It takes the lease with one upsert that
// succeeds only when the lease is free, expired or owner's already, so two
// processes cannot both take it. While another owner holds it, Lease
// returns a [*sync.LeaseError], which wraps [sync.ErrLeaseHeld]. The
// release function frees the lease if owner still holds it, and does
// nothing otherwise.
func (s *Store) Lease(ctx context.Context, owner string, ttl time.Duration) (func(context.Context) error, error) {
	var held *sync.LeaseError
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now, err := s.now(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO sync_lease (target_name, owner, expires) VALUES (?, ?, ?)
			ON CONFLICT (target_name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
			WHERE sync_lease.owner = excluded.owner OR sync_lease.expires <= ?`),
			s.target, owner, now+ttl.Nanoseconds(), now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n > 0 {
			return err
		}
		var holder string
		var until int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT owner, expires FROM sync_lease WHERE target_name = ?`), s.target).Scan(&holder, &until); err != nil {
			return err
		}
		held = &sync.LeaseError{Owner: holder, Until: time.Unix(0, until).UTC()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: take lease for %s: %w", owner, err)
	}
	if held != nil {
		return nil, held
	}
	return func(ctx context.Context) error {
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sync_lease WHERE target_name = ? AND owner = ?`), s.target, owner); err != nil {
			return fmt.Errorf("sqlstore: release lease of %s: %w", owner, err)
		}
		return nil
	}, nil
}

// now returns the time the lease is measured by, in Unix nanoseconds: the
// database's clock on PostgreSQL, the local one on SQLite. On SQLite it
// reads nothing, so the lease's upsert stays the transaction's first
// statement.
func (s *Store) now(ctx context.Context, tx *sql.Tx) (int64, error) {
	if s.dialect != sqldialect.Postgres {
		return time.Now().UnixNano(), nil
	}
	var us int64
	err := tx.QueryRowContext(ctx, `SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT`).Scan(&us)
	return us * 1000, err
}
