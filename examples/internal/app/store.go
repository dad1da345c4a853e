package app

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	_ "modernc.org/sqlite"             // the SQLite driver

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
)

// OpenStore opens the store a -db flag names: "memory" for the in-memory
// store, a postgres:// or postgresql:// URL for PostgreSQL, anything else a
// SQLite file. It migrates a database to the current schema. close releases
// it.
func OpenStore(ctx context.Context, spec string) (store scimx.Store, close func() error, err error) {
	if spec == "memory" {
		return &scimx.MemStore{}, func() error { return nil }, nil
	}
	driver, dsn, dialect := OpenSpec(spec)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	s := sqlstore.New(db, dialect)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open %s: %w", spec, err)
	}
	return s, db.Close, nil
}

// OpenSpec returns the database/sql driver, data source name and dialect of
// a -db value other than "memory". A SQLite file is opened in WAL mode with
// full synchronisation and a busy timeout, so that an acknowledged write
// survives the process being killed and writers wait for each other.
func OpenSpec(spec string) (driver, dsn string, d sqlstore.Dialect) {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		return "pgx", spec, sqlstore.Postgres
	}
	return "sqlite", "file:" + spec + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", sqlstore.SQLite
}
