// Package database opens the store an example's -db flag names: "memory",
// a SQLite file, or a PostgreSQL URL, with the drivers the examples use
// (modernc.org/sqlite and pgx). Both examples that keep state open it the
// same way, through [Open].
package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	_ "modernc.org/sqlite"             // the SQLite driver

	"github.com/groupsync/groupsync/sqldialect"
)

// The connection pools Open sets (R18): database/sql opens connections
// without bound, and after a burst of concurrent requests a process kept a
// descriptor on the SQLite file per connection, and an OS thread per
// connection that had blocked in a file write. A request holds one
// connection for the length of its transaction; others wait for one,
// until their context ends.
const (
	// SQLiteConns bounds a SQLite pool: SQLite runs one writer at a time
	// (WAL mode lets readers run beside it), so more connections only wait.
	SQLiteConns = 8
	// PostgresConns bounds a PostgreSQL pool: well within the server's
	// max_connections (100 by default) for a few replicas.
	PostgresConns = 16
	// idleTime closes a connection idle that long, so that a quiet
	// process holds few.
	idleTime = time.Minute
	// lifetime closes a PostgreSQL connection that old, so that a
	// replaced server or a failover is picked up.
	lifetime = 30 * time.Minute
)

// Open opens the store spec names. "memory" gives memory(), and closing it
// does nothing. A postgres:// or postgresql:// URL opens PostgreSQL, with a
// pool of [PostgresConns], and anything else a SQLite file, with a pool of
// [SQLiteConns], in WAL mode with synchronous=NORMAL and a busy timeout,
// so that an acknowledged write survives the process being killed and
// writers wait for each other (an OS crash or a power loss may lose the
// last commits; synchronous=FULL would keep them, at an fsync per commit);
// open then makes the store over the database (and migrates it), and
// closing the store closes the database.
func Open[S any](ctx context.Context, spec string, memory func() S, open func(context.Context, *sql.DB, sqldialect.Dialect) (S, error)) (store S, close func() error, err error) {
	return OpenPool(ctx, spec, Pool{SQLite: SQLiteConns, Postgres: PostgresConns}, memory, open)
}

// Pool is the size of one connection pool: its connections to a SQLite
// file and to PostgreSQL. A process that opens several pools on one
// database splits [SQLiteConns] and [PostgresConns] between them, so
// that the whole process stays within them.
type Pool struct {
	// SQLite and Postgres are the connections of the pool, at least 1.
	SQLite, Postgres int
}

// OpenPool is [Open] with a pool of the size p names.
func OpenPool[S any](ctx context.Context, spec string, p Pool, memory func() S, open func(context.Context, *sql.DB, sqldialect.Dialect) (S, error)) (store S, close func() error, err error) {
	if spec == "memory" {
		return memory(), func() error { return nil }, nil
	}
	driver, dsn, d := "sqlite", "file:"+spec+"?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)", sqldialect.SQLite
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		driver, dsn, d = "pgx", spec, sqldialect.Postgres
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return store, nil, err
	}
	conns := max(p.SQLite, 1)
	if d == sqldialect.Postgres {
		conns = max(p.Postgres, 1)
		db.SetConnMaxLifetime(lifetime)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(idleTime)
	if d == sqldialect.SQLite {
		// synchronous=NORMAL in WAL mode: a commit is written to the WAL
		// before it is acknowledged, so it survives the process being
		// killed (SIGKILL, crash_test.go); only an OS crash or a power
		// loss can take the last commits, which FULL would keep at the
		// price of an fsync per commit. Writers queue in the process
		// (scimx/sqlstore), so they do not spin on SQLite's lock.
		//
		// Once, before any other use: the file keeps the mode, and a
		// connection that switched a new file as it opened (a pragma in
		// the DSN) would fail with SQLITE_BUSY when another opened it at
		// the same moment.
		if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
			db.Close()
			return store, nil, fmt.Errorf("open %s: %w", spec, err)
		}
	}
	if store, err = open(ctx, db, d); err != nil {
		db.Close()
		return store, nil, fmt.Errorf("open %s: %w", spec, err)
	}
	return store, db.Close, nil
}
