package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver; the store imports none

	"github.com/groupsync/groupsync/sqldialect"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/sqlstore"
	"github.com/groupsync/groupsync/sync/targettest"
)

// A source keeps its links, last-pushed snapshots, statuses, last plan and
// lease in SQLite: open the database with a busy timeout and WAL mode,
// migrate the schema, and give the store to an Applier. The state outlives
// the process: a new store over the same file sees what the push recorded.
func ExampleStore() {
	dir, err := os.MkdirTemp("", "groupsync-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "push.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			log.Fatal(err)
		}
		if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil { // once, before any other use
			log.Fatal(err)
		}
		return db
	}

	ctx := context.Background()
	db := open()
	store := sqlstore.New(db, sqldialect.SQLite)
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	a := &sync.Applier{Target: &targettest.Target{}, Store: store}
	in := sync.Input{Desired: []sync.SourceGroup{{ID: "00g1", Name: "Engineering", Members: []string{"u1", "u2"}}}}
	if _, _, err := a.Sync(ctx, in); err != nil {
		log.Fatal(err)
	}
	db.Close()

	db = open() // as after a restart
	defer db.Close()
	state, err := sqlstore.New(db, sqldialect.SQLite).Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range state.Links {
		fmt.Printf("link %s -> %s, last pushed %q with %v\n", l.SourceID, l.TargetID, l.Pushed.Name, l.Pushed.Members.Slice())
	}
	for _, s := range state.Statuses {
		fmt.Printf("group %s was %s\n", s.Name, s.Outcome)
	}
	// Output:
	// link 00g1 -> g1, last pushed "Engineering" with [u1 u2]
	// group Engineering was created
}

// Many targets, many workers: one database holds the state of every app an
// identity provider pushes to, each under a target name of its own, and
// any number of workers, in any number of processes, push them at once.
// The lease of each target makes its pushes run one at a time. The same
// code runs on PostgreSQL with the driver "pgx", a postgres:// URL and
// sqldialect.Postgres.
func ExampleStore_ForTarget() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "groupsync-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	driver, url, dialect := "sqlite", "file:"+filepath.Join(dir, "push.db")+"?_pragma=busy_timeout(10000)", sqldialect.SQLite
	db, err := sql.Open(driver, url)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil { // SQLite only
		log.Fatal(err)
	}
	store := sqlstore.New(db, dialect)
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	apps := map[string]sync.Target{"15five": &targettest.Target{}, "slack": &targettest.Target{}}
	in := sync.Input{Desired: []sync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u1", "u2"}},
		{ID: "00g2", Name: "Leadership", Members: []string{"u1"}},
	}}
	var wg gosync.WaitGroup
	for range 3 { // three workers, each pushing every app
		for name, app := range apps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := &sync.Applier{Target: app, Store: store.ForTarget(name), LeaseWait: time.Minute}
				if _, _, err := a.Sync(ctx, in); err != nil {
					log.Fatal(err)
				}
			}()
		}
	}
	wg.Wait()

	for _, name := range []string{"15five", "slack"} {
		state, err := store.ForTarget(name).Load(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d links, %d groups on the app\n", name, len(state.Links), len(apps[name].(*targettest.Target).Groups()))
	}
	// Output:
	// 15five: 2 links, 2 groups on the app
	// slack: 2 links, 2 groups on the app
}
