package sqlstore_test

import (
	"context"
	"database/sql"
	"os/exec"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// openSQLite opens a new SQLite database in a temporary directory.
func openSQLite(t testing.TB) *sql.DB { return sqlitePools(t, 1)[0] }

// openPostgres opens a fresh schema of the database GROUPSYNC_POSTGRES_URL
// names, or skips the test.
func openPostgres(t testing.TB) *sql.DB { return postgresPools(t, 1)[0] }

// sqlitePools opens n connection pools on one new SQLite database, as n
// processes would.
func sqlitePools(t testing.TB, n int) []*sql.DB { return pools(t, "sqlite", sqltest.SQLiteDSN(t), n) }

// postgresPools opens n connection pools on one fresh schema.
func postgresPools(t testing.TB, n int) []*sql.DB { return pools(t, "pgx", sqltest.PostgresDSN(t), n) }

func pools(t testing.TB, driver, dsn string, n int) []*sql.DB {
	out := make([]*sql.DB, n)
	for i := range out {
		out[i] = sqltest.Open(t, driver, dsn)
	}
	return out
}

func newStore(t testing.TB, db *sql.DB, d sqldialect.Dialect) *sqlstore.Store {
	t.Helper()
	s := sqlstore.New(db, d)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLite(t *testing.T) {
	err := scimxtest.TestStore(t.Context(), func() (scimx.Store, error) {
		s := sqlstore.New(openSQLite(t), sqldialect.SQLite)
		return s, s.Migrate(t.Context())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostgres(t *testing.T) {
	openPostgres(t) // skips without a database
	err := scimxtest.TestStore(t.Context(), func() (scimx.Store, error) {
		s := sqlstore.New(openPostgres(t), sqldialect.Postgres)
		return s, s.Migrate(t.Context())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := openSQLite(t)
	s := newStore(t, db, sqldialect.SQLite)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM groupsync_migrations WHERE component = 'scimx'`).Scan(&n); err != nil || n != 2 { // groups and members, then the change feed (R17)
		t.Errorf("migrations recorded: %d, %v", n, err)
	}
}

// The library imports no driver: the caller picks one.
func TestNoDriverImported(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/groupsync/groupsync/scimx/sqlstore").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	for _, driver := range []string{"modernc.org/sqlite", "github.com/jackc/pgx"} {
		if strings.Contains(string(out), driver) {
			t.Errorf("scimx/sqlstore depends on %s", driver)
		}
	}
}

// Replicas that start at once migrate a new database once between them.
func TestMigrateConcurrently(t *testing.T) {
	for _, d := range []struct {
		name    string
		pools   func(testing.TB, int) []*sql.DB
		dialect sqldialect.Dialect
	}{{"SQLite", sqlitePools, sqldialect.SQLite}, {"Postgres", postgresPools, sqldialect.Postgres}} {
		t.Run(d.name, func(t *testing.T) {
			dbs := d.pools(t, 4)
			errs := make(chan error, len(dbs))
			for _, db := range dbs {
				go func() { errs <- sqlstore.New(db, d.dialect).Migrate(context.Background()) }()
			}
			for range dbs {
				if err := <-errs; err != nil {
					t.Errorf("concurrent Migrate: %v", err)
				}
			}
		})
	}
}
