package scimxtest_test

import (
	"testing"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// The kit passes an app built with scimx, with every hook.
func TestEndpointScimx(t *testing.T) {
	s := scimxtest.NewServer(t, scimx.ServerOptions{})
	scimxtest.TestEndpoint(t, s.Endpoint())
}
