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

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	_ "modernc.org/sqlite"             // the SQLite driver

	"github.com/groupsync/groupsync/sqldialect"
)

// Open opens the store spec names. "memory" gives memory(), and closing it
// does nothing. A postgres:// or postgresql:// URL opens PostgreSQL, and
// anything else a SQLite file, in WAL mode with full synchronisation and a
// busy timeout, so that an acknowledged write survives the process being
// killed and writers wait for each other; open then makes the store over
// the database (and migrates it), and closing the store closes the
// database.
func Open[S any](ctx context.Context, spec string, memory func() S, open func(context.Context, *sql.DB, sqldialect.Dialect) (S, error)) (store S, close func() error, err error) {
	if spec == "memory" {
		return memory(), func() error { return nil }, nil
	}
	driver, dsn, d := "sqlite", "file:"+spec+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", sqldialect.SQLite
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		driver, dsn, d = "pgx", spec, sqldialect.Postgres
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return store, nil, err
	}
	if store, err = open(ctx, db, d); err != nil {
		db.Close()
		return store, nil, fmt.Errorf("open %s: %w", spec, err)
	}
	return store, db.Close, nil
}
