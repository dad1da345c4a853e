// Package sqlschema holds what the SQL stores of the module share: the
// versioned migrations recorded in one table, groupsync_migrations, and the
// rewriting of ? placeholders for PostgreSQL.
package sqlschema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/groupsync/groupsync/sqldialect"
)

// Migrate applies the migrations of component that db lacks, in order:
// version i+1 is the statements of steps[i], run in one transaction that
// first claims the version, so that concurrent migrators (replicas starting
// at once) apply each version once. On SQLite it refuses a connection
// without a busy timeout, with which concurrent writers fail at once.
func Migrate(ctx context.Context, db *sql.DB, d sqldialect.Dialect, component string, steps [][]string) error {
	postgres := d == sqldialect.Postgres
	if !postgres {
		var ms int
		if err := db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&ms); err != nil {
			return fmt.Errorf("read busy timeout: %w", err)
		}
		if ms <= 0 {
			return errors.New("the SQLite connection has no busy timeout, so concurrent writers fail: open it with one, such as _pragma=busy_timeout(10000) in modernc.org/sqlite's DSN")
		}
	}
	err := InTx(ctx, db, d, func(tx *sql.Tx) error {
		if postgres {
			// Two concurrent CREATE TABLE IF NOT EXISTS can both try to
			// create the table on PostgreSQL; the lock makes one wait.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('migrations', 0))`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS groupsync_migrations (
			component TEXT NOT NULL,
			version   INTEGER NOT NULL,
			PRIMARY KEY (component, version)
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create table groupsync_migrations: %w", err)
	}
	for i, stmts := range steps {
		version := i + 1
		err := InTx(ctx, db, d, func(tx *sql.Tx) error {
			// Claiming the version first takes the write lock on SQLite
			// and, on PostgreSQL, makes a concurrent migrator wait for this
			// one and then find the version taken.
			q := Rebind(d, `INSERT INTO groupsync_migrations (component, version) VALUES (?, ?) ON CONFLICT DO NOTHING`)
			res, err := tx.ExecContext(ctx, q, component, version)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // applied before
			}
			for _, stmt := range stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

// InTx runs f in a transaction of db, a database of dialect d, and commits
// it if f succeeds; else it rolls it back.
//
// On PostgreSQL the transaction is READ COMMITTED whatever the server's
// default_transaction_isolation: a writer that waits for a lock (a
// tenant's advisory lock, a row's) then reads what the writer before it
// committed, as the stores' numbering (R17's MAX(seq)+1) and
// read-then-write steps need. Under REPEATABLE READ its snapshot would
// predate the lock, and concurrent writers would fail with unique or
// serialization errors.
//
// On SQLite a transaction begins DEFERRED: one that reads first and then
// writes cannot wait for the write lock (SQLite answers SQLITE_BUSY at once,
// whatever the busy timeout), since its snapshot may be stale by then. A
// writing f must therefore write first.
func InTx(ctx context.Context, db *sql.DB, d sqldialect.Dialect, f func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if d == sqldialect.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	// A panic in f rolls back too, so that the connection, and on SQLite
	// the database's write lock, is not held until ctx ends, or forever.
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Rebind rewrites the ? placeholders of query as $1, $2, … for PostgreSQL.
// Queries must hold no ? in literals.
func Rebind(d sqldialect.Dialect, query string) string {
	if d != sqldialect.Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
