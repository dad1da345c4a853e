package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/sqldialect"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/sqlstore"
	"github.com/groupsync/groupsync/sync/storetest"
)

var ctx = context.Background()

func newStore(t testing.TB, db *sql.DB, d sqldialect.Dialect) *sqlstore.Store {
	t.Helper()
	s := sqlstore.New(db, d)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// dialects runs f on SQLite and, where configured, PostgreSQL, with a
// function that returns the DSN of a new empty database.
func dialects(t *testing.T, f func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string)) {
	t.Run("SQLite", func(t *testing.T) { f(t, "sqlite", sqldialect.SQLite, sqltest.SQLiteDSN) })
	t.Run("Postgres", func(t *testing.T) {
		sqltest.PostgresDSN(t) // skips without a database
		f(t, "pgx", sqldialect.Postgres, sqltest.PostgresDSN)
	})
}

func TestStore(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		err := storetest.TestStore(t.Context(), func() (sync.Store, error) {
			s := sqlstore.New(sqltest.Open(t, driver, dsn(t)), d)
			return s, s.Migrate(t.Context())
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		db := sqltest.Open(t, driver, dsn(t))
		s := newStore(t, db, d)
		if err := s.Link(ctx, sync.Link{SourceID: "a", TargetID: "t1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM groupsync_migrations WHERE component = 'sync'`).Scan(&n); err != nil || n != 2 {
			t.Errorf("migrations recorded for sync: %d (%v), want 2, one per version", n, err)
		}
		st, err := s.Load(ctx)
		if err != nil || len(st.Links) != 1 {
			t.Errorf("after a second Migrate, Load = %d links (%v), want the 1 stored", len(st.Links), err)
		}
	})
}

// TestMigrateConcurrently runs Migrate from several stores at once, as
// several replicas starting together would.
func TestMigrateConcurrently(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		url := dsn(t)
		const n = 4
		errs := make(chan error, n)
		for range n {
			db := sqltest.Open(t, driver, url)
			go func() { errs <- sqlstore.New(db, d).Migrate(ctx) }()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		}
	})
}

// TestRestart checks that a new Store on the same database, in a new
// *sql.DB as after a restart, finds everything the first one stored, and
// that the lease holds between the two.
func TestRestart(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		url := dsn(t)
		db1 := sqltest.Open(t, driver, url)
		s1 := newStore(t, db1, d)
		at := time.Date(2025, 5, 6, 7, 8, 9, 10, time.UTC)
		if err := errors.Join(
			s1.Link(ctx, sync.Link{SourceID: "a", TargetID: "t1", Created: true, Pushed: &sync.Snapshot{Name: "Eng", Members: group.NewMembers("u1", "u2")}}),
			s1.Pushed(ctx, "a", sync.Change{Add: []string{"u3"}}),
			s1.SetStatus(ctx, sync.Status{SourceID: "a", Name: "Eng", LastAttempt: at, Outcome: sync.Created}),
			s1.SavePlan(ctx, sync.Plan{MaxMembersPerRequest: 5}),
		); err != nil {
			t.Fatal(err)
		}
		if _, err := s1.Lease(ctx, "replica-1", time.Hour); err != nil {
			t.Fatal(err)
		}
		db1.Close()

		s2 := newStore(t, sqltest.Open(t, driver, url), d)
		st, err := s2.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Links) != 1 || st.Links[0].Pushed == nil || !st.Links[0].Pushed.Members.Equal(group.NewMembers("u1", "u2", "u3")) || !st.Links[0].Created {
			t.Errorf("after restart, links = %+v, want a with members u1 u2 u3", st.Links)
		}
		if len(st.Statuses) != 1 || !st.Statuses[0].LastAttempt.Equal(at) {
			t.Errorf("after restart, statuses = %+v, want a's", st.Statuses)
		}
		if st.LastPlan == nil || st.LastPlan.MaxMembersPerRequest != 5 {
			t.Errorf("after restart, last plan = %+v, want the saved one", st.LastPlan)
		}
		_, err = s2.Lease(ctx, "replica-2", time.Hour)
		var le *sync.LeaseError
		if !errors.As(err, &le) || le.Owner != "replica-1" {
			t.Errorf("second replica's Lease = %v, want a LeaseError naming replica-1", err)
		}
	})
}

// TestSQLiteNeedsBusyTimeout checks that Migrate refuses a SQLite database
// opened without a busy timeout, on which concurrent writers would fail.
func TestSQLiteNeedsBusyTimeout(t *testing.T) {
	db := sqltest.Open(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "sync.db"))
	if err := sqlstore.New(db, sqldialect.SQLite).Migrate(ctx); err == nil {
		t.Errorf("Migrate without a busy timeout succeeded, want an error saying to set one")
	}
}

// TestNoDriverImported checks that the library leaves the choice of driver
// to its caller.
func TestNoDriverImported(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/groupsync/groupsync/sync/sqlstore").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "modernc.org/sqlite") || strings.HasPrefix(dep, "github.com/jackc/pgx") {
			t.Errorf("sync/sqlstore depends on the driver package %s", dep)
		}
	}
}
