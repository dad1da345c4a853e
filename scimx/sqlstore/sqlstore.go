// Package sqlstore keeps the groups of a SCIM target in a SQL database: a
// [scimx.Store] over database/sql for SQLite and PostgreSQL. It takes the
// caller's *sql.DB and its [sqldialect.Dialect], and imports no driver.
//
// A member change writes only the changed member rows, so a one-member
// PATCH costs the same on a group of any size. Every transaction of a
// tenant that writes holds that tenant's lock: on PostgreSQL an advisory
// transaction lock, so that several replicas on one database serialise
// their writes to a tenant (the exact-name association of R5 creates one
// group, not two, when two replicas receive the same POST at once); on
// SQLite the database's write lock, taken by the first statement. Versions
// come from the database, so If-Match holds across replicas.
//
// Schema changes are versioned and run by [Store.Migrate], explicitly.
//
// For SQLite, open the database with a busy timeout, so that writers wait
// for each other instead of failing, and preferably in WAL mode. Switch to
// WAL once, right after opening, rather than with a journal_mode pragma in
// the DSN: the file keeps the mode, and a connection that switches a new
// file as it opens fails with SQLITE_BUSY, whatever the busy timeout, when
// another connection opens it at the same moment. With modernc.org/sqlite:
//
//	db, err := sql.Open("sqlite", "file:app.db?_pragma=busy_timeout(10000)")
//	…
//	_, err = db.ExecContext(ctx, "PRAGMA journal_mode=WAL")
//
// # Connection pools
//
// A *sql.DB opens connections without bound: after a burst of concurrent
// requests it keeps one per request that was in flight, each with its
// descriptors, and with SQLite an OS thread for each that blocked in a
// file write. Bound the pool before serving (SPEC.md R18):
//
//	db.SetMaxOpenConns(8)  // SQLite: one writer at a time, readers beside it in WAL mode
//	db.SetMaxIdleConns(8)
//	db.SetConnMaxIdleTime(time.Minute)
//
// For PostgreSQL, size MaxOpenConns so that every replica's pool together
// stays within the server's max_connections (16 per replica is plenty
// for SCIM traffic), and set ConnMaxLifetime (say 30 minutes) so that a
// failover is picked up. Every request holds one connection for the length
// of its transaction, and a request that waits for one gives up when its
// context ends ([scimx.ServerOptions.Timeout]). A
// [scimx.ServerOptions.Members] resolver runs inside the transaction: if it
// queries the same *sql.DB, it needs a second connection while the first is
// held, and once MaxOpenConns requests wait at that point none can go on
// until their contexts end. Give the resolver a pool of its own.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqlschema"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/sqldialect"
)

// Store is a [scimx.Store] in a SQL database. It is safe for concurrent use,
// and several Stores (in several processes) may share one database.
type Store struct {
	db      *sql.DB
	dialect sqldialect.Dialect
	// Now stamps created and modified times; nil means time.Now.
	Now func() time.Time
	// NewID, when set, returns the id of each new group instead of a random
	// UUID.
	NewID func() string
	// writers queues the writers of a SQLite database (writer.go).
	writers writers
	// stmts holds the prepared statements of a SQLite database (stmts.go).
	stmts stmtCache
}

var _ scimx.Store = (*Store)(nil)

// New returns a store over db, which speaks dialect d. Call [Store.Migrate]
// before using it.
func New(db *sql.DB, d sqldialect.Dialect) *Store {
	return &Store{db: db, dialect: d}
}

// migrations returns the migrations of the component "scimx" in dialect
// d, in order; version i+1 is the i-th.
func migrations(d sqldialect.Dialect) [][]string {
	// Member pages and the groups of a member are read in byte order. On
	// PostgreSQL the member table's text columns take the "C" collation,
	// so that its primary key serves both equality and that order: an
	// index in another collation than the column's would be chosen for
	// its (tenant, group_id) prefix and scan a whole group to find one
	// member. SQLite compares bytes already.
	var collate []string
	if d == sqldialect.Postgres {
		collate = []string{`ALTER TABLE scim_members ALTER COLUMN group_id TYPE TEXT COLLATE "C", ALTER COLUMN member TYPE TEXT COLLATE "C"`}
	}
	return [][]string{v1, append(collate,
		// R17: the change feed, one row per event, numbered per tenant.
		`CREATE TABLE scim_events (
		tenant      TEXT NOT NULL,
		seq         BIGINT NOT NULL,
		id          TEXT NOT NULL,
		group_id    TEXT NOT NULL,
		name        TEXT NOT NULL,
		old_name    TEXT NOT NULL DEFAULT '',
		external_id TEXT NOT NULL DEFAULT '',
		group_type  TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL,
		added       TEXT NOT NULL DEFAULT '[]',
		removed     TEXT NOT NULL DEFAULT '[]',
		actor       TEXT NOT NULL,
		version     BIGINT NOT NULL,
		at          BIGINT NOT NULL,
		PRIMARY KEY (tenant, seq)
	)`,
		`CREATE TABLE scim_cursors (
		tenant TEXT NOT NULL,
		name   TEXT NOT NULL,
		seq    BIGINT NOT NULL,
		PRIMARY KEY (tenant, name)
	)`,
		// GroupsOf; MemberPage reads the primary key.
		`CREATE INDEX scim_members_member ON scim_members (tenant, member, group_id)`,
	)}
}

// v1 is the first version: groups and members.
var v1 = []string{
	`CREATE TABLE scim_groups (
		tenant      TEXT NOT NULL,
		id          TEXT NOT NULL,
		external_id TEXT NOT NULL DEFAULT '',
		name        TEXT NOT NULL,
		origin      TEXT NOT NULL,
		group_type  TEXT NOT NULL DEFAULT '',
		attributes  TEXT NOT NULL DEFAULT '{}',
		version     BIGINT NOT NULL,
		created     BIGINT NOT NULL,
		modified    BIGINT NOT NULL,
		PRIMARY KEY (tenant, id)
	)`,
	`CREATE INDEX scim_groups_name ON scim_groups (tenant, name)`,
	`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id)`,
	`CREATE TABLE scim_members (
		tenant   TEXT NOT NULL,
		group_id TEXT NOT NULL,
		member   TEXT NOT NULL,
		PRIMARY KEY (tenant, group_id, member)
	)`,
}

// Migrate brings the schema to the version this package needs, recording
// each step in the table groupsync_migrations. It is safe to run again and
// from several processes at once. On SQLite it refuses a connection without
// a busy timeout (see the package doc).
func (s *Store) Migrate(ctx context.Context) error {
	if err := sqlschema.Migrate(ctx, s.db, s.dialect, "scimx", migrations(s.dialect)); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	return nil
}

// View implements [scimx.Store].
func (s *Store) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	run := func(tx *sql.Tx) error { return f(&sqlTx{s: s, tx: tx, ctx: ctx, tenant: tenant}) }
	if s.dialect == sqldialect.SQLite {
		s.stmts.prepare(ctx, s.db)
		return sqlschema.InTx(ctx, s.db, s.dialect, run) // WAL gives a reader a consistent snapshot
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := run(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Update implements [scimx.Store]. On SQLite the writers of s take turns
// in the process, first come first served, before they take a connection,
// rather than spinning on SQLite's write lock; one whose ctx ends while it
// waits leaves the queue and gets ctx.Err(). So f must not call Update on
// s again, for any tenant: the inner call waits for the outer one until
// its ctx ends. Writers of another Store or process on the same file still
// meet at SQLite's write lock, where they wait up to the busy timeout,
// whatever their ctx: give one SQLite file one Store per process.
func (s *Store) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	if s.dialect == sqldialect.SQLite {
		s.stmts.prepare(ctx, s.db)
		if err := s.writers.lock(ctx); err != nil {
			return err
		}
		defer s.writers.unlock()
	}
	return sqlschema.InTx(ctx, s.db, s.dialect, func(tx *sql.Tx) error {
		t := &sqlTx{s: s, tx: tx, ctx: ctx, tenant: tenant, write: true}
		if err := t.lock(); err != nil {
			return err
		}
		return f(t)
	})
}

// lock takes the tenant's write lock, first in a writing transaction: a
// PostgreSQL advisory lock, or SQLite's write lock, with a first statement
// that writes nothing (see [sqlschema.InTx]).
func (t *sqlTx) lock() error {
	if t.s.dialect == sqldialect.Postgres {
		_, err := t.exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "scimx tenant "+t.tenant)
		return err
	}
	_, err := t.exec(sqliteLock)
	return err
}

// sqliteLock takes SQLite's write lock and writes nothing.
const sqliteLock = `UPDATE groupsync_migrations SET version = version WHERE 0`

type sqlTx struct {
	s      *Store
	tx     *sql.Tx
	ctx    context.Context
	tenant string
	write  bool
	stmts  map[string]*sql.Stmt // this transaction's of s.stmts, by query
}

const columns = `id, external_id, name, origin, group_type, attributes, version, created, modified`

func (t *sqlTx) q(query string) string { return rebind(t.s.dialect, query) }

// order sorts by byte order on both databases.
func (t *sqlTx) order(col string) string {
	if t.s.dialect == sqldialect.Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

func scanRecord(sc interface{ Scan(...any) error }) (scimx.Record, error) {
	var r scimx.Record
	var origin, attrs string
	var created, modified int64
	if err := sc.Scan(&r.ID, &r.ExternalID, &r.Name, &origin, &r.Type, &attrs, &r.Version, &created, &modified); err != nil {
		return r, err
	}
	if err := r.Origin.UnmarshalText([]byte(origin)); err != nil {
		return r, err
	}
	if attrs != "{}" && attrs != "" {
		if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
			return r, err
		}
	}
	r.Created, r.Modified = time.Unix(0, created).UTC(), time.Unix(0, modified).UTC()
	return r, nil
}

func (t *sqlTx) records(query string, args ...any) ([]scimx.Record, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scimx.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func notFound(id string) error { return fmt.Errorf("group %s: %w", id, scimx.ErrNotFound) }

func (t *sqlTx) Group(id string, members bool) (scimx.Record, error) {
	r, err := scanRecord(t.queryRow(`SELECT `+columns+` FROM scim_groups WHERE tenant = ? AND id = ?`, t.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(id)
	}
	if err != nil || !members {
		return r, err
	}
	rows, err := t.query(`SELECT member FROM scim_members WHERE tenant = ? AND group_id = ?`, t.tenant, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return r, err
		}
		ids = append(ids, m)
	}
	r.Members = group.NewMembers(ids...)
	return r, rows.Err()
}

func (t *sqlTx) Lookup(attr scimx.Attr, value string) ([]scimx.Record, error) {
	col := map[scimx.Attr]string{scimx.DisplayName: "name", scimx.ExternalID: "external_id"}[attr]
	if col == "" {
		return nil, fmt.Errorf("sqlstore: lookup by unknown attribute %d", attr)
	}
	if value == "" {
		return nil, nil
	}
	return t.records(`SELECT `+columns+` FROM scim_groups WHERE tenant = ? AND `+col+` = ? ORDER BY `+t.order("id"), t.tenant, value)
}

func (t *sqlTx) Groups() ([]scimx.Record, error) {
	return t.records(`SELECT `+columns+` FROM scim_groups WHERE tenant = ? ORDER BY `+t.order("id"), t.tenant)
}

// HasMember reads the group's row and the member's in one query: no row
// is an unknown group, a NULL member one that does not hold member.
func (t *sqlTx) HasMember(id, member string) (bool, error) {
	var in bool
	err := t.queryRow(`SELECT m.member IS NOT NULL FROM scim_groups g
		LEFT JOIN scim_members m ON m.tenant = g.tenant AND m.group_id = g.id AND m.member = ?
		WHERE g.tenant = ? AND g.id = ?`, member, t.tenant, id).Scan(&in)
	if errors.Is(err, sql.ErrNoRows) {
		return false, notFound(id)
	}
	return in, err
}

func (t *sqlTx) exists(id string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM scim_groups WHERE tenant = ? AND id = ?`, t.tenant, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(id)
	}
	return err
}

func (t *sqlTx) GroupIDs(ids []string) ([]string, error) {
	found := map[string]bool{}
	for chunk := range chunks(ids) {
		args := append([]any{t.tenant}, anys(chunk)...)
		rows, err := t.query(`SELECT id FROM scim_groups WHERE tenant = ? AND id IN (`+marks(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			found[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, id := range ids {
		if found[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (t *sqlTx) Create(g group.Group) (scimx.Record, error) {
	if !t.write {
		return scimx.Record{}, scimx.ErrReadOnlyTx
	}
	id := t.s.newID()
	now := t.s.now().UnixNano()
	attrs, err := encodeAttributes(g.Attributes)
	if err != nil {
		return scimx.Record{}, err
	}
	origin, _ := g.Origin.MarshalText()
	_, err = t.exec(`INSERT INTO scim_groups (tenant, `+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		t.tenant, id, g.ExternalID, g.Name, string(origin), g.Type, attrs, now, now)
	if err != nil {
		return scimx.Record{}, err
	}
	if err := t.addMembers(id, g.Members.Slice()); err != nil {
		return scimx.Record{}, err
	}
	return t.Group(id, true)
}

func (t *sqlTx) Change(id string, c scimx.Change) (scimx.Record, error) {
	if !t.write {
		return scimx.Record{}, scimx.ErrReadOnlyTx
	}
	set := []string{"version = version + 1", "modified = ?"}
	args := []any{t.s.now().UnixNano()}
	if c.Name != nil {
		set, args = append(set, "name = ?"), append(args, *c.Name)
	}
	if c.ExternalID != nil {
		set, args = append(set, "external_id = ?"), append(args, *c.ExternalID)
	}
	if c.Type != nil {
		set, args = append(set, "group_type = ?"), append(args, *c.Type)
	}
	if c.Attributes != nil {
		attrs, err := encodeAttributes(c.Attributes)
		if err != nil {
			return scimx.Record{}, err
		}
		set, args = append(set, "attributes = ?"), append(args, attrs)
	}
	args = append(args, t.tenant, id)
	res, err := t.exec(`UPDATE scim_groups SET `+strings.Join(set, ", ")+` WHERE tenant = ? AND id = ?`, args...)
	if err != nil {
		return scimx.Record{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return scimx.Record{}, cmpErr(err, notFound(id))
	}
	if c.ClearMembers {
		if _, err := t.exec(`DELETE FROM scim_members WHERE tenant = ? AND group_id = ?`, t.tenant, id); err != nil {
			return scimx.Record{}, err
		}
	}
	if err := t.removeMembers(id, c.Remove); err != nil {
		return scimx.Record{}, err
	}
	if err := t.addMembers(id, c.Add); err != nil {
		return scimx.Record{}, err
	}
	return t.Group(id, false)
}

// fewRows is the most rows a member change writes on SQLite with a
// statement per row rather than with one of a chunk. SQLite runs a
// statement without a round trip, and a statement of one row needs
// neither the ephemeral table of an IN list nor the statement journal of
// a multi-row INSERT, which each cost more than a few one-row statements
// (issue 12: they were a fifth of a membership PATCH's CPU time).
const fewRows = 16

// removeMembers deletes member rows.
func (t *sqlTx) removeMembers(id string, members []string) error {
	if t.s.dialect == sqldialect.SQLite && len(members) <= fewRows {
		for _, m := range members {
			if _, err := t.exec(`DELETE FROM scim_members WHERE tenant = ? AND group_id = ? AND member = ?`, t.tenant, id, m); err != nil {
				return err
			}
		}
		return nil
	}
	for chunk := range chunks(members) {
		args := append([]any{t.tenant, id}, anys(chunk)...)
		if _, err := t.exec(`DELETE FROM scim_members WHERE tenant = ? AND group_id = ? AND member IN (`+marks(len(chunk))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// addMembers inserts member rows, ignoring present ones.
func (t *sqlTx) addMembers(id string, members []string) error {
	if t.s.dialect == sqldialect.SQLite && len(members) <= fewRows {
		for _, m := range members {
			if _, err := t.exec(`INSERT INTO scim_members (tenant, group_id, member) VALUES (?, ?, ?)
				ON CONFLICT (tenant, group_id, member) DO NOTHING`, t.tenant, id, m); err != nil {
				return err
			}
		}
		return nil
	}
	for chunk := range chunks(members) {
		values := make([]string, len(chunk))
		args := make([]any, 0, 3*len(chunk))
		for i, m := range chunk {
			values[i] = "(?, ?, ?)"
			args = append(args, t.tenant, id, m)
		}
		q := `INSERT INTO scim_members (tenant, group_id, member) VALUES ` + strings.Join(values, ", ") +
			` ON CONFLICT (tenant, group_id, member) DO NOTHING`
		if _, err := t.exec(q, args...); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlTx) Delete(id string) error {
	if !t.write {
		return scimx.ErrReadOnlyTx
	}
	res, err := t.exec(`DELETE FROM scim_groups WHERE tenant = ? AND id = ?`, t.tenant, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmpErr(err, notFound(id))
	}
	_, err = t.exec(`DELETE FROM scim_members WHERE tenant = ? AND group_id = ?`, t.tenant, id)
	return err
}

func (t *sqlTx) GroupsOf(member string) ([]string, error) {
	return t.strings(`SELECT group_id FROM scim_members WHERE tenant = ? AND member = ? ORDER BY `+t.order("group_id"), t.tenant, member)
}

func (t *sqlTx) MemberPage(id, after string, limit int) ([]string, error) {
	if err := t.exists(id); err != nil || limit < 1 {
		return nil, err
	}
	return t.strings(`SELECT member FROM scim_members WHERE tenant = ? AND group_id = ? AND `+t.order("member")+` > ? ORDER BY `+t.order("member")+` LIMIT ?`,
		t.tenant, id, after, limit)
}

// strings runs a query of one text column.
func (t *sqlTx) strings(query string, args ...any) ([]string, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Append numbers the event one more than the tenant's newest, read from
// the primary key's index. The tenant's write lock, which every writing
// transaction holds, makes the number gap-free and unique across
// replicas; the primary key refuses a repeat all the same. On PostgreSQL
// the number is read in the statement that inserts the event, one round
// trip; on SQLite, where a statement costs no round trip, it is read by a
// statement of its own before a plain one-row INSERT: an INSERT …
// RETURNING keeps a statement journal, which cost nine times the two
// statements (issue 12).
func (t *sqlTx) Append(e scimx.FeedEvent) (scimx.FeedEvent, error) {
	if !t.write {
		return scimx.FeedEvent{}, scimx.ErrReadOnlyTx
	}
	if e.ID == "" {
		e.ID = t.s.uuid()
	}
	e.Tenant = t.tenant
	e.At = time.Unix(0, t.s.now().UnixNano()).UTC()
	e.Added, e.Removed = orEmpty(e.Added), orEmpty(e.Removed)
	added, err := json.Marshal(e.Added)
	if err != nil {
		return scimx.FeedEvent{}, err
	}
	removed, err := json.Marshal(e.Removed)
	if err != nil {
		return scimx.FeedEvent{}, err
	}
	if t.s.dialect == sqldialect.SQLite {
		if err := t.queryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM scim_events WHERE tenant = ?`, t.tenant).Scan(&e.Seq); err != nil {
			return scimx.FeedEvent{}, err
		}
		_, err = t.exec(`INSERT INTO scim_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.tenant, e.Seq, e.ID, e.Group, e.Name, e.OldName, e.ExternalID, e.Type, string(e.Kind), string(added), string(removed),
			string(e.Actor), e.Version, e.At.UnixNano())
		if err != nil {
			return scimx.FeedEvent{}, err
		}
		return e, nil
	}
	err = t.queryRow(`INSERT INTO scim_events (`+eventColumns+`)
		SELECT CAST(? AS TEXT), COALESCE(MAX(seq), 0) + 1, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
			CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
			CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM scim_events WHERE tenant = ?
		RETURNING seq`,
		t.tenant, e.ID, e.Group, e.Name, e.OldName, e.ExternalID, e.Type, string(e.Kind), string(added), string(removed),
		string(e.Actor), e.Version, e.At.UnixNano(), t.tenant).Scan(&e.Seq)
	if err != nil {
		return scimx.FeedEvent{}, err
	}
	return e, nil
}

const eventColumns = `tenant, seq, id, group_id, name, old_name, external_id, group_type, kind, added, removed, actor, version, at`

func (t *sqlTx) Events(after int64, limit int) ([]scimx.FeedEvent, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := t.query(`SELECT `+eventColumns+` FROM scim_events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?`,
		t.tenant, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scimx.FeedEvent
	for rows.Next() {
		var e scimx.FeedEvent
		var kind, actor, added, removed string
		var at int64
		if err := rows.Scan(&e.Tenant, &e.Seq, &e.ID, &e.Group, &e.Name, &e.OldName, &e.ExternalID, &e.Type, &kind,
			&added, &removed, &actor, &e.Version, &at); err != nil {
			return nil, err
		}
		e.Kind, e.Actor, e.At = scimx.Kind(kind), scimx.Actor(actor), time.Unix(0, at).UTC()
		if err := json.Unmarshal([]byte(added), &e.Added); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(removed), &e.Removed); err != nil {
			return nil, err
		}
		e.Added, e.Removed = orEmpty(e.Added), orEmpty(e.Removed)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *sqlTx) Cursor(name string) (int64, error) {
	var seq int64
	err := t.queryRow(`SELECT seq FROM scim_cursors WHERE tenant = ? AND name = ?`, t.tenant, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

func (t *sqlTx) SetCursor(name string, seq int64) error {
	if !t.write {
		return scimx.ErrReadOnlyTx
	}
	_, err := t.exec(`INSERT INTO scim_cursors (tenant, name, seq) VALUES (?, ?, ?)
		ON CONFLICT (tenant, name) DO UPDATE SET seq = excluded.seq`, t.tenant, name, seq)
	return err
}

func (t *sqlTx) PruneEvents(before time.Time) (int, error) {
	if !t.write {
		return 0, scimx.ErrReadOnlyTx
	}
	res, err := t.exec(`DELETE FROM scim_events WHERE tenant = ? AND at < ?
		AND seq < (SELECT MAX(seq) FROM scim_events WHERE tenant = ?)
		AND seq <= COALESCE((SELECT MIN(seq) FROM scim_cursors WHERE tenant = ?), 0)`,
		t.tenant, before.UnixNano(), t.tenant, t.tenant)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func encodeAttributes(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// newID returns NewID's id, or a random UUID (version 4).
func (s *Store) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return s.uuid()
}

// uuid returns a random UUID (version 4).
func (s *Store) uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// chunkSize keeps statements well under both databases' parameter limits.
const chunkSize = 300

// chunks yields s in pieces of at most chunkSize, each padded to one of a
// few sizes (see [padded]) by repeating its last value, so that the
// statements built for them are of a few texts that stay prepared
// (stmts.go). Every statement that takes a chunk treats a value twice as
// it treats it once.
func chunks(s []string) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			n := min(len(s), chunkSize)
			chunk := s[:n]
			if p := padded(n); p > n {
				chunk = make([]string, p)
				copy(chunk, s[:n])
				for i := n; i < p; i++ {
					chunk[i] = s[n-1]
				}
			}
			if !yield(chunk) {
				return
			}
			s = s[n:]
		}
	}
}

// padded is the size a chunk of n values is padded to: n itself up to 8,
// then the next power of two up to 256, then chunkSize.
func padded(n int) int {
	if n <= 8 {
		return n
	}
	p := 16
	for p < n && p < 256 {
		p *= 2
	}
	if p < n {
		return chunkSize
	}
	return p
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// rebind turns ? placeholders into $1, $2, … for PostgreSQL.
func rebind(d sqldialect.Dialect, q string) string { return sqlschema.Rebind(d, q) }
