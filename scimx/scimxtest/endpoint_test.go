package scimxtest_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// The kit passes an app built with scimx, with every hook.
func TestEndpointScimx(t *testing.T) {
	s := scimxtest.NewServer(t, scimx.ServerOptions{})
	scimxtest.TestEndpoint(t, s.Endpoint())
}

// An Endpoint the kit cannot use is an error, and nothing is sent.
func TestCheckEndpointRefusesABadEndpoint(t *testing.T) {
	tests := []struct {
		name, reason string
		e            scimxtest.Endpoint
	}{
		{"no URL", "there is nothing to check", scimxtest.Endpoint{Tenant: scimxtest.Bearer("t")}},
		{"not HTTP", "the kit speaks HTTP", scimxtest.Endpoint{URL: "ftp://example.com/scim", Tenant: scimxtest.Bearer("t")}},
		{"no tenant", "a SCIM endpoint answers only authenticated requests", scimxtest.Endpoint{URL: "http://127.0.0.1:1/scim/v2"}},
		{"too few users", "the request sequences need five members", scimxtest.Endpoint{URL: "http://127.0.0.1:1/scim/v2", Tenant: scimxtest.Bearer("t"), Users: []string{"u1"}}},
		{"too few other users", "the checks of R16 need two members", scimxtest.Endpoint{URL: "http://127.0.0.1:1/scim/v2", Tenant: scimxtest.Bearer("t"), OtherUsers: []string{"u1"}}},
	}
	tabletest.Check(t, tests)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := scimxtest.CheckEndpoint(t.Context(), tc.e, nil)
			if !errors.Is(err, scimxtest.ErrBadEndpoint) || res != nil {
				t.Errorf("CheckEndpoint = %v, %v; want ErrBadEndpoint and no results (%s)", res, err, tc.reason)
			}
		})
	}
}

// Summarize counts each check under every client it stands for, and the
// checks of no client under "".
func TestSummarize(t *testing.T) {
	results := []scimxtest.Result{
		{Check: "a", Clients: []string{scimxtest.OktaCatalog, scimxtest.Entra}, Outcome: scimxtest.Passed},
		{Check: "b", Clients: []string{scimxtest.Entra}, Outcome: scimxtest.Failed},
		{Check: "c", Outcome: scimxtest.Skipped},
	}
	want := []scimxtest.ClientSummary{
		{Client: scimxtest.OktaCatalog, Passed: []string{"a"}},
		{Client: scimxtest.Entra, Passed: []string{"a"}, Failed: []string{"b"}},
		{Client: "", Skipped: []string{"c"}},
	}
	if d := cmp.Diff(want, scimxtest.Summarize(results)); d != "" {
		t.Errorf("Summarize (-want +got):\n%s", d)
	}
}
