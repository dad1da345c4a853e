package app

import (
	"context"
	"database/sql"
	"errors"

	"github.com/groupsync/groupsync/examples/internal/database"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// The pools [Open] opens on one database, which together stay within
// database.SQLiteConns and database.PostgresConns (R18): the groups', and
// the users' writes and reads apart (see [SQLUsers]).
var (
	groupsPool     = database.Pool{SQLite: database.SQLiteConns - 2, Postgres: database.PostgresConns - 4}
	usersWritePool = database.Pool{SQLite: 1, Postgres: 2}
	usersReadPool  = database.Pool{SQLite: 1, Postgres: 2}
)

// Stores are the app's stores in the database a -db flag names: its
// groups and its users.
type Stores struct {
	// Groups holds the groups and their change feed.
	Groups scimx.Store
	// Users holds the users.
	Users Users

	closers []func() error
}

// Close closes the stores' connections and returns the first error.
func (s *Stores) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Open opens the app's stores in the database spec names (see
// [database.Open]: "memory", a SQLite file or a postgres:// URL), migrated
// to the current schema: the groups (scimx/sqlstore, component "scimx")
// and the users ([SQLUsers], component "examples-users"). It returns the
// database's error.
func Open(ctx context.Context, spec string) (*Stores, error) {
	s := &Stores{}
	groups, closeGroups, err := database.OpenPool(ctx, spec, groupsPool, func() scimx.Store { return &scimx.MemStore{} },
		func(ctx context.Context, db *sql.DB, d sqldialect.Dialect) (scimx.Store, error) {
			st := sqlstore.New(db, d)
			return st, st.Migrate(ctx)
		})
	if err != nil {
		return nil, err
	}
	s.Groups, s.closers = groups, append(s.closers, closeGroups)
	if spec == "memory" {
		s.Users = NewMemUsers()
		return s, nil
	}
	type pool struct {
		db *sql.DB
		d  sqldialect.Dialect
	}
	asPool := func(ctx context.Context, db *sql.DB, d sqldialect.Dialect) (pool, error) { return pool{db, d}, nil }
	read, closeRead, err := database.OpenPool(ctx, spec, usersReadPool, func() pool { return pool{} }, asPool)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, closeRead)
	write, closeWrite, err := database.OpenPool(ctx, spec, usersWritePool, func() pool { return pool{} }, asPool)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, closeWrite)
	users := NewSQLUsers(write.db, read.db, write.d)
	if err := users.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.Users = users
	return s, nil
}
