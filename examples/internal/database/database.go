// Package database opens the database an example's -db flag names, with the
// drivers the examples use: modernc.org/sqlite and pgx.
package database

import (
	"database/sql"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	_ "modernc.org/sqlite"             // the SQLite driver
)

// Open opens spec: a postgres:// or postgresql:// URL for PostgreSQL,
// anything else a SQLite file. A SQLite file is opened in WAL mode with full
// synchronisation and a busy timeout, so that an acknowledged write
// survives the process being killed and writers wait for each other.
func Open(spec string) (db *sql.DB, postgres bool, err error) {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		db, err = sql.Open("pgx", spec)
		return db, true, err
	}
	db, err = sql.Open("sqlite", "file:"+spec+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	return db, false, err
}
