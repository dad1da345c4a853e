package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

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
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "push.db")+
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if err != nil {
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
