package app_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/tabletest"
)

// A PATCH path with the core schema's URN (urn:…:core:2.0:User:active)
// names the same attribute as without it, and a deactivation written so
// is applied, not answered 200 and dropped. A path the app neither keeps
// nor documents as accepted and not kept is refused with 400 invalidPath
// and changes nothing; the attributes it accepts and does not keep still
// answer 200.
func TestUsersPatchPaths(t *testing.T) {
	const core = userURN + ":"
	start := userState{UserName: "fay@example.com", DisplayName: "Fay", GivenName: "Fay", FamilyName: "Ng", Active: true, Emails: []string{"work:fay@example.com"}}
	tests := []struct {
		name, reason, op string
		status           int
		scimType         string
		want             userState // when status is 200
	}{{
		name: "deactivation with the core URN", reason: "urn:…:User:active is active: the deactivation applies",
		op: `{"op":"Replace","path":"` + core + `active","value":false}`, status: 200,
		want: func() userState { s := start; s.Active = false; return s }(),
	}, {
		name: "a string boolean with the core URN", reason: "Entra ID's string boolean, with the URN",
		op: `{"op":"Replace","path":"` + core + `active","value":"False"}`, status: 200,
		want: func() userState { s := start; s.Active = false; return s }(),
	}, {
		name: "a name part with the core URN", reason: "urn:…:User:name.givenName is name.givenName",
		op: `{"op":"Replace","path":"` + core + `name.givenName","value":"Faye"}`, status: 200,
		want: func() userState { s := start; s.GivenName = "Faye"; return s }(),
	}, {
		name: "an email with the core URN", reason: "the filter path keeps working behind the URN",
		op: `{"op":"Add","path":"` + core + `emails[type eq \"work\"].value","value":"fay.ng@example.com"}`, status: 200,
		want: func() userState { s := start; s.Emails = []string{"work:fay.ng@example.com"}; return s }(),
	}, {
		name: "a path-less key with the core URN", reason: "a value map's key may carry the URN too",
		op: `{"op":"replace","value":{"` + core + `displayName":"F. Ng"}}`, status: 200,
		want: func() userState { s := start; s.DisplayName = "F. Ng"; return s }(),
	}, {
		name: "an attribute not kept", reason: "title is documented as accepted and not kept",
		op: `{"op":"Add","path":"title","value":"Lead"}`, status: 200, want: start,
	}, {
		name: "an enterprise attribute", reason: "the enterprise extension's attributes are accepted and not kept",
		op: `{"op":"Replace","path":"` + enterpriseURN + `:department","value":"Sales"}`, status: 200, want: start,
	}, {
		name: "Entra's manager", reason: "a plain string manager id is read as {value} and not kept",
		op: `{"op":"Add","path":"` + enterpriseURN + `:manager","value":"m-1"}`, status: 200, want: start,
	}, {
		name: "emails.value without a filter", reason: "the app does not know which address it names: a 400, not a 200 that changed nothing",
		op: `{"op":"Replace","path":"emails.value","value":"x@example.com"}`, status: 400, scimType: "invalidPath",
	}, {
		name: "a deactivation beside an unsupported path", reason: "all or none: the refusal leaves the user active",
		op: `{"op":"Replace","path":"active","value":false},{"op":"Replace","path":"emails.value","value":"x@example.com"}`, status: 400, scimType: "invalidPath",
	}}
	tabletest.Check(t, tests)
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{})
			for _, tt := range tests {
				status, body := call(t, s, "ta", "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"fay@example.com","displayName":"Fay",`+
					`"name":{"givenName":"Fay","familyName":"Ng"},"emails":[{"type":"work","value":"fay@example.com"}],"active":true}`)
				if status != 201 {
					t.Fatalf("POST: %d %s", status, body)
				}
				id := object(t, body)["id"].(string)
				status, body = call(t, s, "ta", "PATCH", "/scim/v2/Users/"+id, patchBody(tt.op))
				if e := object(t, body); status != tt.status || tt.scimType != "" && e["scimType"] != tt.scimType {
					t.Errorf("%s: %d %s, want %d %s (%s)", tt.name, status, body, tt.status, tt.scimType, tt.reason)
				}
				want := tt.want
				if tt.status != 200 {
					want = start
				}
				_, body = call(t, s, "ta", "GET", "/scim/v2/Users/"+id, "")
				if d := cmp.Diff(want, userStateOf(t, body)); d != "" {
					t.Errorf("%s (%s) (-want +got):\n%s", tt.name, tt.reason, d)
				}
				if status, body := call(t, s, "ta", "DELETE", "/scim/v2/Users/"+id, ""); status != 204 {
					t.Fatalf("DELETE: %d %s", status, body)
				}
			}
		})
	}
}
