package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/sqldialect"
)

// R17 on a PostgreSQL server whose default isolation is REPEATABLE READ:
// the store's writers run READ COMMITTED all the same, so that one which
// waited for the tenant's lock numbers its event after the one before it.
// Under the server's default, the waiter's snapshot predates the lock and
// concurrent writes failed with duplicate keys.
func TestR17SequenceUnderARepeatableReadDefault(t *testing.T) {
	dsn := sqltest.PostgresDSN(t) + "&default_transaction_isolation=repeatable%20read"
	a := newStore(t, sqltest.Open(t, "pgx", dsn), sqldialect.Postgres)
	b := newStore(t, sqltest.Open(t, "pgx", dsn), sqldialect.Postgres)
	var level string
	db := sqltest.Open(t, "pgx", dsn)
	if err := db.QueryRow(`SHOW default_transaction_isolation`).Scan(&level); err != nil || level != "repeatable read" {
		t.Fatalf("the server's default isolation is %q (%v), want repeatable read for this test", level, err)
	}
	const writers, writes = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for w := range writers {
		store := a
		if w%2 == 1 {
			store = b
		}
		wg.Go(func() {
			for i := range writes {
				errs <- store.Update(context.Background(), "acme", func(tx scimx.Tx) error {
					rec, err := tx.Create(group.Group{Name: fmt.Sprintf("G %d %d", w, i), Origin: origin.Source})
					if err != nil {
						return err
					}
					_, err = tx.Append(scimx.FeedEvent{Group: rec.ID, Name: rec.Name, Kind: scimx.Created, Actor: scimx.BySource, Version: rec.Version})
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent write failed: %v", err)
		}
	}
	var evs []scimx.FeedEvent
	if err := a.View(context.Background(), "acme", func(tx scimx.Tx) (err error) {
		evs, err = tx.Events(0, writers*writes+1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(evs) != writers*writes {
		t.Fatalf("%d events, want %d", len(evs), writers*writes)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: the sequence has a gap or a repeat", i, e.Seq)
		}
	}
}
