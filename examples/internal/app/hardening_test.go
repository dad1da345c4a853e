package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/tabletest"
)

// callIfMatch is call with an If-Match header; it returns the ETag too.
func callIfMatch(t *testing.T, s *httptest.Server, method, path, body, ifMatch string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer ta")
	req.Header.Set("If-Match", ifMatch)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("ETag")
}

// /ServiceProviderConfig advertises ETags, and the app's Users honour
// If-Match: a stale version is a 412 that changes nothing, for PUT, PATCH
// and DELETE; the current one is taken.
func TestUsersIfMatch(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{})
			status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"gus@example.com","active":true}`)
			if status != 201 {
				t.Fatalf("POST: %d %s", status, body)
			}
			id := object(t, body)["id"].(string)
			path := "/scim/v2/Users/" + id
			put := `{"schemas":["` + userURN + `"],"userName":"gus@example.com","displayName":"Gus","active":true}`
			deactivate := patchBody(`{"op":"replace","path":"active","value":false}`)
			if status, body := call(t, s, "ta", "PUT", path, put); status != 200 { // version 2
				t.Fatalf("PUT: %d %s", status, body)
			}
			tests := []struct {
				name, reason, method, body, ifMatch string
				status                              int
			}{
				{"PUT stale", "version 1 was replaced", "PUT", put, `W/"1"`, 412},
				{"PATCH stale", "a deactivation over a version the client has not seen", "PATCH", deactivate, `W/"1"`, 412},
				{"DELETE stale", "a delete over a version the client has not seen", "DELETE", "", `W/"1"`, 412},
				{"PATCH current", "the current version is taken", "PATCH", deactivate, `W/"2"`, 200},
				{"PUT current", "and the next", "PUT", put, `W/"3"`, 200},
				{"DELETE current", "the current version", "DELETE", "", `W/"4"`, 204},
			}
			tabletest.Check(t, tests)
			for _, tt := range tests {
				_, before := call(t, s, "ta", "GET", path, "")
				status, body, _ := callIfMatch(t, s, tt.method, path, tt.body, tt.ifMatch)
				if status != tt.status {
					t.Errorf("%s: %d %s, want %d (%s)", tt.name, status, body, tt.status, tt.reason)
				}
				if tt.status == 412 {
					if _, after := call(t, s, "ta", "GET", path, ""); after != before {
						t.Errorf("%s: the refused write changed the user: %s, was %s", tt.name, after, before)
					}
				}
			}
		})
	}
}

// Deleting a user removes it from every group of the tenant, through the
// Directory: each group's change is in the feed, actor app, so that a
// consumer revokes the access it gave; other tenants' groups and the
// user's deactivation (not a group change) are left alone.
func TestUsersDeleteLeavesGroups(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{StrictMembers: true})
			status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"hal@example.com"}`)
			if status != 201 {
				t.Fatalf("POST: %d %s", status, body)
			}
			hal := object(t, body)["id"].(string)
			var groups []string
			for _, n := range []string{"One", "Two"} {
				status, body := call(t, s, "ta", "POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"`+n+`","members":[{"value":"`+hal+`"}]}`)
				if status != 201 {
					t.Fatalf("POST group: %d %s", status, body)
				}
				groups = append(groups, object(t, body)["id"].(string))
			}
			if status, body := call(t, s, "ta", "PATCH", "/scim/v2/Users/"+hal, patchBody(`{"op":"replace","path":"active","value":false}`)); status != 200 {
				t.Fatalf("deactivate: %d %s", status, body)
			}
			before := eventsOf(t, s, "ta", "").Next
			if status, body := call(t, s, "ta", "DELETE", "/scim/v2/Users/"+hal, ""); status != 204 {
				t.Fatalf("DELETE: %d %s", status, body)
			}
			for _, g := range groups {
				_, body := call(t, s, "ta", "GET", "/admin/groups/"+g, "")
				if got := decodeGroup(t, body).Members; len(got) != 0 {
					t.Errorf("group %s still holds %v after its member was deleted", g, got)
				}
			}
			var got []string
			for _, e := range eventsOf(t, s, "ta", "?after="+itoa64(before)).Events {
				got = append(got, e.Name+":"+string(e.Kind)+":"+string(e.Actor)+":"+strings.Join(e.Removed, ","))
			}
			want := []string{"One:members:app:" + hal, "Two:members:app:" + hal}
			if d := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
				t.Errorf("the delete's events (-want +got):\n%s", d)
			}
			if before != 2 {
				t.Errorf("the feed held %d events before the delete, want the 2 creates: a deactivation is no group change", before)
			}
		})
	}
}

// The admin API keeps the rules of SCIM: with -strict-members it refuses
// member values that are neither users nor groups of the tenant (a JSON
// 400 naming them; nothing changes), and an empty type is refused rather
// than stored.
func TestAdminRefusals(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				s := serve(t, open(t), app.Config{StrictMembers: strict})
				status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"ida@example.com"}`)
				if status != 201 {
					t.Fatalf("POST: %d %s", status, body)
				}
				ida := object(t, body)["id"].(string)
				status, body = call(t, s, "ta", "POST", "/admin/groups", `{"displayName":"Known","members":["`+ida+`"]}`)
				if status != 201 {
					t.Fatalf("strict %v: an admin group of a known user: %d %s", strict, status, body)
				}
				known := decodeGroup(t, body)
				unknownWant := 200
				if strict {
					unknownWant = 400
				}
				tests := []struct {
					name, reason, method, path, body string
					want                             int
				}{
					{"empty type", "a group always has a type", "PATCH", "/admin/groups/" + known.ID, `{"type":""}`, 400},
					{"create with an unknown member", "strict: nobody has that id", "POST", "/admin/groups", `{"displayName":"New","members":["ghost"]}`, max(unknownWant, 201)},
					{"edit to an unknown member", "strict: and the rename beside it does not apply", "PATCH", "/admin/groups/" + known.ID, `{"displayName":"Renamed","members":["` + ida + `","ghost"]}`, unknownWant},
				}
				tabletest.Check(t, tests)
				for _, tt := range tests {
					if strict || tt.want == 400 {
						status, body := call(t, s, "ta", tt.method, tt.path, tt.body)
						var e struct{ Error string }
						if status != 400 || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || (strings.Contains(tt.body, "ghost") && !strings.Contains(e.Error, "ghost")) {
							t.Errorf("strict %v: %s: %d %s, want a JSON 400 naming what it refused (%s)", strict, tt.name, status, body, tt.reason)
						}
						_, body = call(t, s, "ta", "GET", "/admin/groups/"+known.ID, "")
						if d := cmp.Diff(known, decodeGroup(t, body)); d != "" {
							t.Errorf("strict %v: %s changed the group (-before +after):\n%s", strict, tt.name, d)
						}
						continue
					}
					if status, body := call(t, s, "ta", tt.method, tt.path, tt.body); status != tt.want {
						t.Errorf("not strict: %s: %d %s, want %d: any value is accepted", tt.name, status, body, tt.want)
					}
				}
			}
		})
	}
}
