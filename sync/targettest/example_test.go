package targettest_test

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/sync/targettest"
)

// The in-memory target keeps the contract. TestTarget needs three members
// that the target accepts; a test of a target calls t.Fatal with the error,
// which lists every way the target fails the contract.
func ExampleTestTarget() {
	err := targettest.TestTarget(context.Background(), &targettest.Target{}, "u1", "u2", "u3")
	fmt.Println("TestTarget:", err)
	// Output: TestTarget: <nil>
}
