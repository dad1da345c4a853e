package storetest_test

import (
	"testing"

	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.TestStore(t, func(*testing.T) groupsync.Store { return &groupsync.MemStore{} })
}
