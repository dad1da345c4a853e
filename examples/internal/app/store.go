package app

import (
	"context"
	"database/sql"

	"github.com/groupsync/groupsync/examples/internal/database"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// OpenStore opens the store of the app's groups that a -db flag names (see
// [database.Open]), migrated to the current schema. close releases it.
func OpenStore(ctx context.Context, spec string) (store scimx.Store, close func() error, err error) {
	return database.Open(ctx, spec, func() scimx.Store { return &scimx.MemStore{} },
		func(ctx context.Context, db *sql.DB, d sqldialect.Dialect) (scimx.Store, error) {
			s := sqlstore.New(db, d)
			return s, s.Migrate(ctx)
		})
}
