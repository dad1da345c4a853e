// Package sqldialect names the SQL databases that the module's durable
// stores run on. Both stores, scimx/sqlstore (an app's groups) and
// sync/sqlstore (a source's links, snapshots and statuses), take the
// caller's *sql.DB and its [Dialect]:
//
//	groups := sqlstore.New(db, sqldialect.Postgres)
//
// The stores import no driver: the caller opens the database with the
// driver of its choice, such as modernc.org/sqlite or
// github.com/jackc/pgx/v5/stdlib.
package sqldialect

import "fmt"

// Dialect is the SQL dialect of a database.
type Dialect uint8

// The dialects.
const (
	// SQLite is SQLite 3, in WAL mode with a busy timeout (the stores
	// refuse a connection without one).
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL 12 or later.
	Postgres
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return fmt.Sprintf("Dialect(%d)", d)
}
