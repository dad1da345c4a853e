package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the SQLite driver; the store imports none

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// An app keeps its groups in SQLite: open the database with a busy timeout
// and WAL mode, migrate the schema, and give the store to scimx.NewServer.
// Here the app itself creates a group and reads it back.
func ExampleStore() {
	dir, err := os.MkdirTemp("", "groupsync-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(8) // SQLite: one writer at a time, readers beside it in WAL mode

	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil { // once, before any other use
		log.Fatal(err)
	}
	store := sqlstore.New(db, sqldialect.SQLite)
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	var id string
	err = store.Update(ctx, "acme", func(tx scimx.Tx) error {
		rec, err := tx.Create(group.Group{Name: "Leadership", Origin: origin.Target, Type: "Teams",
			Members: group.NewMembers("u-dave", "u-carol")})
		id = rec.ID
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	err = store.View(ctx, "acme", func(tx scimx.Tx) error {
		rec, err := tx.Group(id, true)
		if err != nil {
			return err
		}
		fmt.Printf("%s: type %s, origin %s, version %d, members %v\n",
			rec.Name, rec.Type, rec.Origin, rec.Version, rec.Members.Slice())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// Leadership: type Teams, origin target, version 1, members [u-carol u-dave]
}
