package scimx_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// Bad input: every refusal is a SCIM error with the right status, and
// nothing in a refused request applies.

// badState is every stored group of both tenants, by tenant and id.
func badState(t *testing.T, s *testServer) map[string]isoGroup {
	t.Helper()
	out := map[string]isoGroup{}
	for _, tenant := range []string{"a", "b"} {
		var ids []string
		err := s.Store.View(context.Background(), tenant, func(tx scimx.Tx) error {
			recs, err := tx.Groups()
			for _, r := range recs {
				ids = append(ids, r.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			out[tenant+"/"+id] = isoSnapshot(t, s, tenant, id)
		}
	}
	return out
}

// badRow is a request that must be refused and change nothing.
type badRow struct {
	name     string
	reason   string
	method   string
	path     string // {eng} and {lead} stand for the groups' ids, here and in body
	body     string
	header   []string
	status   int
	scimType string // checked when not empty
	detail   string // a word the detail must hold, when not empty
}

const coreGroup = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`

func runBadRows(t *testing.T, s *testServer, ids *strings.Replacer, rows []badRow) {
	t.Helper()
	tabletest.Check(t, rows)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			before := badState(t, s)
			path, body := ids.Replace(r.path), ids.Replace(r.body)
			got := s.do(t, r.method, path, body, r.header...)
			if got.status != r.status {
				t.Errorf("%s %s: status %d, want %d: %s\nbody %s", r.method, path, got.status, r.status, r.reason, got.raw)
			}
			wireSCIMError(t, got, r.status, r.scimType)
			if detail, _ := got.body["detail"].(string); r.detail != "" && !strings.Contains(detail, r.detail) {
				t.Errorf("detail %q does not mention %q", detail, r.detail)
			}
			if d := cmp.Diff(before, badState(t, s)); d != "" {
				t.Errorf("%s %s was refused but changed groups (%s) (-before +after):\n%s", r.method, path, r.reason, d)
			}
		})
	}
}

func TestBadInputRequests(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", ExternalID: "00g1", Origin: origin.Source,
		Type: scimx.DefaultType, Members: group.NewMembers("u1", "u2")})
	lead := s.Put("a", appGroup("Leadership", "u7"))
	s.Put("b", appGroup("Engineering", "b1"))
	ids := strings.NewReplacer("{eng}", eng, "{lead}", lead)

	const ext = scimx.ExtensionSchema
	patch := wirePatch
	rows := []badRow{
		// Malformed JSON.
		{name: "SCIM/post-truncated-json", reason: "a body that is not JSON is invalidSyntax",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X"`, status: 400, scimType: "invalidSyntax"},
		{name: "SCIM/post-not-json", reason: "a body that is not JSON is invalidSyntax",
			method: "POST", path: "/Groups", body: `displayName=X`, status: 400, scimType: "invalidSyntax"},
		{name: "SCIM/post-empty", reason: "an empty body has no group in it",
			method: "POST", path: "/Groups", body: ``, status: 400},
		{name: "SCIM/post-array", reason: "a group is a JSON object",
			method: "POST", path: "/Groups", body: `[{` + coreGroup + `,"displayName":"X"}]`, status: 400},
		{name: "SCIM/post-trailing-garbage", reason: "a body with data after the object is not one JSON value",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X"} {"displayName":"Y"}`, status: 400},
		{name: "SCIM/put-trailing-garbage", reason: "a body with data after the object is not one JSON value",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[]} garbage`, status: 400},
		{name: "SCIM/patch-trailing-garbage", reason: "a body with data after the object is not one JSON value",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"add","path":"members","value":[{"value":"u9"}]}`) + `]`, status: 400},
		{name: "SCIM/put-truncated-json", reason: "a body that is not JSON is invalidSyntax",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[`, status: 400, scimType: "invalidSyntax"},
		{name: "SCIM/patch-truncated-json", reason: "a body that is not JSON is invalidSyntax",
			method: "PATCH", path: "/Groups/{eng}", body: `{"schemas":["` + patchOpURN + `"],"Operations":[{"op":"add","path":"members","value":[{"value":"u9"}]}`, status: 400, scimType: "invalidSyntax"},

		// Wrong JSON types.
		{name: "SCIM/post-displayName-number", reason: "displayName is a string",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":42}`, status: 400},
		{name: "SCIM/post-displayName-null", reason: "displayName is required",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":null}`, status: 400},
		{name: "SCIM/post-displayName-empty", reason: "an empty name is no name",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":""}`, status: 400},
		{name: "SCIM/post-displayName-control", reason: "a name with a control character is invalid",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"a\u0000b"}`, status: 400},
		{name: "SCIM/post-members-string", reason: "members is a list of member objects",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":"x"}`, status: 400},
		{name: "SCIM/post-members-numbers", reason: "a member is an object, not a number",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[1]}`, status: 400},
		{name: "SCIM/post-member-value-number", reason: "a member value is a string",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[{"value":42}]}`, status: 400},
		{name: "SCIM/post-externalId-number", reason: "externalId is a string",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","externalId":42}`, status: 400},
		{name: "SCIM/put-displayName-number", reason: "displayName is a string",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":42,"members":[]}`, status: 400},
		{name: "SCIM/put-members-string", reason: "members is a list of member objects; a PUT must not read it as empty",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":"x"}`, status: 400},
		{name: "SCIM/put-members-numbers", reason: "a member is an object; a PUT must not read it as empty",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[1]}`, status: 400},
		{name: "SCIM/patch-displayName-number", reason: "displayName is a string",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"displayName","value":42}`), status: 400},
		{name: "SCIM/patch-pathless-displayName-number", reason: "displayName is a string, with or without a path",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"displayName":42}}`), status: 400},
		{name: "SCIM/patch-displayName-empty", reason: "an empty name is no name",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"displayName","value":""}`), status: 400},
		{name: "SCIM/patch-members-string", reason: "members is a list of member objects",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"add","path":"members","value":"x"}`), status: 400},
		{name: "SCIM/patch-members-numbers", reason: "a member is an object",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"add","path":"members","value":[1]}`), status: 400},
		{name: "SCIM/patch-replace-members-string", reason: "a replace with a bad value must not clear the members",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"members","value":"x"}`), status: 400},
		{name: "SCIM/patch-externalId-number", reason: "externalId is a string",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"externalId","value":5}`), status: 400},

		// Members without a value.
		{name: "SCIM/post-member-without-value", reason: "a member is named by its value",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[{"display":"x"}]}`, status: 400, scimType: "invalidValue"},
		{name: "SCIM/post-member-empty-value", reason: "an empty value names no member",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[{"value":""}]}`, status: 400},
		{name: "SCIM/post-member-null-value", reason: "a null value names no member",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[{"value":null,"display":"x"}]}`, status: 400},
		{name: "SCIM/put-member-without-value", reason: "a member is named by its value",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[{"value":"u1"},{"display":"x"}]}`, status: 400, scimType: "invalidValue"},
		{name: "SCIM/patch-add-member-without-value", reason: "a member is named by its value",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"add","path":"members","value":[{"display":"x"}]}`), status: 400, scimType: "invalidValue"},
		{name: "SCIM/patch-remove-member-without-value", reason: "a Remove with values removes those values; without one it must not remove all",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"Remove","path":"members","value":[{"display":"x"}]}`), status: 400},
		{name: "SCIM/patch-pathless-member-without-value", reason: "a member is named by its value, with or without a path",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"members":[{"display":"x"}]}}`), status: 400},

		// Unknown operations and paths.
		{name: "SCIM/patch-op-move", reason: "move is no PATCH operation",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"move","path":"members","value":[{"value":"u9"}]}`), status: 400},
		{name: "SCIM/patch-op-empty", reason: "an operation needs an op",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"path":"members","value":[{"value":"u9"}]}`), status: 400},
		{name: "SCIM/patch-no-operations", reason: "a PATCH needs operations",
			method: "PATCH", path: "/Groups/{eng}", body: `{"schemas":["` + patchOpURN + `"],"Operations":[]}`, status: 400},
		{name: "SCIM/patch-no-schemas", reason: "a PATCH names the PatchOp schema",
			method: "PATCH", path: "/Groups/{eng}", body: `{"Operations":[{"op":"add","path":"members","value":[{"value":"u9"}]}]}`, status: 400},
		{name: "SCIM/patch-wrong-schema", reason: "a group is not a PatchOp",
			method: "PATCH", path: "/Groups/{eng}", body: `{` + coreGroup + `,"Operations":[{"op":"add","path":"members","value":[{"value":"u9"}]}]}`, status: 400},
		{name: "SCIM/patch-path-foo", reason: "foo is no attribute of a group",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"foo","value":"x"}`), status: 400, scimType: "invalidPath"},
		{name: "SCIM/patch-path-meta-version", reason: "meta is the server's",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"meta.version","value":"W/\"9\""}`), status: 400},
		{name: "SCIM/patch-path-id", reason: "the id never changes",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"id","value":"other"}`), status: 400},
		{name: "SCIM/patch-path-members-foo-filter", reason: "members have no foo",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"remove","path":"members[foo eq \"x\"]"}`), status: 400},
		{name: "SCIM/patch-path-member-display", reason: "a member's sub-attributes are not the push's to change",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"members[value eq \"u1\"].display","value":"x"}`), status: 400},
		{name: "SCIM/patch-add-members-filter", reason: "a members filter selects members to remove; an add by filter is meaningless",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"add","path":"members[value eq \"u1\"]","value":[{"value":"u9"}]}`), status: 400},
		{name: "SCIM/patch-remove-without-path", reason: "a remove needs a target",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"remove"}`), status: 400},
		{name: "SCIM/patch-remove-displayName", reason: "displayName is required",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"remove","path":"displayName"}`), status: 400},
		{name: "SCIM/patch-pathless-unknown-key", reason: "foo is no attribute of a group",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"displayName":"Eng","foo":"x"}}`), status: 400},
		{name: "SCIM/patch-pathless-not-object", reason: "an operation without a path takes an object",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":"Eng"}`), status: 400},
		{name: "SCIM/patch-unknown-group", reason: "an unknown id is 404",
			method: "PATCH", path: "/Groups/no-such-group", body: patch(`{"op":"add","path":"members","value":[{"value":"u9"}]}`), status: 404},
		{name: "SCIM/put-unknown-group", reason: "a PUT does not create",
			method: "PUT", path: "/Groups/no-such-group", body: `{` + coreGroup + `,"displayName":"New"}`, status: 404},
		{name: "SCIM/delete-unknown-group", reason: "an unknown id is 404",
			method: "DELETE", path: "/Groups/no-such-group", status: 404},

		{name: "SCIM/get-empty-id", reason: "no group has the empty id",
			method: "GET", path: "/Groups/", status: 404},
		{name: "SCIM/post-to-group", reason: "a group takes no POST",
			method: "POST", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"X"}`, status: 404},
		{name: "SCIM/lower-case-endpoint", reason: "endpoints are case-sensitive",
			method: "GET", path: "/groups", status: 404},
		{name: "SCIM/users", reason: "this server serves groups only",
			method: "GET", path: "/Users", status: 404},

		// R2: local attributes are the app's.
		{name: "R2/patch-path-groupType", reason: "groupType is the app's",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","path":"` + ext + `:groupType","value":"Teams"}`), status: 400},
		{name: "R2/patch-add-groupType", reason: "groupType is the app's, whatever the op",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"add","path":"` + ext + `:groupType","value":"Teams"}`), status: 400},
		{name: "R2/patch-remove-groupType", reason: "groupType is the app's, whatever the op",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"remove","path":"` + ext + `:groupType"}`), status: 400},
		{name: "R2/patch-path-origin", reason: "origin is set once, when the group is created",
			method: "PATCH", path: "/Groups/{lead}", body: patch(`{"op":"replace","path":"` + ext + `:origin","value":"source"}`), status: 400},
		{name: "R2/patch-pathless-extension", reason: "groupType is the app's, inside a path-less value too",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"` + ext + `":{"groupType":"Teams"}}}`), status: 400},
		{name: "R2/patch-pathless-extension-flat", reason: "groupType is the app's, as a flat URN key too",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"` + ext + `:groupType":"Teams"}}`), status: 400},
		{name: "R2/patch-pathless-name-and-extension", reason: "a request with one refused attribute applies none of the others",
			method: "PATCH", path: "/Groups/{eng}", body: patch(`{"op":"replace","value":{"displayName":"Eng","members":[{"value":"u9"}],"` + ext + `":{"groupType":"Teams"}}}`), status: 400},

		// R2: a PATCH is atomic; its last operation is the bad one.
		{name: "R2/atomic-local-attribute-last", reason: "the add and the rename before the refused op must not apply",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"replace","path":"displayName","value":"Eng"}`,
				`{"op":"replace","path":"`+ext+`:groupType","value":"Teams"}`), status: 400},
		{name: "R2/atomic-member-without-value-last", reason: "the add and the remove before the refused op must not apply",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"remove","path":"members[value eq \"u1\"]"}`,
				`{"op":"add","path":"members","value":[{"display":"x"}]}`), status: 400},
		{name: "R2/atomic-clear-then-bad", reason: "a replace that cleared the members must not apply",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"replace","path":"members","value":[]}`,
				`{"op":"replace","path":"externalId","value":5}`), status: 400},
		{name: "R2/atomic-unknown-path-last", reason: "the add before the refused op must not apply",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"replace","path":"foo","value":"x"}`), status: 400},
		{name: "R2/atomic-move-last", reason: "the add before the refused op must not apply",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"move","path":"members","value":[{"value":"u8"}]}`), status: 400},
		{name: "R2/atomic-conflicting-rename-last", reason: "a rename to a taken name fails the whole request",
			method: "PATCH", path: "/Groups/{eng}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"replace","path":"displayName","value":"Leadership"}`), status: 409, scimType: "uniqueness"},

		// R5: collisions.
		{name: "R5/put-rename-to-taken-name", reason: "two groups must not share a name by a rename",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Leadership","members":[{"value":"u1"}]}`, status: 409, scimType: "uniqueness"},
		{name: "R5/post-name-linked-elsewhere", reason: "a group linked to another externalId is never associated",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"Engineering","externalId":"00g-other","members":[{"value":"u9"}]}`, status: 409, scimType: "uniqueness"},

		// R7: app groups are not renamed or deleted over SCIM.
		{name: "R7/patch-rename-app-group", reason: "an app-created group is managed in the app",
			method: "PATCH", path: "/Groups/{lead}", body: patch(`{"op":"replace","value":{"id":"{lead}","displayName":"Leaders"}}`), status: 400, scimType: "mutability", detail: "app"},
		{name: "R7/patch-rename-app-group-with-members", reason: "the refused rename takes the membership change of the same request with it",
			method: "PATCH", path: "/Groups/{lead}", body: patch(
				`{"op":"add","path":"members","value":[{"value":"u9"}]}`,
				`{"op":"Replace","path":"displayName","value":"Leaders"}`), status: 400, scimType: "mutability", detail: "app"},
		{name: "R7/put-rename-app-group", reason: "an app-created group is managed in the app",
			method: "PUT", path: "/Groups/{lead}", body: `{` + coreGroup + `,"displayName":"Leaders","members":[{"value":"u7"}]}`, status: 400, scimType: "mutability", detail: "app"},
		{name: "R7/delete-app-group", reason: "an app-created group is managed in the app",
			method: "DELETE", path: "/Groups/{lead}", status: 400, scimType: "mutability", detail: "app"},
	}
	runBadRows(t, s, ids, rows)

	// The group is still usable after all that.
	wireCheck(t, s, "/Groups/"+eng, wireState{DisplayName: "Engineering", ExternalID: "00g1", Members: []string{"u1", "u2"},
		GroupType: scimx.DefaultType, Origin: "source"})
}

// A member resolver refuses unknown members: 400 invalidValue naming them,
// nothing changed. Ids of the tenant's groups are accepted without asking.
func TestBadInputUnknownMembers(t *testing.T) {
	known := map[string]bool{"u1": true, "u2": true, "u3": true}
	var asked [][]string
	s := newServer(t, scimx.ServerOptions{Members: func(_ context.Context, tenant string, ids []string) ([]string, error) {
		asked = append(asked, slices.Clone(ids))
		var unknown []string
		for _, id := range ids {
			if !known[id] || tenant != "a" {
				unknown = append(unknown, id)
			}
		}
		return unknown, nil
	}})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	child := s.Put("a", appGroup("Child"))
	ids := strings.NewReplacer("{eng}", eng)
	rows := []badRow{
		{name: "SCIM/post-unknown-members", reason: "the app does not know ghost1 and ghost2",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","members":[{"value":"u1"},{"value":"ghost1"},{"value":"ghost2"}]}`,
			status: 400, scimType: "invalidValue", detail: "ghost1"},
		{name: "SCIM/post-associating-unknown-members", reason: "an association with unknown members is refused too",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"Engineering","members":[{"value":"ghost2"}]}`,
			status: 400, scimType: "invalidValue", detail: "ghost2"},
		{name: "SCIM/patch-unknown-member", reason: "the known member of the same request is not added either",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"add","path":"members","value":[{"value":"u2"},{"value":"ghost1"}]}`),
			status: 400, scimType: "invalidValue", detail: "ghost1"},
		{name: "SCIM/patch-replace-unknown-member", reason: "a refused replace must not clear the members",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"replace","path":"members","value":[{"value":"ghost1"}]}`),
			status: 400, scimType: "invalidValue", detail: "ghost1"},
		{name: "SCIM/put-unknown-member", reason: "a PUT with an unknown member changes nothing",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[{"value":"u3"},{"value":"ghost3"}]}`,
			status: 400, scimType: "invalidValue", detail: "ghost3"},
		{name: "R16/other-tenant-resolver", reason: "tenant b knows none of these users",
			method: "POST", path: "/Groups", header: []string{"Authorization", "Bearer " + tokenB},
			body: `{` + coreGroup + `,"displayName":"X","members":[{"value":"u1"}]}`, status: 400, scimType: "invalidValue", detail: "u1"},
	}
	runBadRows(t, s, ids, rows)

	asked = nil
	s.do(t, "PATCH", "/Groups/"+eng, wirePatch(`{"op":"add","path":"members","value":[{"value":"u2"},{"value":"`+child+`"}]}`)).must(t, http.StatusNoContent)
	for _, call := range asked {
		if slices.Contains(call, child) {
			t.Errorf("the resolver was asked about the member group %s: %v", child, call)
		}
	}
	wireCheck(t, s, "/Groups/"+eng, wireState{DisplayName: "Engineering", Members: []string{"u1", "u2", child},
		GroupType: scimx.DefaultType, Origin: "source"})
	// Removing an unknown value needs no resolver.
	s.do(t, "PATCH", "/Groups/"+eng, wirePatch(`{"op":"Remove","path":"members","value":[{"value":"ghost1"}]}`)).must(t, http.StatusNoContent)
}

func TestBadInputCredentials(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	ids := strings.NewReplacer("{eng}", eng)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("a:"+tokenA))
	post := `{` + coreGroup + `,"displayName":"New","members":[{"value":"u1"}]}`
	patch := wirePatch(`{"op":"add","path":"members","value":[{"value":"u9"}]}`)
	creds := []struct{ name, reason, auth string }{
		{"empty", "no credentials", ""},
		{"scheme-only", "a scheme without a token", "Bearer"},
		{"empty-token", "an empty token never matches", "Bearer "},
		{"wrong-token", "an unknown token", "Bearer wrong"},
		{"token-prefix", "a prefix of a token is not the token", "Bearer " + tokenA[:len(tokenA)-1]},
		{"token-extended", "a token with more after it is not the token", "Bearer " + tokenA + "x"},
		{"no-scheme", "the server takes bearer tokens", tokenA},
		{"other-scheme", "the server takes bearer tokens", "Token " + tokenA},
		{"basic", "the server takes bearer tokens, not Basic", basic},
	}
	tabletest.Check(t, creds)
	var rows []badRow
	for _, c := range creds {
		h := []string{"Authorization", c.auth}
		for _, m := range []struct{ name, method, path, body string }{
			{"GET-list", "GET", "/Groups", ""}, {"GET", "GET", "/Groups/{eng}", ""}, {"POST", "POST", "/Groups", post},
			{"PATCH", "PATCH", "/Groups/{eng}", patch}, {"PUT", "PUT", "/Groups/{eng}", post}, {"DELETE", "DELETE", "/Groups/{eng}", ""},
		} {
			rows = append(rows, badRow{name: "SCIM/401/" + c.name + "/" + m.name, reason: c.reason,
				method: m.method, path: m.path, body: m.body, header: h, status: 401})
		}
	}
	rows = append(rows,
		badRow{name: "SCIM/401/before-body", reason: "credentials are checked before the body is read, so a huge body does not get a 413",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"New","externalId":"` + strings.Repeat("x", int(scimx.DefaultMaxBody)) + `"}`,
			header: []string{"Authorization", "Bearer wrong"}, status: 401},
		badRow{name: "SCIM/401/service-provider-config", reason: "every endpoint needs credentials",
			method: "GET", path: "/ServiceProviderConfig", header: []string{"Authorization", "Bearer wrong"}, status: 401},
	)
	runBadRows(t, s, ids, rows)

	// No Authorization header at all.
	req, err := http.NewRequest("GET", s.URL+"/Groups", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	wireSCIMError(t, r, http.StatusUnauthorized, "")
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without a WWW-Authenticate header")
	}

	// The scheme in another case is still a bearer token.
	s.do(t, "GET", "/Groups/"+eng, "", "Authorization", "bearer "+tokenA).must(t, http.StatusOK)
}

// If-Match: a stale version is 412 and changes nothing; the current one, a
// list holding it, or * succeed.
func TestBadInputIfMatch(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	type row struct {
		name    string
		reason  string
		method  string
		body    string
		ifMatch func(current string) string
		status  int
	}
	stale := func(string) string { return `W/"1"` }
	put := `{` + coreGroup + `,"displayName":"Engineering","members":[{"value":"u9"}]}`
	add := wirePatch(`{"op":"add","path":"members","value":[{"value":"u9"}]}`)
	rows := []row{
		{"SCIM/if-match/patch-stale", "the client edits a version that is gone", "PATCH", add, stale, 412},
		{"SCIM/if-match/put-stale", "the client replaces a version that is gone", "PUT", put, stale, 412},
		{"SCIM/if-match/delete-stale", "the client deletes a version that is gone", "DELETE", "", stale, 412},
		{"SCIM/if-match/patch-garbage", "a tag that names no version never matches", "PATCH", add, func(string) string { return `"nonsense"` }, 412},
		{"SCIM/if-match/patch-current", "the client edits the current version", "PATCH", add, func(c string) string { return c }, 204},
		{"SCIM/if-match/patch-current-strong", "weak comparison: the strong form of the tag names the same version", "PATCH", add,
			func(c string) string { return strings.TrimPrefix(c, "W/") }, 204},
		{"SCIM/if-match/patch-list", "a list holding the current tag matches", "PATCH", add, func(c string) string { return `W/"1", ` + c }, 204},
		{"SCIM/if-match/patch-star", "* matches any version", "PATCH", add, func(string) string { return "*" }, 204},
		{"SCIM/if-match/put-current", "the client replaces the current version", "PUT", put, func(c string) string { return c }, 200},
		{"SCIM/if-match/delete-current", "the client deletes the current version", "DELETE", "", func(c string) string { return c }, 204},
	}
	tabletest.Check(t, rows)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			id := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
			defer func() {
				_ = s.Store.Update(context.Background(), "a", func(tx scimx.Tx) error { return tx.Delete(id) })
			}()
			// Move it past version 1 so that W/"1" is stale.
			s.do(t, "PATCH", "/Groups/"+id, wirePatch(`{"op":"add","path":"members","value":[{"value":"u2"}]}`)).must(t, http.StatusNoContent)
			cur := s.do(t, "GET", "/Groups/"+id, "").must(t, http.StatusOK).header.Get("ETag")
			if cur == "" || cur == `W/"1"` {
				t.Fatalf("ETag after a change is %q", cur)
			}
			before := isoSnapshot(t, s, "a", id)
			got := s.do(t, r.method, "/Groups/"+id, r.body, "If-Match", r.ifMatch(cur))
			if got.status != r.status {
				t.Fatalf("%s with If-Match %s (current %s): status %d, want %d: %s\nbody %s", r.method, r.ifMatch(cur), cur, got.status, r.status, r.reason, got.raw)
			}
			if r.status == http.StatusPreconditionFailed {
				wireSCIMError(t, got, r.status, "")
				if d := cmp.Diff(before, isoSnapshot(t, s, "a", id)); d != "" {
					t.Errorf("refused %s changed the group (-before +after):\n%s", r.method, d)
				}
				return
			}
			if r.method == "DELETE" {
				wireSCIMError(t, s.do(t, "GET", "/Groups/"+id, ""), http.StatusNotFound, "")
				return
			}
			after := s.do(t, "GET", "/Groups/"+id, "").must(t, http.StatusOK)
			if !slices.Contains(memberValues(t, after), "u9") || after.header.Get("ETag") == cur {
				t.Errorf("%s with a matching If-Match: members %v, ETag %s (was %s); want u9 added and a new ETag",
					r.method, memberValues(t, after), after.header.Get("ETag"), cur)
			}
		})
	}
}

// Bodies over the limit are answered 413 by the middleware, whether the
// Content-Length says so or the body is chunked, and nothing applies.
func TestBadInputHugeBody(t *testing.T) {
	const limit = 1 << 10
	s := newServer(t, scimx.ServerOptions{MaxBody: limit})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})

	members := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"value":"user-` + itoa(i) + `"}`)
		}
		return "[" + b.String() + "]"
	}
	bigPost := `{` + coreGroup + `,"displayName":"Big","members":` + members(200) + `}`
	bigPatch := wirePatch(`{"op":"add","path":"members","value":` + members(200) + `}`)
	bigPut := `{` + coreGroup + `,"displayName":"Engineering","members":` + members(200) + `}`
	type row struct {
		name, reason       string
		method, path, body string
		chunked            bool
		auth               string
		status             int
	}
	rows := []row{
		{"SCIM/413/post", "the Content-Length is over the limit", "POST", "/Groups", bigPost, false, "", 413},
		{"SCIM/413/post-chunked", "the chunked body grows over the limit", "POST", "/Groups", bigPost, true, "", 413},
		{"SCIM/413/patch", "the Content-Length is over the limit", "PATCH", "/Groups/" + eng, bigPatch, false, "", 413},
		{"SCIM/413/patch-chunked", "the chunked body grows over the limit", "PATCH", "/Groups/" + eng, bigPatch, true, "", 413},
		{"SCIM/413/put", "the Content-Length is over the limit", "PUT", "/Groups/" + eng, bigPut, false, "", 413},
		{"SCIM/413/put-chunked", "the chunked body grows over the limit", "PUT", "/Groups/" + eng, bigPut, true, "", 413},
		{"SCIM/413/unauthenticated", "credentials come first: a stranger learns nothing about the limit", "POST", "/Groups", bigPost, true, "Bearer wrong", 401},
	}
	tabletest.Check(t, rows)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if len(r.body) <= limit {
				t.Fatalf("test body of %d bytes is within the limit", len(r.body))
			}
			before := badState(t, s)
			var body io.Reader = strings.NewReader(r.body)
			if r.chunked {
				body = io.MultiReader(body) // unknown length: sent in chunks
			}
			req, err := http.NewRequest(r.method, s.URL+r.path, body)
			if err != nil {
				t.Fatal(err)
			}
			auth := r.auth
			if auth == "" {
				auth = "Bearer " + tokenA
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v (%s)", r.method, r.path, err, r.reason)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			got := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
			if err := json.Unmarshal(raw, &got.body); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, raw)
			}
			if got.status != r.status {
				t.Errorf("status %d, want %d: %s", got.status, r.status, r.reason)
			}
			wireSCIMError(t, got, r.status, "")
			if d := cmp.Diff(before, badState(t, s)); d != "" {
				t.Errorf("refused %s changed groups (-before +after):\n%s", r.method, d)
			}
		})
	}

	// A body within the limit goes through.
	small := `{` + coreGroup + `,"displayName":"Small","members":` + members(5) + `}`
	if len(small) > limit {
		t.Fatalf("small body has %d bytes", len(small))
	}
	s.do(t, "POST", "/Groups", small).must(t, http.StatusCreated)

	// The default limit of 16 MiB, over HTTP.
	t.Run("SCIM/413/default-limit", func(t *testing.T) {
		d := newServer(t, scimx.ServerOptions{})
		body := `{` + coreGroup + `,"displayName":"Huge","externalId":"` + strings.Repeat("x", int(scimx.DefaultMaxBody)) + `"}`
		wireSCIMError(t, d.do(t, "POST", "/Groups", body), http.StatusRequestEntityTooLarge, "")
		if p := wireList(t, d.do(t, "GET", "/Groups", "")); p.total != 0 {
			t.Errorf("the refused POST created %v", p.ids)
		}
	})
}

// hostileQueries are list queries a client may send in error or malice:
// each is answered with a SCIM error or a 200 ListResponse, never a 500 or a
// dropped connection. status 0 means either is fine.
func hostileQueries() []struct {
	name, reason, query string
	status              int
	names               []string // for a 200, the names of the groups it must find, when not nil
} {
	deep := func(n int, open, inner, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	var ors []string
	for i := range 2000 {
		ors = append(ors, `displayName eq "g`+itoa(i)+`"`)
	}
	long := strings.Repeat("x", 100_000) // over the filter length limit (R18)
	longest := strings.Repeat("x", 1024) // the longest value a group holds
	f := func(s string) string { return "filter=" + url.QueryEscape(s) }
	return []struct {
		name, reason, query string
		status              int
		names               []string
	}{
		{"SCIM/filter/deep-parens", "2000 levels of grouping are over the depth limit (R18): invalidFilter before the parser recurses",
			f(deep(2000, "(", `displayName eq "Engineering"`, ")")), 400, nil},
		{"SCIM/filter/deep-not", "2000 nested nots are over the depth limit (R18): invalidFilter, never a 500 or an exhausted stack", f(deep(2000, "not (", `displayName eq "Engineering"`, ")")), 400, nil},
		{"SCIM/filter/depth-at-limit", "32 levels of grouping, the default depth limit, are parsed and answered",
			f(deep(32, "(", `displayName eq "Engineering"`, ")")), 200, []string{"Engineering"}},
		{"SCIM/filter/deep-not-even", "an even number of nots is the filter itself",
			f(deep(10, "not (", `displayName eq "Engineering"`, ")")), 200, []string{"Engineering"}},
		{"SCIM/filter/long-or", "2000 alternatives are over the filter length limit (R18), which keeps the parser's work per request small", f(strings.Join(ors, " or ")), 400, nil},
		{"SCIM/filter/long-and", "2000 conjuncts are over the filter length limit (R18)", f(strings.Join(ors, " and ")), 400, nil},
		{"SCIM/filter/many-or", "100 alternatives fit within the length limit and are answered", f(strings.Join(ors[:100], " or ")), 200, []string{}},
		{"SCIM/filter/deep-members", "grouping nests inside a members[...] value filter too, and counts towards the depth limit: 50 levels are invalidFilter", f(`members[` + deep(50, "(", `value eq "u1"`, ")") + `]`), 400, nil},
		{"SCIM/filter/unknown-attribute", "foo is no attribute of a group", f(`foo eq "x"`), 400, nil},
		{"SCIM/filter/unknown-urn", "an attribute of a schema the server does not know is the client's error or matches nothing, never a 500", f(`urn:example:bogus:foo eq "x"`), 0, nil},
		{"SCIM/filter/members-eq", "Entra's membership test compares member values", f(`members eq "u1"`), 200, []string{"Engineering"}},
		{"SCIM/filter/externalId-eq-empty", "a group without an externalId has no value to compare (found by FuzzFilter: the index said none, a scan said all)", f(`externalId eq ""`), 200, []string{}},
		{"SCIM/filter/externalId-eq-empty-scan", "the same comparison in a filter that scans every group matches nothing either", f(`externalId eq "" or members pr`), 200, []string{"Engineering", "Leadership"}},
		{"SCIM/filter/externalId-ne", "ne compares values too: only Engineering has an externalId, and it is not x", f(`externalId ne "x"`), 200, []string{"Engineering"}},
		{"SCIM/filter/members-eq-none", "no match is 200 with an empty list, never 404: nobody has u404", f(`members eq "u404"`), 200, []string{}},
		{"SCIM/filter/members-value-eq", "the sub-attribute form of the membership test; it may be served or refused, but not with a 500", f(`members.value eq "u1"`), 0, nil},
		{"SCIM/filter/members-value-filter", "the value-path form of the membership test", f(`members[value eq "u7"]`), 200, []string{"Leadership"}},
		{"SCIM/filter/members-type", "member groups are of type Group, and no group here has a group as a member", f(`members[type eq "Group"]`), 200, []string{}},
		{"SCIM/filter/members-pr", "pr holds for a non-empty members attribute: Engineering and Leadership, not Empty", f(`members pr`), 200, []string{"Engineering", "Leadership"}},
		{"SCIM/filter/not-members-pr", "not (members pr) is the complement of members pr: only Empty", f(`not (members pr)`), 200, []string{"Empty"}},
		{"SCIM/filter/members-not-value", "a not inside a value filter may be served or refused, but not with a 500", f(`members[not (value eq "u1")]`), 0, nil},
		{"SCIM/filter/members-foo", "members have no foo", f(`members[foo eq "x"]`), 0, nil},
		{"SCIM/filter/foo-value-path", "a value path on an unknown attribute matches nothing", f(`foo[value eq "x"]`), 0, []string{}},
		{"SCIM/filter/displayName-gt-number", "comparing a string with a number is the client's mistake: a 400 or no match, never a 500", f(`displayName gt 5`), 0, nil},
		{"SCIM/filter/displayName-eq-number", "comparing a string with a number is the client's mistake: a 400 or no match, never a 500", f(`displayName eq 5`), 0, nil},
		{"SCIM/filter/displayName-eq-true", "comparing a string with a boolean is the client's mistake: a 400 or no match, never a 500", f(`displayName eq true`), 0, nil},
		{"SCIM/filter/displayName-eq-null", "null is no string to compare with: a 400 or no match, never a 500", f(`displayName eq null`), 0, nil},
		{"SCIM/filter/id-eq-huge-number", "1e400 overflows a float64; the overflow must not become a 500", f(`id eq 1e400`), 0, nil},
		{"SCIM/filter/id-eq-huge-integer", "an integer beyond int64 must not overflow into a 500", f(`id eq 123456789012345678901234567890`), 0, nil},
		{"SCIM/filter/meta-created-bad-date", "a date that does not parse is the client's mistake, never a 500", f(`meta.created gt "not a date"`), 0, nil},
		{"SCIM/filter/meta-created-date", "a well-formed date compared with meta.created is a legal filter; a server may serve or refuse it, not fail on it", f(`meta.created gt "2000-01-01T00:00:00Z"`), 0, nil},
		{"SCIM/filter/meta-lastModified-number", "comparing a date with a number is the client's mistake: a 400 or no match, never a 500", f(`meta.lastModified lt 5`), 0, nil},
		{"SCIM/filter/meta-version", "meta.version holds an ETag with quotes inside; filtering on it must not fail the server", f(`meta.version eq "W/\"1\""`), 0, nil},
		{"SCIM/filter/meta-foo", "an unknown sub-attribute of meta is the client's mistake or matches nothing, never a 500", f(`meta.foo eq "x"`), 0, nil},
		{"SCIM/filter/groupType", "a filter on the app's local groupType by its full URN may be served or refused, not fail", f(scimx.ExtensionSchema + `:groupType eq "Teams"`), 0, nil},
		{"SCIM/filter/origin-gt", "an ordering on the app's origin attribute may be served or refused, not fail", f(scimx.ExtensionSchema + `:origin gt "a"`), 0, nil},
		{"SCIM/filter/long-value", "a filter of 100,000 bytes is over the length limit (R18): invalidFilter", f(`displayName eq "` + long + `"`), 400, nil},
		{"SCIM/filter/longest-value", "a value as long as the longest name a group holds fits within the limits, and matches nothing here", f(`displayName eq "` + longest + `"`), 200, []string{}},
		{"SCIM/filter/long-sw", "a filter of 100,000 bytes is over the length limit (R18): invalidFilter", f(`displayName sw "` + long + `"`), 400, nil},
		{"SCIM/filter/long-attribute", "an attribute name of 10,000 bytes is over the length limit (R18)", f(strings.Repeat("a", 10_000) + ` eq "x"`), 400, nil},
		{"SCIM/filter/invalid-utf8", "bytes that are not UTF-8 cannot name a group: the filter is refused before the parser sees them (R18)", f("displayName eq \"\xff\xfe\""), 400, nil},
		{"SCIM/filter/lone-surrogate", "a lone surrogate escape would decode to U+FFFD and match a name it does not spell (R18)", f(`displayName eq "\ud800"`), 400, nil},
		{"SCIM/filter/surrogate-pair", "a surrogate pair escape is one character, and matches nothing here", f(`displayName eq "\ud83d\ude00"`), 200, []string{}},
		{"SCIM/filter/nul", "no group name holds a NUL, and no store may see one: refused or no match, never a 500", f("displayName eq \"\x00\""), 0, nil},
		{"SCIM/filter/escaped-quote", "a quote escaped as in a JSON string is part of the value, not its end; the filter parses", f(`displayName eq "a\"b"`), 0, nil},
		{"SCIM/filter/empty", "an empty filter is no filter or a syntax error, never a 500", "filter=", 0, nil},
		{"SCIM/filter/no-value", "eq needs a compare value: invalidFilter", f(`displayName eq`), 400, nil},
		{"SCIM/filter/unterminated", "a string without its closing quote does not parse: invalidFilter", f(`displayName eq "x`), 400, nil},
		{"SCIM/filter/dangling-and", "and needs two sides: invalidFilter", f(`displayName eq "x" and`), 400, nil},
		{"SCIM/filter/only-and", "and is no filter on its own: invalidFilter", f(`and`), 400, nil},
		{"SCIM/filter/unbalanced", "a ( without its ) does not parse: invalidFilter", f(`(displayName eq "x"`), 400, nil},
		{"SCIM/filter/upper-case", "operators and attribute names are case-insensitive", f(`DISPLAYNAME EQ "Engineering"`), 200, []string{"Engineering"}},
		{"SCIM/filter/case-exact-name", "names compare byte for byte", f(`displayName eq "engineering"`), 200, []string{}},
		{"SCIM/filter/path-traversal", "an id is compared as a string and never used as a path: no group has it", f(`id eq "../../etc/passwd"`), 200, []string{}},
		{"SCIM/filter/mixed", "grouping, and, or, not, pr and a value path together are answered, not a 500", f(`(displayName eq "Engineering" and members[value eq "u1"]) or not (externalId pr) and members eq "u7"`), 0, nil},
		{"SCIM/paging/count-negative", "RFC 7644 treats a negative count as 0; either that or a 400, never a 500", "count=-1", 0, nil},
		{"SCIM/paging/count-zero", "count zero asks for totals only", "count=0", 200, []string{}},
		{"SCIM/paging/count-text", "count is an integer: a count that does not parse is a 400", "count=abc", 400, nil},
		{"SCIM/paging/count-huge", "a count that overflows int64 is clamped or refused, never a 500", "count=99999999999999999999", 0, nil},
		{"SCIM/paging/start-zero", "startIndex below 1 is 1", "startIndex=0", 0, nil},
		{"SCIM/paging/start-negative", "RFC 7644 treats a startIndex below 1 as 1; either that or a 400, never a 500", "startIndex=-5", 0, nil},
		{"SCIM/paging/start-huge", "a startIndex that overflows int64 is clamped or refused, never a 500", "startIndex=99999999999999999999", 0, nil},
		{"SCIM/paging/start-past-end", "a startIndex past the last group is an empty page", "startIndex=1000000", 200, []string{}},
		{"SCIM/projection/unknown", "attributes=foo keeps id and schemas", "attributes=foo", 0, nil},
		{"SCIM/projection/exclude-unknown", "excluding foo excludes nothing", "excludedAttributes=members,foo,,", 0, nil},
		{"SCIM/projection/sub-attribute", "a projection onto a sub-attribute, members.value, is served or refused, never a 500", "attributes=members.value", 0, nil},
		{"SCIM/projection/both", "asking for displayName and excluding it is contradictory, but not fatal to the server", "attributes=displayName&excludedAttributes=displayName", 0, nil},
		{"SCIM/sort", "sorting is not supported and ignored", "sortBy=displayName&sortOrder=sideways", 0, nil},
	}
}

func TestBadInputHostileFilters(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	names := map[string]string{
		s.Put("a", group.Group{Name: "Engineering", ExternalID: "00g1", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1", "u2")}): "Engineering",
		s.Put("a", appGroup("Leadership", "u7")): "Leadership",
		s.Put("a", appGroup("Empty")):            "Empty",
	}
	before := badState(t, s)
	queries := hostileQueries()
	tabletest.Check(t, queries)
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			got := s.do(t, "GET", "/Groups?"+q.query, "")
			switch {
			case got.status >= 500:
				t.Fatalf("GET /Groups?%.200s: status %d (%s); body %s", q.query, got.status, q.reason, got.raw)
			case q.status != 0 && got.status != q.status:
				t.Fatalf("GET /Groups?%.200s: status %d, want %d (%s); body %.500s", q.query, got.status, q.status, q.reason, got.raw)
			case got.status != http.StatusOK:
				wireSCIMError(t, got, got.status, "")
				t.Logf("%d %v", got.status, got.body["scimType"])
				return
			}
			p := wireList(t, got)
			t.Logf("%d with %d groups", got.status, p.total)
			if q.names == nil {
				return
			}
			var found []string
			for _, id := range p.ids {
				found = append(found, names[id])
			}
			if d := cmp.Diff(sortedSlice(q.names), sortedSlice(found)); d != "" {
				t.Errorf("GET /Groups?%.200s (%s): groups (-want +got):\n%s", q.query, q.reason, d)
			}
		})
	}
	if d := cmp.Diff(before, badState(t, s)); d != "" {
		t.Errorf("list requests changed groups (-before +after):\n%s", d)
	}
}

// FuzzFilter sends arbitrary filters through GET /Groups: the answer is a
// SCIM error or a ListResponse, never a 500 or a broken connection, within
// a bounded time (R18); and a list holds exactly the groups that a
// reference evaluator written for the test ([refParse]) finds, wherever
// both accept the filter.
func FuzzFilter(f *testing.F) {
	s := newServer(f, scimx.ServerOptions{})
	child := s.Put("a", appGroup("Child", "u3"))
	s.Put("a", group.Group{Name: "Engineering", ExternalID: "00g1", Origin: origin.Source, Type: scimx.DefaultType,
		Members: group.NewMembers("u1", "u2", child)})
	s.Put("a", appGroup("Leadership", "u1"))
	s.Put("a", appGroup("Empty"))
	queries := hostileQueries()
	tabletest.Check(f, queries)
	for _, q := range queries {
		if v, err := url.ParseQuery(q.query); err == nil && v.Get("filter") != "" && len(v.Get("filter")) < 1000 {
			f.Add(v.Get("filter"))
		}
	}
	refs := refGroups(f, s)
	for _, seed := range []string{
		// WIRE.md's filters: Okta's and Entra's lookups, Entra's membership
		// probe, authentik's name lookup.
		`displayName eq "Leadership"`, `externalId eq "00g1"`, `id eq "` + child + `" and members eq "u3"`,
		`displayName eq "Engineering"`, `id eq "` + child + `"`,
		`id eq "` + child + `" and members eq "u3"`, `members[value eq "u1" or type eq "Group"]`,
		`members[value sw "u"] and not (displayName co "x")`, `meta.lastModified ge "2020-01-01T00:00:00Z"`,
		`displayName eq "a" or (externalId pr and not (members pr))`, `members.type eq "Group"`,
		`displayName sw "E" or displayName ew "p" and not (members[type eq "group"])`, `members[value eq "` + child + `" and type eq "Group"]`,
		`urn:ietf:params:scim:schemas:core:2.0:Group:displayName ge "F"`, scimx.ExtensionSchema + `:groupType eq "teams"`,
		scimx.ExtensionSchema + `:origin ne "source"`, `meta.resourceType eq "Group"`, `displayName eq "R\u0026D"`,
	} {
		f.Add(seed)
	}
	const bound = 5 * time.Second // a refused or answered filter takes milliseconds
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, filter string) {
		start := time.Now()
		defer func() {
			if elapsed := time.Since(start); elapsed > bound {
				t.Errorf("filter %.200q took %v, over %v", filter, elapsed, bound)
			}
		}()
		req, err := http.NewRequest("GET", s.URL+"/Groups?"+url.Values{"filter": {filter}}.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tokenA)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("filter %q: %v", filter, err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("filter %q: reading the answer: %v", filter, err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("filter %q: status %d; body %s", filter, res.StatusCode, raw)
		}
		var body struct{ Schemas []string }
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("filter %q: status %d, body is not JSON: %v\n%s", filter, res.StatusCode, err, raw)
		}
		want := "urn:ietf:params:scim:api:messages:2.0:ListResponse"
		if res.StatusCode != http.StatusOK {
			want = errorURN
		}
		if !slices.Contains(body.Schemas, want) {
			t.Fatalf("filter %q: status %d, body is not a %s: %s", filter, res.StatusCode, want, raw)
		}
		eval, ok := refParse(filter)
		if res.StatusCode != http.StatusOK || !ok {
			return
		}
		var page struct{ Resources []struct{ ID string } }
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatalf("filter %q: %v", filter, err)
		}
		var got, wantIDs []string
		for _, r := range page.Resources {
			got = append(got, r.ID)
		}
		for _, g := range refs {
			if eval(g) {
				wantIDs = append(wantIDs, g.id)
			}
		}
		if d := cmp.Diff(sortedSlice(wantIDs), sortedSlice(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("filter %q: groups (-reference +server):\n%s", filter, d)
		}
	})
}

// refGroups reads every group of tenant a for the reference evaluator.
func refGroups(tb testing.TB, s *testServer) []*refGroup {
	tb.Helper()
	var recs []scimx.Record
	err := s.Store.View(context.Background(), "a", func(tx scimx.Tx) error {
		all, err := tx.Groups()
		for _, r := range all {
			full, err := tx.Group(r.ID, true)
			if err != nil {
				return err
			}
			recs = append(recs, full)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	isGroup := map[string]bool{}
	for _, r := range recs {
		isGroup[r.ID] = true
	}
	var out []*refGroup
	for _, r := range recs {
		g := &refGroup{id: r.ID, externalID: r.ExternalID, name: r.Name, groupType: r.Type, origin: r.Origin.String(),
			version: `W/"` + itoa(int(r.Version)) + `"`, created: r.Created, modified: r.Modified}
		for _, m := range r.Members.Slice() {
			typ := "User"
			if isGroup[m] {
				typ = "Group"
			}
			g.members = append(g.members, refMember{m, typ})
		}
		out = append(out, g)
	}
	return out
}
