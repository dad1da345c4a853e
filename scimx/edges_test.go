package scimx_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

const groupSchemaJSON = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`

// R5: a POST without externalId (Okta sends none) must not take over a group
// linked to another source group, nor replace its members.
func TestR5PostWithoutExternalIDDoesNotTakeOverALinkedGroup(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	id := s.Put("a", group.Group{Name: "Eng", ExternalID: "entra-obj-1", Origin: origin.Source, Members: group.NewMembers("u1", "u2")})
	r := s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Eng","members":[]}`)
	if r.status != 409 {
		t.Errorf("POST of a linked group's name without externalId: %d, want 409", r.status)
	}
	if got := s.Group("a", id).Members.Slice(); len(got) != 2 {
		t.Errorf("the linked group's members became %v", got)
	}
}

// A PATCH that removes and adds back a member changes nothing: no new
// version, no change event.
func TestPatchRemoveThenAddChangesNothing(t *testing.T) {
	var events atomic.Int32
	s := newServer(t, scimx.ServerOptions{OnChange: func(context.Context, scimx.Event) { events.Add(1) }})
	id := s.Put("a", group.Group{Name: "Eng", Origin: origin.Source, Members: group.NewMembers("u1")})
	r := s.do(t, "PATCH", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"add","path":"members","value":[{"value":"u1"}]}]}`).must(t, 204)
	if r.header.Get("ETag") != `W/"1"` || events.Load() != 0 {
		t.Errorf("ETag %s and %d events after a no-op PATCH, want W/\"1\" and none", r.header.Get("ETag"), events.Load())
	}
}

// Values no store can hold are refused with 400 on every backend, not a
// 500 on some.
func TestValuesBeyondLimitsAreRefused(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	id := s.Put("a", group.Group{Name: "Eng", Origin: origin.Source})
	long := strings.Repeat("x", 2000)
	tests := []struct{ name, reason, method, path, body string }{
		{"NUL in a member value", "PostgreSQL text cannot hold a NUL, so the handler refuses control characters before any store sees them",
			"PATCH", "/Groups/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u\u0000"}]}]}`},
		{"NUL in an externalId", "an externalId is stored like a member value: a NUL is refused by the handler, not by one store's driver",
			"POST", "/Groups", `{` + groupSchemaJSON + `,"displayName":"New","externalId":"x\u0000"}`},
		{"a very long name", "2000 bytes is over the 1024-byte bound on values, which keeps them within what every store indexes",
			"POST", "/Groups", `{` + groupSchemaJSON + `,"displayName":"` + long + `"}`},
		{"a very long member value", "a member value has the same 1024-byte bound as a name, so a PUT with a longer one is refused whole",
			"PUT", "/Groups/" + id, `{` + groupSchemaJSON + `,"displayName":"Eng","members":[{"value":"` + long + `"}]}`},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := s.do(t, tt.method, tt.path, tt.body); r.status != 400 {
				t.Errorf("%s: %d %s, want 400 (%s)", tt.method, r.status, r.raw, tt.reason)
			}
		})
	}
	r := s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "x\u0000"`), "").must(t, 200)
	if r.body["totalResults"] != float64(0) {
		t.Errorf("a filter on a NUL value found %v", r.body["totalResults"])
	}
}
