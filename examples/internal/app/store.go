package app

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/examples/internal/database"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
)

// OpenStore opens the store a -db flag names: "memory" for the in-memory
// store, else a database (see [database.Open]), migrated to the current
// schema. close releases it.
func OpenStore(ctx context.Context, spec string) (store scimx.Store, close func() error, err error) {
	if spec == "memory" {
		return &scimx.MemStore{}, func() error { return nil }, nil
	}
	db, postgres, err := database.Open(spec)
	if err != nil {
		return nil, nil, err
	}
	dialect := sqlstore.SQLite
	if postgres {
		dialect = sqlstore.Postgres
	}
	s := sqlstore.New(db, dialect)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open %s: %w", spec, err)
	}
	return s, db.Close, nil
}
