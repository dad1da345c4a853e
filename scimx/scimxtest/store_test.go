package scimxtest_test

import (
	"testing"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

func TestMemStore(t *testing.T) {
	if err := scimxtest.TestStore(t.Context(), func() (scimx.Store, error) { return &scimx.MemStore{}, nil }); err != nil {
		t.Fatal(err)
	}
}
