package scimx_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

// recordingUsers is a Users handler that keeps what it was given: the
// attributes of the last POST or PUT, the operations of the last PATCH.
type recordingUsers struct {
	mu    sync.Mutex
	attrs map[string]any
	ops   []scimx.PatchOp
}

func (u *recordingUsers) Create(_ context.Context, _ string, attrs map[string]any) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.attrs = attrs
	return scimx.Resource{ID: "u1", Attributes: attrs, Version: 1}, nil
}

func (u *recordingUsers) Get(context.Context, string, string) (scimx.Resource, error) {
	return scimx.Resource{ID: "u1", Attributes: map[string]any{"userName": "ann"}, Version: 1}, nil
}

func (u *recordingUsers) List(context.Context, string, scimx.ListQuery) (scimx.ResourcePage, error) {
	return scimx.ResourcePage{}, nil
}

func (u *recordingUsers) Replace(_ context.Context, _, id string, attrs map[string]any) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.attrs = attrs
	return scimx.Resource{ID: id, Attributes: attrs, Version: 2}, nil
}

func (u *recordingUsers) Patch(_ context.Context, _, id string, ops []scimx.PatchOp) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ops = ops
	return scimx.Resource{ID: id, Attributes: map[string]any{"userName": "ann"}, Version: 2}, nil
}

func (u *recordingUsers) Delete(context.Context, string, string) error { return nil }

// Entra ID deactivates a user with {"op":"Replace","path":"active",
// "value":"False"}, a string where the User schema declares a boolean
// (WIRE.md). The service writes "True" and "False", in any letter case, as
// the booleans they spell where the schema has a boolean attribute, so
// that the app's handler gets a bool; every other string, and every other
// attribute, is left as the client sent it, and a string that spells no
// boolean is still refused by the schema.
func TestWireEntraStringBooleans(t *testing.T) {
	const user = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	tests := []entraRow{{
		name:   "Entra's deactivation",
		reason: "the string boolean Entra sends without aadOptscim062020 reaches the handler as false",
		method: "PATCH", body: userPatch(`{"op":"Replace","path":"active","value":"False"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: false,
	}, {
		name:   "a reactivation in lower case",
		reason: "letter case does not matter",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"active","value":"true"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: true,
	}, {
		name:   "a path with the schema's URN",
		reason: "urn:…:User:active names the same attribute",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:active","value":"FALSE"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: false,
	}, {
		name:   "a path-less replace",
		reason: "the value object's boolean attributes are rewritten, its strings are not",
		method: "PATCH", body: userPatch(`{"op":"replace","value":{"active":"False","displayName":"True"}}`), status: 200,
		got:  func(u *recordingUsers) any { return u.ops[0].Value },
		want: map[string]any{"active": false, "displayName": "True"},
	}, {
		name:   "a sub-attribute behind a filter",
		reason: "emails.primary is a boolean; the filter's own \"true\" stays in the path",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"emails[value eq \"true\"].primary","value":"True"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: true,
	}, {
		name:   "a string attribute spelled like a boolean",
		reason: "displayName is a string: \"False\" is a name like any other",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"displayName","value":"False"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: "False",
	}, {
		name:   "a string that spells no boolean",
		reason: "only true and false are rewritten; the schema refuses the rest as before",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"active","value":"no"}`), status: 400,
	}, {
		name:   "a POST",
		reason: "Entra's POSTs send booleans, but a string one is read the same way, in multi-valued complex attributes too",
		method: "POST", body: `{` + user + `,"userName":"ann","active":"True","displayName":"false","emails":[{"value":"ann@example.com","primary":"true"}]}`, status: 201,
		got: func(u *recordingUsers) any {
			return []any{u.attrs["active"], u.attrs["displayName"], u.attrs["emails"].([]any)[0].(map[string]any)["primary"]}
		},
		want: []any{true, "false", true},
	}, {
		name:   "a PUT",
		reason: "a replacement is a resource like a POST's",
		method: "PUT", body: `{` + user + `,"userName":"ann","active":"false"}`, status: 200,
		got: func(u *recordingUsers) any { return u.attrs["active"] }, want: false,
	}}
	runEntraRows(t, tests, scimx.EnterpriseUserSchema)
}

// A group's name that spells a boolean stays the string it is: Groups
// have no boolean attribute, and only the app's resource types are read
// for string booleans.
func TestWireStringBooleansLeaveGroupsAlone(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{Resources: []scimx.ResourceType{{Name: "User", Endpoint: "/Users",
		Schema: scimx.UserSchema, Handler: &recordingUsers{}}}})
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"True"}`).must(t, 201)
	id, _ := r.body["id"].(string)
	s.do(t, "PATCH", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"False"}]}`).must(t, 204)
	got := s.do(t, "GET", "/Groups/"+id, "").must(t, 200)
	if name := fmt.Sprint(got.body["displayName"]); name != "False" {
		t.Errorf("displayName %q, want the string False", name)
	}
}

// Entra ID's default attribute mapping writes the enterprise extension's
// manager as the manager's id, a plain string, where RFC 7643 declares a
// complex attribute ({"value":"<id>"}): in a POST or PUT body and in a
// PATCH whose path names it (WIRE.md). The SCIM library refuses the string
// with 400 before the handler, which failed the whole update, a
// deactivation in the same PATCH included; the service reads it as
// {"value":"<id>"}, so that the handler gets the shape every other client
// sends.
func TestWireEntraManagerString(t *testing.T) {
	const ent = scimx.EnterpriseUserSchema
	user := `"schemas":["` + scimx.UserSchema + `","` + ent + `"]`
	manager := map[string]any{"value": "m-42"}
	tests := []entraRow{{
		name:   "Entra's PATCH of manager",
		reason: "the default mapping's Add of the manager's id reaches the handler as {value: id}",
		method: "PATCH", body: userPatch(`{"op":"Add","path":"` + ent + `:manager","value":"m-42"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: manager,
	}, {
		name:   "manager beside a deactivation",
		reason: "one PATCH of Entra's carries both; the deactivation must not fail with the manager",
		method: "PATCH", body: userPatch(`{"op":"Replace","path":"active","value":"False"}`, `{"op":"Add","path":"`+ent+`:manager","value":"m-42"}`), status: 200,
		got: func(u *recordingUsers) any { return []any{u.ops[0].Value, u.ops[1].Value} }, want: []any{false, manager},
	}, {
		name:   "a path in another letter case",
		reason: "attribute names are case-insensitive",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"` + ent + `:Manager","value":"m-42"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: manager,
	}, {
		name:   "manager as RFC 7643 writes it",
		reason: "an object is left as it is",
		method: "PATCH", body: userPatch(`{"op":"Add","path":"` + ent + `:manager","value":{"value":"m-42"}}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: manager,
	}, {
		name:   "manager.value",
		reason: "a path to the sub-attribute takes the string itself",
		method: "PATCH", body: userPatch(`{"op":"Add","path":"` + ent + `:manager.value","value":"m-42"}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value }, want: "m-42",
	}, {
		name:   "a path-less PATCH with the extension's object",
		reason: "the extension's object in a value map is read as in a POST",
		method: "PATCH", body: userPatch(`{"op":"Add","value":{"` + ent + `":{"manager":"m-42"}}}`), status: 200,
		got: func(u *recordingUsers) any { return u.ops[0].Value.(map[string]any)[ent].(map[string]any)["manager"] }, want: manager,
	}, {
		name:   "Entra's POST",
		reason: "the extension's object of a POST body holds the manager's id as a string",
		method: "POST", body: `{` + user + `,"userName":"ann","active":true,"` + ent + `":{"department":"Sales","manager":"m-42"}}`, status: 201,
		got:  func(u *recordingUsers) any { return u.attrs[ent] },
		want: map[string]any{"department": "Sales", "manager": manager},
	}, {
		name:   "a PUT",
		reason: "a replacement is a resource like a POST's",
		method: "PUT", body: `{` + user + `,"userName":"ann","` + ent + `":{"manager":"m-42"}}`, status: 200,
		got: func(u *recordingUsers) any { return u.attrs[ent].(map[string]any)["manager"] }, want: manager,
	}, {
		name:   "a string for a complex attribute without a value",
		reason: "name has no value sub-attribute: a string for it is still refused by the schema",
		method: "PATCH", body: userPatch(`{"op":"replace","path":"name","value":"Ann"}`), status: 400,
	}, {
		name:   "a number for manager",
		reason: "only a string is read as an id; anything else is judged by the schema",
		method: "PATCH", body: userPatch(`{"op":"Add","path":"` + ent + `:manager","value":42}`), status: 400,
	}}
	runEntraRows(t, tests, ent)
}

// entraRow is a request of Entra's to the Users endpoint and what the
// app's handler must be given for it.
type entraRow struct {
	name, reason string
	method, body string
	status       int
	// got reads what the handler was given, and want is what it must be.
	got  func(u *recordingUsers) any
	want any
}

// runEntraRows sends each row's request to a service whose Users take the
// extension ext, on a handler of its own: a success must hand the handler
// want, a refusal must be 400 invalidValue and reach no handler.
func runEntraRows(t *testing.T, tests []entraRow, ext string) {
	t.Helper()
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := &recordingUsers{}
			s := newServer(t, scimx.ServerOptions{Resources: []scimx.ResourceType{{Name: "User", Endpoint: "/Users",
				Schema: scimx.UserSchema, Extensions: []string{ext}, Handler: users}}})
			path := "/Users"
			if tt.method != "POST" {
				path += "/u1"
			}
			r := s.do(t, tt.method, path, tt.body).must(t, tt.status)
			if tt.status >= 400 {
				if typ, _ := r.body["scimType"].(string); typ != "invalidValue" {
					t.Errorf("scimType %q, want invalidValue; body %s", typ, r.raw)
				}
				if users.ops != nil || users.attrs != nil {
					t.Errorf("a refused request reached the handler: %s", r.raw)
				}
				return
			}
			users.mu.Lock()
			defer users.mu.Unlock()
			if diff := cmp.Diff(tt.want, tt.got(users)); diff != "" {
				t.Errorf("the handler got (-want +got):\n%s", diff)
			}
		})
	}
}

// userPatch is a PatchOp body of ops.
func userPatch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}
