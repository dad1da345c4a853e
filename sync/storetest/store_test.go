package storetest_test

import (
	"testing"

	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/storetest"
)

func TestMemStore(t *testing.T) {
	if err := storetest.TestStore(t.Context(), func() (groupsync.Store, error) { return &groupsync.MemStore{}, nil }); err != nil {
		t.Fatal(err)
	}
}
