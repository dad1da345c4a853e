package scimx_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

// testUsers is a Users resource as an app would write one: users per
// tenant in memory, userName unique per tenant without regard to case.
type testUsers struct {
	mu    sync.Mutex
	users map[string]map[string]scimx.Resource // tenant → id → user
	ids   int
	calls int // calls that reached the handler
}

var _ scimx.ResourceHandler = (*testUsers)(nil)

func (u *testUsers) tenant(t string) map[string]scimx.Resource {
	u.calls++
	if u.users == nil {
		u.users = map[string]map[string]scimx.Resource{}
	}
	if u.users[t] == nil {
		u.users[t] = map[string]scimx.Resource{}
	}
	return u.users[t]
}

func userName(attrs map[string]any) string { s, _ := attrs["userName"].(string); return s }

func (u *testUsers) taken(users map[string]scimx.Resource, name, except string) bool {
	for id, r := range users {
		if id != except && strings.EqualFold(userName(r.Attributes), name) {
			return true
		}
	}
	return false
}

func (u *testUsers) Create(_ context.Context, tenant string, attrs map[string]any) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users := u.tenant(tenant)
	if u.taken(users, userName(attrs), "") {
		return scimx.Resource{}, fmt.Errorf("user %q exists: %w", userName(attrs), scimx.ErrConflict)
	}
	u.ids++
	r := scimx.Resource{ID: fmt.Sprintf("user-%d", u.ids), Attributes: maps.Clone(attrs), Version: 1}
	r.ExternalID, _ = attrs["externalId"].(string)
	delete(r.Attributes, "externalId")
	users[r.ID] = r
	return r, nil
}

func (u *testUsers) Get(_ context.Context, tenant, id string) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.tenant(tenant)[id]
	if !ok {
		return scimx.Resource{}, fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
	}
	return r, nil
}

func (u *testUsers) List(_ context.Context, tenant string, q scimx.ListQuery) (scimx.ResourcePage, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users := u.tenant(tenant)
	var match []scimx.Resource
	for _, id := range slices.Sorted(maps.Keys(users)) {
		r, ok := users[id], true
		for _, f := range q.Filter {
			v, _ := f.Value.(string)
			switch f.Attr {
			case "userName":
				ok = ok && strings.EqualFold(userName(r.Attributes), v)
			case "externalId":
				ok = ok && r.ExternalID == v
			default:
				return scimx.ResourcePage{}, fmt.Errorf("%w: no filter on %s", scimx.ErrInvalidFilter, f.Attr)
			}
		}
		if ok {
			match = append(match, r)
		}
	}
	start := min(q.StartIndex-1, len(match))
	return scimx.ResourcePage{Total: len(match), Resources: match[start:min(start+q.Count, len(match))]}, nil
}

func (u *testUsers) Replace(ctx context.Context, tenant, id string, attrs map[string]any) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users := u.tenant(tenant)
	r, ok := users[id]
	if !ok {
		return scimx.Resource{}, fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
	}
	if err := scimx.CheckIfMatch(ctx, r.Version); err != nil {
		return scimx.Resource{}, err
	}
	if u.taken(users, userName(attrs), id) {
		return scimx.Resource{}, fmt.Errorf("user %q exists: %w", userName(attrs), scimx.ErrConflict)
	}
	r.Attributes, r.Version = maps.Clone(attrs), r.Version+1
	delete(r.Attributes, "externalId")
	users[id] = r
	return r, nil
}

func (u *testUsers) Patch(ctx context.Context, tenant, id string, ops []scimx.PatchOp) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users := u.tenant(tenant)
	r, ok := users[id]
	if !ok {
		return scimx.Resource{}, fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
	}
	if err := scimx.CheckIfMatch(ctx, r.Version); err != nil {
		return scimx.Resource{}, err
	}
	attrs := maps.Clone(r.Attributes)
	for _, op := range ops {
		v := op.Value
		if m, ok := v.(map[string]any); ok && op.Path == "" {
			v = m["active"]
		} else if !strings.EqualFold(op.Path, "active") {
			return scimx.Resource{}, fmt.Errorf("%w: only active can be patched", scimx.ErrInvalidPath)
		}
		b, ok := v.(bool)
		if op.Op != "replace" || !ok {
			return scimx.Resource{}, fmt.Errorf("%w: active takes a boolean replace", scimx.ErrInvalidValue)
		}
		attrs["active"] = b
	}
	r.Attributes, r.Version = attrs, r.Version+1
	users[id] = r
	return r, nil
}

func (u *testUsers) Delete(ctx context.Context, tenant, id string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	users := u.tenant(tenant)
	r, ok := users[id]
	if !ok {
		return fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
	}
	if err := scimx.CheckIfMatch(ctx, r.Version); err != nil {
		return err
	}
	delete(users, id)
	return nil
}

const userSchemaJSON = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`

// usersServer starts a test server with Users beside Groups.
func usersServer(t *testing.T, opts scimx.ServerOptions) (*testServer, *testUsers) {
	t.Helper()
	users := &testUsers{}
	opts.Resources = []scimx.ResourceType{{Name: "User", Endpoint: "/Users", Schema: scimx.UserSchema,
		Extensions: []string{scimx.EnterpriseUserSchema}, Handler: users}}
	return newServer(t, opts), users
}

// Okta reads the Users endpoint when provisioning is saved, and Entra ID's
// Test Connection queries it with a random userName: both need a 200
// ListResponse, empty or not, from an app that serves Users beside Groups.
func TestUsersAnswerOktaAndEntraProbes(t *testing.T) {
	s, _ := usersServer(t, scimx.ServerOptions{})
	s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"alice@example.com","active":true}`).must(t, 201)
	s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"bob@example.com","active":true}`).must(t, 201)
	s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"carol@example.com","active":true}`).must(t, 201)

	// Okta, on save: the first two users.
	r := s.do(t, "GET", "/Users?startIndex=1&count=2", "").must(t, 200)
	if r.body["totalResults"] != float64(3) || r.body["itemsPerPage"] != float64(2) || r.body["startIndex"] != float64(1) {
		t.Errorf("Okta's save-time read: %s; want totalResults 3, itemsPerPage 2, startIndex 1", r.raw)
	}
	if res, _ := r.body["Resources"].([]any); len(res) != 2 {
		t.Errorf("Okta's save-time read holds %d Resources, want 2", len(res))
	}
	checkListResponse(t, r)

	// Entra ID's Test Connection: a userName no one has.
	var b [8]byte
	_, _ = rand.Read(b[:])
	random := fmt.Sprintf("%x", b)
	r = s.do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq "`+random+`"`), "").must(t, 200)
	if r.body["totalResults"] != float64(0) {
		t.Errorf("Entra's Test Connection: %s; want an empty ListResponse", r.raw)
	}
	checkListResponse(t, r)

	// Entra's lookup before it creates a user finds one regardless of case.
	r = s.do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq "Alice@Example.com"`), "").must(t, 200)
	if r.body["totalResults"] != float64(1) {
		t.Errorf("userName eq is case-insensitive (RFC 7643): %s", r.raw)
	}
	// The Groups endpoint still answers beside it.
	checkListResponse(t, s.do(t, "GET", "/Groups?startIndex=1&count=1", "").must(t, 200))
	types := s.do(t, "GET", "/ResourceTypes", "").must(t, 200)
	if !strings.Contains(types.raw, `"/Users"`) || !strings.Contains(types.raw, `"/Groups"`) {
		t.Errorf("/ResourceTypes lists %s, want Users and Groups", types.raw)
	}
}

func checkListResponse(t *testing.T, r reply) {
	t.Helper()
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
		t.Errorf("not a ListResponse: %s", r.raw)
	}
}

// A Users resource goes through the whole SCIM cycle: POST, GET, PUT,
// PATCH of active, DELETE, with the handler's errors answered by status.
func TestUsersLifecycle(t *testing.T) {
	s, _ := usersServer(t, scimx.ServerOptions{})
	r := s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"alice@example.com","externalId":"00u1","active":true,
		"name":{"givenName":"Alice","familyName":"Smith"},"emails":[{"value":"alice@example.com","primary":true}]}`).must(t, 201)
	id, _ := r.body["id"].(string)
	if r.body["externalId"] != "00u1" || r.header.Get("ETag") != `W/"1"` {
		t.Errorf("POST answered %s with ETag %s; want the externalId and W/\"1\"", r.raw, r.header.Get("ETag"))
	}
	s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"ALICE@example.com"}`).must(t, 409)
	s.do(t, "GET", "/Users/"+id, "").must(t, 200)
	s.do(t, "PUT", "/Users/"+id, `{`+userSchemaJSON+`,"userName":"alice@example.com","active":true}`).must(t, 200)
	r = s.do(t, "PATCH", "/Users/"+id, wirePatch(`{"op":"replace","value":{"active":false}}`)).must(t, 200)
	if r.body["active"] != false {
		t.Errorf("Okta's deactivation: %s, want active false", r.raw)
	}
	wireSCIMError(t, s.do(t, "PATCH", "/Users/"+id, wirePatch(`{"op":"replace","path":"userName","value":"x"}`)), 400, "invalidPath")
	s.do(t, "DELETE", "/Users/"+id, "").must(t, 204)
	wireSCIMError(t, s.do(t, "GET", "/Users/"+id, ""), 404, "")
}

// R16, R18: the app's resource types sit behind the same checks as Groups:
// credentials before the body, the tenant of the credentials, the limits,
// strict JSON and the id checks. A refused request never reaches the
// app's handler.
func TestR18UsersGetTheSameChecksAsGroups(t *testing.T) {
	s, users := usersServer(t, scimx.ServerOptions{MaxBody: 4096, Limits: scimx.Limits{FilterLength: 64}})
	alice := s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"alice@example.com"}`).must(t, 201)
	id, _ := alice.body["id"].(string)
	tests := []struct {
		name, reason string
		method, path string
		body         string
		header       []string
		status       int
		scimType     string
		reaches      bool // the request reaches the handler
	}{
		{"R18 no credentials", "credentials are checked before anything else, on every route",
			"GET", "/Users", "", []string{"Authorization", ""}, 401, "", false},
		{"R18 a wrong token", "a token no tenant has is refused, in constant time",
			"POST", "/Users", `{` + userSchemaJSON + `,"userName":"mallory"}`, []string{"Authorization", "Bearer nope"}, 401, "", false},
		{"R16 another tenant's user", "tenant b's handler call is scoped to b, which has no user of that id",
			"GET", "/Users/" + id, "", []string{"Authorization", "Bearer " + tokenB}, 404, "", true},
		{"R16 another tenant's list", "tenant b lists its own users: none",
			"GET", "/Users?filter=" + url.QueryEscape(`userName eq "alice@example.com"`), "", []string{"Authorization", "Bearer " + tokenB}, 200, "", true},
		{"R18 a filter over the length limit", "Limits.FilterLength (64 here) applies to every endpoint",
			"GET", "/Users?filter=" + url.QueryEscape(`userName eq "`+strings.Repeat("a", 80)+`"`), "", nil, 400, "invalidFilter", false},
		{"R18 duplicate keys", "a body with userName and UserName is refused, not read last-wins",
			"POST", "/Users", `{` + userSchemaJSON + `,"userName":"eve","UserName":"alice@example.com"}`, nil, 400, "invalidSyntax", false},
		{"R18 invalid UTF-8", "a userName is never stored with U+FFFD in place of what was sent",
			"POST", "/Users", `{` + userSchemaJSON + `,"userName":"eve\xff"}`, nil, 400, "invalidSyntax", false},
		{"R18 a body over MaxBody", "ServerOptions.MaxBody bounds every endpoint's bodies",
			"POST", "/Users", `{` + userSchemaJSON + `,"userName":"` + strings.Repeat("e", 5000) + `"}`, nil, 413, "", false},
		{"R18 a dot segment for an id", "an id is one path segment: /Users/.. is a 404, never a redirect to another resource",
			"GET", "/Users/..", "", nil, 404, "", false},
		{"R18 an encoded slash in an id", "%2F names no user",
			"DELETE", "/Users/a%2Fb", "", nil, 404, "", false},
		{"R18 a filter other than eq", "the handler gets equality comparisons only: anything else is 400 before it is asked",
			"GET", "/Users?filter=" + url.QueryEscape(`userName co "a"`), "", nil, 400, "invalidFilter", false},
		{"R18 an attribute outside the schema", "the SCIM library checks bodies against the User schema",
			"POST", "/Users", `{` + userSchemaJSON + `,"userName":"eve","active":"yes"}`, nil, 400, "", false},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users.mu.Lock()
			before := users.calls
			users.mu.Unlock()
			r := s.do(t, tt.method, tt.path, tt.body, tt.header...)
			if tt.status >= 400 {
				wireSCIMError(t, r, tt.status, tt.scimType)
			} else {
				r.must(t, tt.status)
				if r.body["totalResults"] != float64(0) {
					t.Errorf("tenant b sees %v of tenant a's users", r.body["totalResults"])
				}
			}
			users.mu.Lock()
			reached := users.calls > before
			users.mu.Unlock()
			if reached != tt.reaches {
				t.Errorf("the request reached the handler: %v, want %v (%s)", reached, tt.reaches, tt.reason)
			}
		})
	}
	if r := s.do(t, "GET", "/Users/"+id, "").must(t, 200); r.body["userName"] != "alice@example.com" {
		t.Errorf("after the refused requests alice is %s", r.raw)
	}
}

// NewServer refuses resource types it cannot serve as documented.
func TestNewServerRefusesBadResourceTypes(t *testing.T) {
	h := &testUsers{}
	auth := scimx.BearerTokens(map[string]string{"t": "a"})
	tests := []struct {
		name, reason string
		types        []scimx.ResourceType
	}{
		{"no handler", "a resource type without a handler could answer nothing",
			[]scimx.ResourceType{{Name: "User", Endpoint: "/Users", Schema: scimx.UserSchema}}},
		{"the Groups endpoint", "/Groups is the library's own, with the push rules",
			[]scimx.ResourceType{{Name: "Group2", Endpoint: "/groups", Schema: scimx.UserSchema, Handler: h}}},
		{"an endpoint of two segments", "the id checks need an endpoint of one path segment",
			[]scimx.ResourceType{{Name: "User", Endpoint: "/v2/Users", Schema: scimx.UserSchema, Handler: h}}},
		{"an unknown schema", "the SCIM library checks bodies against a schema it knows",
			[]scimx.ResourceType{{Name: "User", Endpoint: "/Users", Schema: "urn:example:Thing", Handler: h}}},
		{"an extension as the core schema", "the enterprise extension extends User; it is no resource of its own",
			[]scimx.ResourceType{{Name: "User", Endpoint: "/Users", Schema: scimx.EnterpriseUserSchema, Handler: h}}},
		{"two types at one endpoint", "one endpoint serves one resource type",
			[]scimx.ResourceType{{Name: "User", Endpoint: "/Users", Schema: scimx.UserSchema, Handler: h},
				{Name: "Person", Endpoint: "/users", Schema: scimx.UserSchema, Handler: h}}},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		if _, err := scimx.NewServer(&scimx.MemStore{}, scimx.ServerOptions{Auth: auth, Resources: tt.types}); err == nil {
			t.Errorf("%s: NewServer accepted it (%s)", tt.name, tt.reason)
		}
	}
}

// A PATCH path reaches the handler in the schema's spelling, as a filter's
// attributes do: without the core schema's URN, which clients such as
// Entra ID may write (urn:…:core:2.0:User:active is active), in the
// schema's letter case, an extension's attributes with their URN, and a
// filter as written. A handler that matched "active" and ignored the rest
// lost the deactivation of a path with the URN.
func TestPatchPathsArriveInTheSchemasSpelling(t *testing.T) {
	const core, ent = scimx.UserSchema, scimx.EnterpriseUserSchema
	tests := []struct{ name, reason, path, want string }{
		{"plain", "a path in the schema's spelling is left as it is", "active", "active"},
		{"core URN", "the core schema's URN names the resource's own attribute", core + ":active", "active"},
		{"core URN and a sub-attribute", "Entra writes name parts this way", core + ":name.givenName", "name.givenName"},
		{"letter case", "attribute names are case-insensitive; the handler gets the schema's", "NAME.GIVENNAME", "name.givenName"},
		{"core URN and a filter", "the filter is kept as written, the attribute and sub-attribute spelt",
			core + `:Emails[type eq "work"].Value`, `emails[type eq "work"].value`},
		{"extension", "an extension's attribute keeps its URN, as documented", ent + ":department", ent + ":department"},
		{"extension's sub-attribute", "the URN stays, the names are spelt", ent + ":Manager.Value", ent + ":manager.value"},
		{"externalId", "a common attribute", "externalid", "externalId"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := &recordingUsers{}
			s := newServer(t, scimx.ServerOptions{Resources: []scimx.ResourceType{{Name: "User", Endpoint: "/Users",
				Schema: core, Extensions: []string{ent}, Handler: users}}})
			value := `"x"`
			if strings.HasSuffix(strings.ToLower(tt.want), "active") {
				value = "false"
			}
			s.do(t, "PATCH", "/Users/u1", wirePatch(`{"op":"replace","path":`+quote(tt.path)+`,"value":`+value+`}`)).must(t, 200)
			users.mu.Lock()
			defer users.mu.Unlock()
			if len(users.ops) != 1 || users.ops[0].Path != tt.want {
				t.Errorf("the handler got %+v, want one operation with the path %q (%s)", users.ops, tt.want, tt.reason)
			}
		})
	}
}

// /ServiceProviderConfig advertises ETags, so If-Match binds the app's
// resource types too: a handler that checks scimx.CheckIfMatch in its
// write refuses a stale version with 412 (scimType absent, the current
// ETag in the detail) and changes nothing, and takes the current one, a
// list that holds it, or *, for PUT, PATCH and DELETE.
func TestUsersIfMatch(t *testing.T) {
	s, _ := usersServer(t, scimx.ServerOptions{})
	r := s.do(t, "POST", "/Users", `{`+userSchemaJSON+`,"userName":"ann@example.com","active":true}`).must(t, 201)
	id, _ := r.body["id"].(string)
	put := `{` + userSchemaJSON + `,"userName":"ann@example.com","active":true}`
	patch := wirePatch(`{"op":"replace","path":"active","value":false}`)
	tests := []struct {
		name, reason, method, body, ifMatch string
		status                              int
	}{
		{"PUT stale", "version 1 was replaced by 2", "PUT", put, `W/"1"`, 412},
		{"PUT current", "the current version is taken", "PUT", put, `W/"2"`, 200},
		{"PUT no longer current", "the PUT made version 3", "PUT", put, `W/"2"`, 412},
		{"PATCH stale", "a deactivation over a version the client has not seen is refused", "PATCH", patch, `W/"2"`, 412},
		{"PATCH in a list", "a list of tags that holds the current one matches", "PATCH", patch, `W/"1", W/"3"`, 200},
		{"PATCH strong tag", "If-Match compares weakly: a strong tag of the version matches", "PATCH", patch, `"4"`, 200},
		{"DELETE stale", "a delete over a version the client has not seen is refused", "DELETE", "", `W/"3"`, 412},
		{"DELETE any", "* matches any version", "DELETE", "", `*`, 204},
	}
	tabletest.Check(t, tests)
	s.do(t, "PUT", "/Users/"+id, put).must(t, 200) // no If-Match: version 2
	version := int64(2)
	for _, tt := range tests {
		got := s.do(t, tt.method, "/Users/"+id, tt.body, "If-Match", tt.ifMatch)
		if got.status != tt.status {
			t.Fatalf("%s: %s with If-Match %s: %d %s, want %d (%s)", tt.name, tt.method, tt.ifMatch, got.status, got.raw, tt.status, tt.reason)
		}
		if tt.status == 412 {
			if detail, _ := got.body["detail"].(string); !strings.Contains(detail, fmt.Sprintf(`W/"%d"`, version)) {
				t.Errorf("%s: the 412 %s does not name the current ETag W/\"%d\"", tt.name, got.raw, version)
			}
			if tt.method != "DELETE" {
				if cur := s.do(t, "GET", "/Users/"+id, "").must(t, 200); cur.header.Get("ETag") != fmt.Sprintf(`W/"%d"`, version) {
					t.Errorf("%s: a refused write changed the user: ETag %s", tt.name, cur.header.Get("ETag"))
				}
			}
			continue
		}
		version++
	}
	s.do(t, "GET", "/Users/"+id, "").must(t, 404)
}
