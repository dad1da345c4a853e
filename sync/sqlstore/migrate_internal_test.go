package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqlschema"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/sqldialect"
	"github.com/groupsync/groupsync/sync"
)

// R20: migrating a database of version 1, which held one target, moves its
// links, snapshots, statuses, plan and lease under DefaultTarget.
func TestR20MigrationMovesOneTargetUnderTheDefaultName(t *testing.T) {
	for _, dl := range []struct {
		name, driver string
		d            sqldialect.Dialect
		dsn          func(testing.TB) string
	}{
		{"SQLite", "sqlite", sqldialect.SQLite, sqltest.SQLiteDSN},
		{"Postgres", "pgx", sqldialect.Postgres, sqltest.PostgresDSN},
	} {
		t.Run(dl.name, func(t *testing.T) {
			ctx := context.Background()
			db := sqltest.Open(t, dl.driver, dl.dsn(t))
			if err := sqlschema.Migrate(ctx, db, dl.d, component, migrations[:1]); err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, sqlschema.Rebind(dl.d, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			exec(`INSERT INTO sync_links (source_id, target_id, created, has_snapshot, snapshot_name) VALUES (?, ?, ?, ?, ?)`, "00g1", "t1", true, true, "Eng")
			exec(`INSERT INTO sync_members (source_id, member) VALUES (?, ?), (?, ?)`, "00g1", "u1", "00g1", "u2")
			exec(`INSERT INTO sync_statuses (source_id, target_id, name, last_attempt, forced, outcome, error, refused, last_success, pending_since)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, "00g1", "t1", "Eng", at.UnixNano(), false, "created", "", `["u9"]`, at.UnixNano(), nil)
			exec(`INSERT INTO sync_plan (id, plan) VALUES (1, ?)`, `{"MaxMembersPerRequest":7}`)
			exec(`INSERT INTO sync_lease (id, owner, expires) VALUES (1, ?, ?)`, "old-run", time.Now().Add(time.Hour).UnixNano())

			s := New(db, dl.d)
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate from version 1: %v", err)
			}
			st, err := s.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Links) != 1 || st.Links[0].Pushed == nil || !st.Links[0].Pushed.Members.Equal(group.NewMembers("u1", "u2")) || !st.Links[0].Created {
				t.Errorf("links after migration: %+v, want 00g1 with its snapshot", st.Links)
			}
			if len(st.Statuses) != 1 || st.Statuses[0].Outcome != sync.Created || !st.Statuses[0].LastAttempt.Equal(at) || len(st.Statuses[0].Refused) != 1 {
				t.Errorf("statuses after migration: %+v, want 00g1's", st.Statuses)
			}
			if st.LastPlan == nil || st.LastPlan.MaxMembersPerRequest != 7 {
				t.Errorf("plan after migration: %+v, want the stored one", st.LastPlan)
			}
			if _, err := s.Lease(ctx, "new-run", time.Hour); err == nil {
				t.Errorf("the lease of version 1 was lost in the migration")
			}
			if st, err := s.ForTarget("other").Load(ctx); err != nil || len(st.Links)+len(st.Statuses) != 0 || st.LastPlan != nil {
				t.Errorf("another target after migration: %+v (%v), want it empty", st, err)
			}
		})
	}
}
