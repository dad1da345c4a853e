package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/tabletest"
)

func newApp(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := app.New(app.Config{Tokens: map[string]string{"ta": "a", "tb": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func call(t *testing.T, s *httptest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func decodeGroup(t *testing.T, body string) app.Group {
	t.Helper()
	var g app.Group
	if err := json.Unmarshal([]byte(body), &g); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return g
}

func TestAdminAPI(t *testing.T) {
	s := newApp(t)
	status, body := call(t, s, "ta", "POST", "/admin/groups", `{"displayName":"Sales","members":["u2","u1"],"type":"Departments"}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	g := decodeGroup(t, body)
	want := app.Group{ID: g.ID, DisplayName: "Sales", Members: []string{"u1", "u2"}, Type: "Departments", Origin: "target"}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}

	status, body = call(t, s, "ta", "PATCH", "/admin/groups/"+g.ID, `{"type":"Teams","members":["u3"]}`)
	want.Type, want.Members = "Teams", []string{"u3"}
	if d := cmp.Diff(want, decodeGroup(t, body)); status != 200 || d != "" {
		t.Errorf("patch %d (-want +got):\n%s", status, d)
	}
	status, body = call(t, s, "ta", "GET", "/admin/groups/"+g.ID, "")
	if d := cmp.Diff(want, decodeGroup(t, body)); status != 200 || d != "" {
		t.Errorf("get %d (-want +got):\n%s", status, d)
	}
	status, body = call(t, s, "ta", "GET", "/admin/groups", "")
	var all []app.Group
	_ = json.Unmarshal([]byte(body), &all)
	if d := cmp.Diff([]app.Group{want}, all); status != 200 || d != "" {
		t.Errorf("list %d (-want +got):\n%s", status, d)
	}

	// The same group over SCIM is app-created: read-only to a push (R7).
	status, _ = call(t, s, "ta", "DELETE", "/scim/v2/Groups/"+g.ID, "")
	if status != 400 {
		t.Errorf("SCIM delete of an app group: %d, want 400", status)
	}

	tests := []struct {
		name, token, method, path, body string
		status                          int
		reason                          string
	}{
		{"wrong token", "nope", "GET", "/admin/groups", "", 401,
			"the admin API sits behind the same bearer tokens as SCIM: an unknown one is 401, in the admin API's error format"},
		{"R16 other tenant's id", "tb", "GET", "/admin/groups/" + g.ID, "", 404,
			"R16: tenant b cannot see tenant a's group, and its id answers 404, not 403, which would reveal it"},
		{"unknown id", "ta", "PATCH", "/admin/groups/nope", `{"type":"x"}`, 404,
			"no group has that id, so there is nothing to change"},
		{"malformed JSON", "ta", "POST", "/admin/groups", `{"displayName":`, 400,
			"a body that is not JSON is the client's mistake"},
		{"unknown field", "ta", "POST", "/admin/groups", `{"displayName":"X","colour":"red"}`, 400,
			"unknown fields are refused, so a misspelt one such as colour is not silently dropped"},
		{"no name", "ta", "POST", "/admin/groups", `{"members":["u1"]}`, 400,
			"a group needs a displayName, in the app as over SCIM"},
		{"control character", "ta", "PATCH", "/admin/groups/" + g.ID, `{"displayName":"a\u0000b"}`, 400,
			"a name with a control character is invalid (group.ValidateName), whichever API sets it"},
		{"empty member", "ta", "PATCH", "/admin/groups/" + g.ID, `{"members":[""]}`, 400,
			"a member id names an existing user or group and cannot be empty"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, s, tt.token, tt.method, tt.path, tt.body)
			var e struct{ Error string }
			if status != tt.status || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
				t.Errorf("%s %s = %d %s, want %d with {\"error\":…} (%s)", tt.method, tt.path, status, body, tt.status, tt.reason)
			}
		})
	}

	status, _ = call(t, s, "ta", "DELETE", "/admin/groups/"+g.ID, "")
	if status != 204 {
		t.Errorf("delete: %d, want 204", status)
	}
	if status, _ = call(t, s, "ta", "GET", "/admin/groups/"+g.ID, ""); status != 404 {
		t.Errorf("get after delete: %d, want 404", status)
	}
}
