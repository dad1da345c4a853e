package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/internal/tabletest"
)

// databases opens the app's stores on every database a test can use: in
// memory, a new SQLite file, and a throwaway PostgreSQL schema when
// GROUPSYNC_POSTGRES_URL is set.
func databases(t *testing.T) map[string]func(t *testing.T) *app.Stores {
	open := func(spec func(t *testing.T) string) func(t *testing.T) *app.Stores {
		return func(t *testing.T) *app.Stores {
			s, err := app.Open(context.Background(), spec(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return map[string]func(t *testing.T) *app.Stores{
		"memory":     open(func(*testing.T) string { return "memory" }),
		"SQLite":     open(func(t *testing.T) string { return filepath.Join(t.TempDir(), "app.db") }),
		"PostgreSQL": open(func(t *testing.T) string { return sqltest.PostgresDSN(t) }),
	}
}

// serve serves the app over stores with cfg's other fields; tokens ta and
// tb are the tenants a and b.
func serve(t *testing.T, stores *app.Stores, cfg app.Config) *httptest.Server {
	t.Helper()
	cfg.Tokens = map[string]string{"ta": "a", "tb": "b"}
	cfg.Store, cfg.Users = stores.Groups, stores.Users
	h, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func randomName(t *testing.T) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// object decodes a JSON object.
func object(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, body)
	}
	return m
}

// listOf checks that body is a ListResponse with integer paging fields and
// a Resources array, and returns its totalResults and resources.
func listOf(t *testing.T, status int, body string) (int, []map[string]any) {
	t.Helper()
	var lr struct {
		Schemas      []string
		TotalResults *json.Number
		StartIndex   *json.Number
		ItemsPerPage *json.Number
		Resources    *[]map[string]any
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if status != 200 || dec.Decode(&lr) != nil || len(lr.Schemas) != 1 || lr.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" ||
		lr.TotalResults == nil || lr.StartIndex == nil || lr.ItemsPerPage == nil || lr.Resources == nil {
		t.Fatalf("want a 200 ListResponse with totalResults, startIndex, itemsPerPage and Resources, got %d %s", status, body)
	}
	total, err := lr.TotalResults.Int64()
	if err != nil {
		t.Fatalf("totalResults %s is not an integer", *lr.TotalResults)
	}
	return int(total), *lr.Resources
}

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

func patchBody(ops ...string) string {
	return `{"schemas":["` + patchURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// userState is what the tests compare of a user resource.
type userState struct {
	UserName, ExternalID, DisplayName, GivenName, FamilyName string
	Active                                                   bool
	Emails                                                   []string // type:value
}

func userStateOf(t *testing.T, body string) userState {
	t.Helper()
	m := object(t, body)
	st := userState{}
	st.UserName, _ = m["userName"].(string)
	st.ExternalID, _ = m["externalId"].(string)
	st.DisplayName, _ = m["displayName"].(string)
	active, ok := m["active"].(bool)
	if !ok {
		t.Errorf("active is not a boolean in %s", body)
	}
	st.Active = active
	name, _ := m["name"].(map[string]any)
	st.GivenName, _ = name["givenName"].(string)
	st.FamilyName, _ = name["familyName"].(string)
	emails, _ := m["emails"].([]any)
	for _, e := range emails {
		em := e.(map[string]any)
		typ, _ := em["type"].(string)
		v, _ := em["value"].(string)
		st.Emails = append(st.Emails, typ+":"+v)
	}
	return st
}

// The reads Okta makes when provisioning is saved and Entra ID's Test
// Connection, on an empty tenant: both must answer 200 ListResponses, or
// the identity provider refuses to save the app.
func TestUsersConnectionChecks(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{})
			tests := []struct{ name, path, reason string }{
				{"Okta save-time read", "/scim/v2/Users?startIndex=1&count=2",
					"Okta reads two users when an admin saves the provisioning settings and refuses a non-200"},
				{"Entra Test Connection", "/scim/v2/Users?filter=userName%20eq%20%22" + randomName(t) + "%22",
					"Entra ID queries a random userName and expects a 200 with an empty list, never a 404"},
				{"Entra Test Connection in upper case", "/scim/v2/Users?filter=userName%20EQ%20%22" + randomName(t) + "%22",
					"operators are case-insensitive (RFC 7644 3.4.2.2)"},
				{"Okta user lookup", "/scim/v2/Users?filter=userName%20eq%20%22a%40example.com%22&startIndex=1&count=100",
					"Okta looks a user up by userName before it creates one"},
				{"externalId lookup", "/scim/v2/Users?filter=externalId%20eq%20%2200u1%22",
					"Entra ID can match users by externalId"},
			}
			tabletest.Check(t, tests)
			for _, tt := range tests {
				status, body := call(t, s, "ta", "GET", tt.path, "")
				if total, res := listOf(t, status, body); total != 0 || len(res) != 0 {
					t.Errorf("%s: %d users on an empty tenant (%s)", tt.name, total, tt.reason)
				}
			}
			if status, _ := call(t, s, "nope", "GET", "/scim/v2/Users?startIndex=1&count=2", ""); status != 401 {
				t.Errorf("a wrong token reads users: status %d, want 401", status)
			}
		})
	}
}

// Okta's user lifecycle, with its request shapes: look up, create, read,
// update by PUT, deactivate by a path-less PATCH; and Entra ID's: create
// with the enterprise extension, update by PATCH with capitalised ops, a
// string boolean for active and emails[type eq "work"].value.
func TestUsersLifecycle(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{})

			// Okta.
			status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"Ann.Lee@example.com",`+
				`"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"primary":true,"value":"ann.lee@example.com","type":"work"}],`+
				`"displayName":"Ann Lee","locale":"en-US","externalId":"00u1ann","groups":[],"password":"secret","active":true}`)
			if status != 201 {
				t.Fatalf("Okta's POST /Users: %d %s", status, body)
			}
			if strings.Contains(body, "secret") {
				t.Errorf("the created user echoes the password: %s", body)
			}
			ann := object(t, body)["id"].(string)
			want := userState{UserName: "Ann.Lee@example.com", ExternalID: "00u1ann", DisplayName: "Ann Lee", GivenName: "Ann", FamilyName: "Lee",
				Active: true, Emails: []string{"work:ann.lee@example.com"}}
			check := func(what string) {
				t.Helper()
				status, body := call(t, s, "ta", "GET", "/scim/v2/Users/"+ann, "")
				if status != 200 {
					t.Fatalf("GET after %s: %d %s", what, status, body)
				}
				if d := cmp.Diff(want, userStateOf(t, body)); d != "" {
					t.Errorf("after %s (-want +got):\n%s", what, d)
				}
			}
			check("Okta's create")
			for _, q := range []string{"userName%20eq%20%22ann.lee%40EXAMPLE.com%22", "externalId%20eq%20%2200u1ann%22", "id%20eq%20%22" + ann + "%22"} {
				status, body := call(t, s, "ta", "GET", "/scim/v2/Users?filter="+q+"&startIndex=1&count=100", "")
				if total, res := listOf(t, status, body); total != 1 || len(res) != 1 || res[0]["id"] != ann {
					t.Errorf("filter %s found %d users %v, want the one created", q, total, res)
				}
			}
			status, body = call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"ann.lee@EXAMPLE.COM"}`)
			if e := object(t, body); status != 409 || e["scimType"] != "uniqueness" {
				t.Errorf("a second user whose userName differs in case: %d %s, want 409 uniqueness (userName is caseExact false)", status, body)
			}
			status, body = call(t, s, "ta", "PUT", "/scim/v2/Users/"+ann, `{"schemas":["`+userURN+`"],"id":"`+ann+`","userName":"Ann.Lee@example.com",`+
				`"name":{"givenName":"Annie","familyName":"Lee"},"emails":[{"primary":true,"value":"annie@example.com","type":"work"}],"active":true,"externalId":"00u1ann"}`)
			if status != 200 {
				t.Fatalf("Okta's PUT: %d %s", status, body)
			}
			want.GivenName, want.DisplayName, want.Emails = "Annie", "", []string{"work:annie@example.com"}
			check("Okta's PUT of the whole profile")
			status, body = call(t, s, "ta", "PATCH", "/scim/v2/Users/"+ann, patchBody(`{"op":"replace","value":{"active":false}}`))
			if status != 200 {
				t.Fatalf("Okta's deactivation: %d %s", status, body)
			}
			want.Active = false
			check("Okta's deactivation, a PATCH without a path")
			status, body = call(t, s, "ta", "PATCH", "/scim/v2/Users/"+ann, patchBody(`{"op":"replace","value":{"active":true}}`))
			want.Active = true
			if status != 200 {
				t.Fatalf("Okta's reactivation: %d %s", status, body)
			}
			check("Okta's reactivation")

			// Entra ID.
			status, body = call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`","`+enterpriseURN+`"],"externalId":"8f3c-entra","userName":"bo@contoso.com",`+
				`"active":true,"displayName":"Bo","emails":[{"primary":true,"type":"work","value":"bo@contoso.com"}],"meta":{"resourceType":"User"},`+
				`"name":{"formatted":"Bo Berg","familyName":"Berg","givenName":"Bo"},"title":"Engineer","`+enterpriseURN+`":{"department":"R&D","employeeNumber":"7"}}`)
			if status != 201 {
				t.Fatalf("Entra's POST /Users: %d %s", status, body)
			}
			bo := object(t, body)["id"].(string)
			steps := []struct {
				name, body, reason string
				want               userState
			}{
				{"Entra deactivation", patchBody(`{"op":"Replace","path":"active","value":"False"}`),
					"Entra ID sends active as the string False, capitalised op",
					userState{UserName: "bo@contoso.com", ExternalID: "8f3c-entra", DisplayName: "Bo", GivenName: "Bo", FamilyName: "Berg", Emails: []string{"work:bo@contoso.com"}}},
				{"Entra reactivation", patchBody(`{"op":"Replace","path":"active","value":"True"}`),
					"and True to reactivate",
					userState{UserName: "bo@contoso.com", ExternalID: "8f3c-entra", DisplayName: "Bo", GivenName: "Bo", FamilyName: "Berg", Active: true, Emails: []string{"work:bo@contoso.com"}}},
				{"Entra attribute update", patchBody(`{"op":"Replace","path":"displayName","value":"Bo B."}`,
					`{"op":"Add","path":"emails[type eq \"work\"].value","value":"bo.berg@contoso.com"}`,
					`{"op":"Replace","path":"name.givenName","value":"Bosse"}`,
					`{"op":"Replace","path":"`+enterpriseURN+`:department","value":"Sales"}`,
					`{"op":"Add","path":"title","value":"Lead"}`),
					"Entra's default mappings write displayName, the work address and name parts; attributes the app does not keep are accepted and change nothing",
					userState{UserName: "bo@contoso.com", ExternalID: "8f3c-entra", DisplayName: "Bo B.", GivenName: "Bosse", FamilyName: "Berg", Active: true, Emails: []string{"work:bo.berg@contoso.com"}}},
				{"Entra userName change", patchBody(`{"op":"Replace","path":"userName","value":"bo.berg@contoso.com"}`),
					"a rename in Entra ID changes the userName",
					userState{UserName: "bo.berg@contoso.com", ExternalID: "8f3c-entra", DisplayName: "Bo B.", GivenName: "Bosse", FamilyName: "Berg", Active: true, Emails: []string{"work:bo.berg@contoso.com"}}},
			}
			tabletest.Check(t, steps)
			for _, st := range steps {
				status, body := call(t, s, "ta", "PATCH", "/scim/v2/Users/"+bo, st.body)
				if status != 200 && status != 204 {
					t.Fatalf("%s: %d %s (%s)", st.name, status, body, st.reason)
				}
				_, body = call(t, s, "ta", "GET", "/scim/v2/Users/"+bo, "")
				if d := cmp.Diff(st.want, userStateOf(t, body)); d != "" {
					t.Errorf("%s (%s) (-want +got):\n%s", st.name, st.reason, d)
				}
			}

			// Refusals change nothing.
			before := userStateOf(t, func() string { _, b := call(t, s, "ta", "GET", "/scim/v2/Users/"+bo, ""); return b }())
			refusals := []struct {
				name, method, body string
				status             int
				scimType, reason   string
			}{
				{"rename to another user's userName", "PATCH", patchBody(`{"op":"replace","path":"userName","value":"ANN.LEE@example.com"}`), 409, "uniqueness",
					"userNames are unique in the tenant without regard to case"},
				{"PUT to another user's userName", "PUT", `{"schemas":["` + userURN + `"],"userName":"ann.lee@example.com"}`, 409, "uniqueness",
					"the same holds for a PUT"},
				{"active not a boolean", "PATCH", patchBody(`{"op":"replace","path":"active","value":"maybe"}`), 400, "invalidValue",
					"active is a boolean; only the strings true and false stand for one"},
				{"remove userName", "PATCH", patchBody(`{"op":"remove","path":"userName"}`), 400, "invalidValue",
					"every user has a userName"},
				{"empty userName", "PATCH", patchBody(`{"op":"replace","path":"displayName","value":"X"}`, `{"op":"replace","path":"userName","value":""}`), 400, "invalidValue",
					"every user has a userName, and the first operation does not apply either"},
				{"control character", "PATCH", patchBody(`{"op":"replace","path":"displayName","value":"a\u0007b"}`), 400, "invalidValue",
					"a control character in a value is refused"},
				{"an email filter other than type", "PATCH", patchBody(`{"op":"replace","path":"emails[value eq \"x\"].primary","value":true}`), 400, "invalidPath",
					"the app selects addresses by type only, and says so rather than ignoring the operation"},
			}
			tabletest.Check(t, refusals)
			for _, tt := range refusals {
				status, body := call(t, s, "ta", tt.method, "/scim/v2/Users/"+bo, tt.body)
				if e := object(t, body); status != tt.status || e["scimType"] != tt.scimType {
					t.Errorf("%s: %d %s, want %d %s (%s)", tt.name, status, body, tt.status, tt.scimType, tt.reason)
				}
				_, after := call(t, s, "ta", "GET", "/scim/v2/Users/"+bo, "")
				if d := cmp.Diff(before, userStateOf(t, after)); d != "" {
					t.Errorf("%s changed the user (-before +after):\n%s", tt.name, d)
				}
			}

			// Paging: three users in a stable order.
			if status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"cy@example.com"}`); status != 201 {
				t.Fatalf("POST: %d %s", status, body)
			}
			status, body = call(t, s, "ta", "GET", "/scim/v2/Users?startIndex=1&count=100", "")
			_, all := listOf(t, status, body)
			var ids []string
			for _, u := range all {
				ids = append(ids, u["id"].(string))
			}
			var paged []string
			for i := 1; i <= 4; i++ {
				status, body := call(t, s, "ta", "GET", "/scim/v2/Users?startIndex="+string(rune('0'+i))+"&count=1", "")
				total, res := listOf(t, status, body)
				if total != 3 {
					t.Errorf("page %d: totalResults %d, want 3", i, total)
				}
				for _, u := range res {
					paged = append(paged, u["id"].(string))
				}
			}
			if len(ids) != 3 || !cmp.Equal(ids, paged) {
				t.Errorf("pages of one user give %v, the whole list %v: want the same three users in the same order", paged, ids)
			}
			if status, body := call(t, s, "ta", "GET", "/scim/v2/Users?startIndex=1&count=0", ""); func() bool { n, r := listOf(t, status, body); return n != 3 || len(r) != 0 }() {
				t.Errorf("count=0: %d %s, want the total only", status, body)
			}

			// R16: the other tenant sees none of them, and may reuse a userName.
			if status, _ := call(t, s, "tb", "GET", "/scim/v2/Users/"+ann, ""); status != 404 {
				t.Errorf("R16: tenant b reads tenant a's user: %d, want 404", status)
			}
			if status, body := call(t, s, "tb", "GET", "/scim/v2/Users?startIndex=1&count=100", ""); func() bool { n, _ := listOf(t, status, body); return n != 0 }() {
				t.Errorf("R16: tenant b lists tenant a's users: %s", body)
			}
			if status, body := call(t, s, "tb", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"Ann.Lee@example.com"}`); status != 201 {
				t.Errorf("R16: tenant b cannot create a userName tenant a has: %d %s", status, body)
			}
			if status, _ := call(t, s, "tb", "DELETE", "/scim/v2/Users/"+ann, ""); status != 404 {
				t.Errorf("R16: tenant b deletes tenant a's user: %d, want 404", status)
			}

			// DELETE.
			if status, body := call(t, s, "ta", "DELETE", "/scim/v2/Users/"+ann, ""); status != 204 {
				t.Fatalf("DELETE: %d %s", status, body)
			}
			if status, body := call(t, s, "ta", "GET", "/scim/v2/Users/"+ann, ""); status != 404 || strings.Contains(body, ann) {
				t.Errorf("GET after DELETE: %d %s, want a 404 that does not echo the id", status, body)
			}
			if status, _ := call(t, s, "ta", "DELETE", "/scim/v2/Users/"+ann, ""); status != 404 {
				t.Errorf("second DELETE: %d, want 404", status)
			}
			// The userName is free again.
			if status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"ann.lee@example.com"}`); status != 201 {
				t.Errorf("POST of a deleted user's userName: %d %s", status, body)
			}
		})
	}
}

// -strict-members: the member resolver refuses member values that are
// neither users nor groups of the tenant, naming them, and the request
// changes nothing; without it, any value is accepted.
func TestStrictMembers(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				stores := open(t)
				s := serve(t, stores, app.Config{StrictMembers: strict})
				status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"dee@example.com"}`)
				if status != 201 {
					t.Fatalf("POST user: %d %s", status, body)
				}
				dee := object(t, body)["id"].(string)
				status, body = call(t, s, "tb", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"eve@example.com"}`)
				if status != 201 {
					t.Fatalf("POST user: %d %s", status, body)
				}
				eve := object(t, body)["id"].(string)
				status, body = call(t, s, "ta", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Known","members":[{"value":"`+dee+`"}]}`)
				if status != 201 {
					t.Fatalf("strict %v: a group of a known user: %d %s", strict, status, body)
				}
				known := object(t, body)["id"].(string)

				tests := []struct {
					name, member string
					strict       int
					reason       string
				}{
					{"a user of the tenant", dee, 204, "a provisioned user is a member either way"},
					{"a group of the tenant", known, 204, "member values may be ids of the tenant's groups (WIRE.md, Entra ID)"},
					{"no such user", "u-nobody", 400, "strict: a value that names nothing in the tenant is refused"},
					{"R16 a user of another tenant", eve, 400, "strict: tenant b's user is no user of tenant a"},
				}
				tabletest.Check(t, tests)
				for _, tt := range tests {
					status, body := call(t, s, "ta", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G `+tt.name+`"}`)
					if status != 201 {
						t.Fatalf("POST group: %d %s", status, body)
					}
					g := object(t, body)["id"].(string)
					want := 204
					if strict {
						want = tt.strict
					}
					status, body = call(t, s, "ta", "PATCH", "/scim/v2/Groups/"+g, patchBody(`{"op":"add","path":"members","value":[{"value":"`+tt.member+`"}]}`,
						`{"op":"replace","path":"displayName","value":"renamed `+tt.name+`"}`))
					if status != want {
						t.Errorf("strict %v: %s: PATCH %d %s, want %d (%s)", strict, tt.name, status, body, want, tt.reason)
					}
					_, after := call(t, s, "ta", "GET", "/scim/v2/Groups/"+g, "")
					m := object(t, after)
					if want == 400 {
						if e := object(t, body); e["scimType"] != "invalidValue" || !strings.Contains(e["detail"].(string), tt.member) {
							t.Errorf("strict: %s: the refusal %s does not name the member", tt.name, body)
						}
						if ms, _ := m["members"].([]any); len(ms) != 0 || !strings.HasPrefix(m["displayName"].(string), "G ") {
							t.Errorf("strict: %s: the refused PATCH changed the group: %s", tt.name, after)
						}
					} else if ms, _ := m["members"].([]any); len(ms) != 1 {
						t.Errorf("strict %v: %s: the group holds %v, want the member", strict, tt.name, m["members"])
					}
				}
			}
		})
	}
}
