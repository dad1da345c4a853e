package scimxtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// The kit passes an app built with scimx, with every hook, that serves
// Users beside Groups for Okta and Entra ID to connect.
func TestEndpointScimx(t *testing.T) {
	s := scimxtest.NewServer(t, scimx.ServerOptions{Resources: []scimx.ResourceType{{
		Name: "User", Endpoint: "/Users", Schema: scimx.UserSchema,
		Handler: listedUsers{scimxtest.TenantA: {"alice@example.com", "bob@example.com", "carol@example.com"}},
	}}})
	scimxtest.TestEndpoint(t, s.Endpoint())
}

// listedUsers are the userNames of each tenant's users, which it lists and
// reads, and nothing else: the least an app that provisions no users
// serves for Okta and Entra ID to connect. A user's id is its index.
type listedUsers map[string][]string

func (u listedUsers) resource(tenant string, i int) scimx.Resource {
	return scimx.Resource{ID: fmt.Sprint(i), Attributes: map[string]any{"userName": u[tenant][i], "active": true}}
}

func (u listedUsers) Create(context.Context, string, map[string]any) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: users are not provisioned here", scimx.ErrInvalidValue)
}

func (u listedUsers) Get(_ context.Context, tenant, id string) (scimx.Resource, error) {
	for i := range u[tenant] {
		if fmt.Sprint(i) == id {
			return u.resource(tenant, i), nil
		}
	}
	return scimx.Resource{}, fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
}

func (u listedUsers) List(_ context.Context, tenant string, q scimx.ListQuery) (scimx.ResourcePage, error) {
	var all []scimx.Resource
	for i, name := range u[tenant] {
		keep := true
		for _, f := range q.Filter {
			v, _ := f.Value.(string)
			switch f.Attr {
			case "userName":
				keep = keep && strings.EqualFold(name, v)
			case "id":
				keep = keep && fmt.Sprint(i) == v
			case "externalId":
				keep = false
			default:
				return scimx.ResourcePage{}, fmt.Errorf("%w: filter on %s", scimx.ErrInvalidFilter, f.Attr)
			}
		}
		if keep {
			all = append(all, u.resource(tenant, i))
		}
	}
	start := min(max(q.StartIndex, 1)-1, len(all))
	return scimx.ResourcePage{Total: len(all), Resources: all[start:min(start+q.Count, len(all))]}, nil
}

func (u listedUsers) Replace(context.Context, string, string, map[string]any) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: users are not provisioned here", scimx.ErrInvalidValue)
}

func (u listedUsers) Patch(context.Context, string, string, []scimx.PatchOp) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: users are not provisioned here", scimx.ErrInvalidPath)
}

func (u listedUsers) Delete(context.Context, string, string) error {
	return fmt.Errorf("%w: users are not provisioned here", scimx.ErrInvalidValue)
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
