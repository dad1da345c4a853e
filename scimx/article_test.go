package scimx_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// The reference article over HTTP: push a new group, move it to another
// type, push again, associate with an app group by exact name, and the
// read-only app group.
func TestArticle(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})

	// R3: a new group lands in type Groups, origin source.
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Engineering","externalId":"00g1","members":[{"value":"u1"}]}`).must(t, 201)
	id := r.body["id"].(string)
	ext := r.body[scimx.ExtensionSchema].(map[string]any)
	if ext["groupType"] != "Groups" || ext["origin"] != "source" {
		t.Errorf("new group extension = %v, want groupType Groups, origin source", ext)
	}

	// R4: moved to another type in the app, it stays there through a PUT
	// that omits it and a PATCH.
	rec := s.Group("a", id)
	err := s.Store.Update(context.Background(), "a", func(tx scimx.Tx) error {
		typ := "Teams"
		_, err := tx.Change(id, scimx.Change{Type: &typ})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.do(t, "PUT", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Engineering","members":[{"value":"u1"},{"value":"u2"}]}`).must(t, 200)
	s.do(t, "PATCH", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"add","path":"members","value":[{"value":"u3"}]}]}`).must(t, 204)
	got := s.do(t, "GET", "/Groups/"+id, "").must(t, 200)
	if typ := got.body[scimx.ExtensionSchema].(map[string]any)["groupType"]; typ != "Teams" {
		t.Errorf("groupType after syncs = %v, want Teams", typ)
	}
	if d := cmp.Diff([]string{"u1", "u2", "u3"}, memberValues(t, got)); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if got.body["externalId"] != "00g1" || rec.Origin != origin.Source {
		t.Errorf("externalId %v origin %v, want kept", got.body["externalId"], rec.Origin)
	}

	// R5: a POST of the exact name of an app group associates: 201 with
	// its id, members overwritten, no duplicate.
	lead := s.Put("a", appGroup("Leadership", "u7", "u8"))
	r = s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Leadership","externalId":"00g2","members":[{"value":"u1"},{"value":"u8"}]}`).must(t, 201)
	if r.body["id"] != lead {
		t.Errorf("associating POST answered id %v, want the app group's %s", r.body["id"], lead)
	}
	list := s.do(t, "GET", `/Groups?filter=displayName%20eq%20%22Leadership%22`, "").must(t, 200)
	if list.body["totalResults"] != float64(1) {
		t.Errorf("groups named Leadership: %v, want 1", list.body["totalResults"])
	}
	if d := cmp.Diff([]string{"u1", "u8"}, s.Group("a", lead).Members.Slice()); d != "" {
		t.Errorf("associated members (-want +got):\n%s", d)
	}

	// R7: the app group cannot be renamed or deleted over SCIM, but its
	// members follow the push.
	r = s.do(t, "PATCH", "/Groups/"+lead, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"id":"`+lead+`","displayName":"Leaders"}}]}`).must(t, 400)
	if r.body["scimType"] != "mutability" {
		t.Errorf("rename refusal scimType %v, want mutability", r.body["scimType"])
	}
	s.do(t, "DELETE", "/Groups/"+lead, "").must(t, 400)
	if rec := s.Group("a", lead); rec.Name != "Leadership" {
		t.Errorf("refused rename changed the name to %q", rec.Name)
	}
}

// The local attributes are a SCIM extension listed in /Schemas, both
// read-only, and displayName is declared case-exact (R5).
func TestSchemasDeclareTheExtension(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	r := s.do(t, "GET", "/Schemas/"+scimx.ExtensionSchema, "").must(t, 200)
	attrs := map[string]map[string]any{}
	for _, a := range r.body["attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["name"].(string)] = m
	}
	for _, name := range []string{"groupType", "origin"} {
		if attrs[name]["mutability"] != "readOnly" {
			t.Errorf("extension attribute %s: %v, want readOnly", name, attrs[name])
		}
	}
	r = s.do(t, "GET", "/Schemas/"+scimx.GroupSchema, "").must(t, 200)
	for _, a := range r.body["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == "displayName" && m["caseExact"] != true {
			t.Errorf("displayName is not case-exact: %v", m)
		}
	}
	list := s.do(t, "GET", "/Schemas", "").must(t, 200)
	found := false
	for _, res := range list.body["Resources"].([]any) {
		found = found || res.(map[string]any)["id"] == scimx.ExtensionSchema
	}
	if !found {
		t.Error("/Schemas does not list the extension")
	}
}
