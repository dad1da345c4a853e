package scimxtest_test

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// The in-memory store keeps the contract. A test of a store calls
// t.Fatal with the error, which names every check that failed.
func ExampleTestStore() {
	err := scimxtest.TestStore(context.Background(), func() (scimx.Store, error) {
		return &scimx.MemStore{}, nil
	})
	fmt.Println("TestStore:", err)
	// Output: TestStore: <nil>
}

// writableView is a store whose View transactions may write.
type writableView struct{ *scimx.MemStore }

func (s writableView) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.Update(ctx, tenant, f)
}

// A store whose View transactions may write fails the check of that rule.
// The error names each failed check, then lists its failures.
func ExampleTestStore_brokenStore() {
	err := scimxtest.TestStore(context.Background(), func() (scimx.Store, error) {
		return writableView{&scimx.MemStore{}}, nil
	})
	fmt.Println(err)
	// Output:
	// scimxtest: ViewIsReadOnly:
	// 	Create in View = <nil>, want ErrReadOnlyTx
}
