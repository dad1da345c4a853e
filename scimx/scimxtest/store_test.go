package scimxtest_test

import (
	"testing"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

func TestMemStore(t *testing.T) {
	scimxtest.TestStore(t, func(*testing.T) scimx.Store { return &scimx.MemStore{} })
}
