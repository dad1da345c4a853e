package storetest_test

import (
	"context"
	"fmt"
	"time"

	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/storetest"
)

// The in-memory store keeps the contract. A test of a store calls
// t.Fatal with the error, which names every check that failed.
func ExampleTestStore() {
	err := storetest.TestStore(context.Background(), func() (groupsync.Store, error) {
		return &groupsync.MemStore{}, nil
	})
	fmt.Println("TestStore:", err)
	// Output: TestStore: <nil>
}

// leaseless is a store that grants its lease to every owner.
type leaseless struct{ *groupsync.MemStore }

func (leaseless) Lease(context.Context, string, time.Duration) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// A store that grants its lease to every owner fails the two checks of the
// lease. The error names each failed check, then lists its failures.
func ExampleTestStore_brokenStore() {
	err := storetest.TestStore(context.Background(), func() (groupsync.Store, error) {
		return leaseless{&groupsync.MemStore{}}, nil
	})
	fmt.Println(err)
	// Output:
	// storetest: Lease:
	// 	Lease run-2 while run-1 holds the lease: got <nil>, want an error wrapping ErrLeaseHeld
	// 	Lease run-2 after run-1 took the lease again: got <nil>, want an error wrapping ErrLeaseHeld
	// 	Lease run-3 after run-1, a former holder, released it: got <nil>, want an error wrapping ErrLeaseHeld
	// storetest: LeaseExpires:
	// 	Lease run-3 after run-1, whose lease expired, released it: got <nil>, want an error wrapping ErrLeaseHeld
}
