package scimx

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzFastPathBodies is FuzzFastPath's other half: where FuzzFastPath
// varies the path or filter inside fixed operations, this one varies the
// rest of a PATCH the fast path serves: the op and its letter case, the
// path, the value's JSON (arrays, objects, strings, nulls, numbers,
// extra keys), the group (pushed, the app's read-only one, one that
// holds another group), the projection asked for, and If-Match. The two
// services, with and without the fast path, must give the same answer,
// byte for byte and header for header, and leave the same groups.
func FuzzFastPathBodies(f *testing.F) {
	for _, s := range [][3]string{
		{"remove", `members[value eq "u1"]`, ``},
		{"add", "members", `[{"value":"u9"}]`},
		{"Replace", "displayName", `"x"`},
		{"replace", "", `{"id":"g1","displayName":"x"}`},
		{"Remove", "members", `[{"$ref":null,"value":"u2"}]`},
		{"add", `members[value eq "u1"]`, `{"value":"u9"}`},
		{"replace", "externalId", `"e"`},
		{"add", "", `{"members":[{"value":"u1"}]}`},
		{"replace", "", `{"urn:ietf:params:scim:schemas:core:2.0:Group":{"displayName":"x"}}`},
		{"replace", "", `{"urn:ietf:params:scim:schemas:extension:groupsync:2.0:Group":{"groupType":"x"}}`},
		{"REMOVE", "Members", `[{"value":"u1","display":null}]`},
		{"add", "members", `[{"value":"u9"},{"value":"u9"},{"value":""}]`},
		{"add", "members", `"u9"`},
		{"replace", "members", `[]`},
		{"replace", "displayName", `null`},
		{"replace", "displayName", `5`},
		{"delete", "members", ``},
	} {
		for q := range uint8(16) {
			f.Add(s[0], s[1], s[2], q)
		}
	}
	fast, general := newDiffServer(f, true), newDiffServer(f, false)
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, op, path, value string, q uint8) {
		o := `{"op":` + quoteJSON(op)
		if path != "" {
			o += `,"path":` + quoteJSON(path)
		}
		if value != "" {
			if !json.Valid([]byte(value)) {
				return
			}
			o += `,"value":` + value
		}
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + o + `]}`
		req := diffRequest{method: http.MethodPatch, body: body}
		req.path = [...]string{"/v2/Groups/g1", "/v2/Groups/g2", "/v2/Groups/g1?attributes=displayName,members",
			"/v2/Groups/g3?excludedAttributes=members"}[q%4]
		req.ifMatch = [...]string{"", `W/"1"`, `W/"2"`, "*"}[q/4%4]
		fast.reset(t)
		general.reset(t)
		a, b := fast.do(t, client, req), general.do(t, client, req)
		if d := cmp.Diff(b, a); d != "" {
			t.Fatalf("%s %s (If-Match %q): answers differ (-general +fast):\n%s", req.path, body, req.ifMatch, d)
		}
		if d := cmp.Diff(general.state(t), fast.state(t)); d != "" {
			t.Fatalf("%s %s: stored groups differ (-general +fast):\n%s", req.path, body, d)
		}
	})
}

// quoteJSON is s as a JSON string.
func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
