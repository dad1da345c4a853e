package scimx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// The request shapes of WIRE.md, sent in the order each client sends them,
// with a GET of the group after every step.

const (
	patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorURN   = "urn:ietf:params:scim:api:messages:2.0:Error"
	entraURN   = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// wirePatch returns a PatchOp body with the operations ops, each a JSON
// object.
func wirePatch(ops ...string) string {
	return `{"schemas":["` + patchOpURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// wireState is what a client sees of a group: what the sequences compare
// after every step.
type wireState struct {
	DisplayName string
	ExternalID  string
	Members     []string
	GroupType   string
	Origin      string
}

// wireStateOf reads a group resource.
func wireStateOf(t *testing.T, r reply) wireState {
	t.Helper()
	st := wireState{Members: memberValues(t, r)}
	st.DisplayName, _ = r.body["displayName"].(string)
	st.ExternalID, _ = r.body["externalId"].(string)
	ext, ok := r.body[scimx.ExtensionSchema].(map[string]any)
	if !ok {
		t.Errorf("group %v has no %s extension; body %s", r.body["id"], scimx.ExtensionSchema, r.raw)
	}
	st.GroupType, _ = ext["groupType"].(string)
	st.Origin, _ = ext["origin"].(string)
	return st
}

// wireCheck GETs the group at path (/Groups/{id}, with any query) as the
// client with header would, and compares it with want. It returns the
// reply.
func wireCheck(t *testing.T, s *testServer, path string, want wireState, header ...string) reply {
	t.Helper()
	r := s.do(t, "GET", path, "", header...).must(t, http.StatusOK)
	opts := cmp.Options{cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.EquateEmpty()}
	if d := cmp.Diff(want, wireStateOf(t, r), opts); d != "" {
		t.Errorf("GET %s (-want +got):\n%s", path, d)
	}
	return r
}

// wireSCIMError checks that r is a SCIM error of status, with scimType
// when it is not empty.
func wireSCIMError(t *testing.T, r reply, status int, scimType string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	schemas, _ := r.body["schemas"].([]any)
	if !slices.Contains(schemas, any(errorURN)) {
		t.Errorf("status %d body is not a SCIM error (schemas %v): %s", r.status, r.body["schemas"], r.raw)
	}
	if scimType != "" && r.body["scimType"] != scimType {
		t.Errorf("scimType %v, want %s; body %s", r.body["scimType"], scimType, r.raw)
	}
}

// wire204 checks that r, the answer to a PATCH, is 204 with an ETag.
func wire204(t *testing.T, r reply) reply {
	t.Helper()
	r.must(t, http.StatusNoContent)
	if r.header.Get("ETag") == "" {
		t.Errorf("204 answer to a PATCH has no ETag")
	}
	return r
}

// wirePage is a decoded ListResponse.
type wirePage struct {
	total, start, perPage int64
	resources             []map[string]any
	ids                   []string
}

// wireList checks that r is a ListResponse with integer paging fields and
// a Resources array (never null) whose length is itemsPerPage.
func wireList(t *testing.T, r reply) wirePage {
	t.Helper()
	r.must(t, http.StatusOK)
	var raw struct {
		TotalResults json.Number
		StartIndex   json.Number
		ItemsPerPage json.Number
		Resources    *[]map[string]any
	}
	dec := json.NewDecoder(strings.NewReader(r.raw))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("list response: %v\n%s", err, r.raw)
	}
	var p wirePage
	for _, f := range []struct {
		name string
		n    json.Number
		to   *int64
	}{{"totalResults", raw.TotalResults, &p.total}, {"startIndex", raw.StartIndex, &p.start}, {"itemsPerPage", raw.ItemsPerPage, &p.perPage}} {
		v, err := f.n.Int64()
		if err != nil {
			t.Errorf("%s = %q, want a JSON integer; body %s", f.name, f.n, r.raw)
		}
		*f.to = v
	}
	if raw.Resources == nil {
		t.Fatalf(`Resources is null or missing, want an array; body %s`, r.raw)
	}
	p.resources = *raw.Resources
	if int64(len(p.resources)) != p.perPage {
		t.Errorf("itemsPerPage %d, want %d, the number of Resources", p.perPage, len(p.resources))
	}
	for _, res := range p.resources {
		id, _ := res["id"].(string)
		p.ids = append(p.ids, id)
	}
	return p
}

// okta are the headers of Okta's SCIM client.
var okta = []string{"User-Agent", "Okta SCIM Client 1.0.0", "Content-Type", "application/scim+json; charset=utf-8"}

func TestWireOktaCatalogApp(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	var app []string
	for _, name := range []string{"Admins", "Design", "Marketing", "Sales Ops", "Support"} {
		app = append(app, s.Put("a", appGroup(name, "u9")))
	}
	slices.Sort(app)

	// Import app groups page by page: integer fields, itemsPerPage the page
	// size, a stable order, and an empty page as [] at the end.
	walk := func() []string {
		var seen []string
		for _, start := range []int{1, 3, 5, 7} {
			p := wireList(t, s.do(t, "GET", "/Groups?startIndex="+itoa(start)+"&count=2", "", okta...))
			if p.total != 5 || p.start != int64(start) {
				t.Errorf("page at %d: totalResults %d startIndex %d, want 5 and %d", start, p.total, p.start, start)
			}
			want := min(2, max(0, 5-(start-1)))
			if len(p.ids) != want {
				t.Errorf("page at %d holds %d groups, want %d", start, len(p.ids), want)
			}
			seen = append(seen, p.ids...)
		}
		return seen
	}
	first := walk()
	if d := cmp.Diff(app, first, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("groups over all pages (-want +got):\n%s", d)
	}
	if d := cmp.Diff(first, walk()); d != "" {
		t.Errorf("second import walk differs from the first, order is unstable (-first +second):\n%s", d)
	}

	// Name lookup before create: no match is 200 with an empty list.
	lookup := "/Groups?filter=displayName%20eq%20%22Sales%22&startIndex=1&count=100"
	if p := wireList(t, s.do(t, "GET", lookup, "", okta...)); p.total != 0 || len(p.ids) != 0 {
		t.Errorf("lookup of a missing name found %d groups %v, want none", p.total, p.ids)
	}

	// Create.
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Sales","members":[]}`, okta...).must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	want := wireState{DisplayName: "Sales", GroupType: scimx.DefaultType, Origin: "source"}
	if d := cmp.Diff(want, wireStateOf(t, r), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("create answer (-want +got):\n%s", d)
	}
	path := "/Groups/" + id
	wireCheck(t, s, path, want, okta...)
	if p := wireList(t, s.do(t, "GET", lookup, "", okta...)); !slices.Equal(p.ids, []string{id}) {
		t.Errorf("lookup after create found %v, want [%s]", p.ids, id)
	}

	// Rename with no path, id in the value.
	r = s.do(t, "PATCH", path, wirePatch(`{"op":"replace","value":{"id":"`+id+`","displayName":"Sales2"}}`), okta...)
	switch r.status {
	case http.StatusNoContent:
		if r.header.Get("ETag") == "" {
			t.Errorf("204 answer to the rename has no ETag")
		}
	case http.StatusOK:
	default:
		t.Fatalf("rename: status %d, want 200 or 204; body %s", r.status, r.raw)
	}
	want.DisplayName = "Sales2"
	got := wireCheck(t, s, path, want, okta...)
	if r.status == http.StatusNoContent && r.header.Get("ETag") != got.header.Get("ETag") {
		t.Errorf("rename answered ETag %q, a GET after it %q", r.header.Get("ETag"), got.header.Get("ETag"))
	}

	// Okta adds the members, then sends a push with the name again, a
	// remove by filter and an add, all in one request.
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"add","path":"members","value":[{"value":"u1","display":"u1@example.com"},{"value":"u2","display":"u2@example.com"}]}`), okta...))
	want.Members = []string{"u1", "u2"}
	wireCheck(t, s, path, want, okta...)
	wire204(t, s.do(t, "PATCH", path, wirePatch(
		`{"op":"replace","value":{"id":"`+id+`","displayName":"Sales2"}}`,
		`{"op":"remove","path":"members[value eq \"u1\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"u3","display":"a@b"}]}`), okta...))
	want.Members = []string{"u2", "u3"}
	wireCheck(t, s, path, want, okta...)

	// Push Now: full replace, with a path and without.
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"replace","path":"members","value":[{"value":"u3","display":"a@b"},{"value":"u4","display":"c@d"}]}`), okta...))
	want.Members = []string{"u3", "u4"}
	wireCheck(t, s, path, want, okta...)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"replace","value":{"members":[{"value":"u5","display":"e@f"}]}}`), okta...))
	want.Members = []string{"u5"}
	wireCheck(t, s, path, want, okta...)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"replace","path":"members","value":[]}`), okta...))
	want.Members = nil
	wireCheck(t, s, path, want, okta...)

	// Unlink with "delete in target app".
	s.do(t, "DELETE", path, "", okta...).must(t, http.StatusNoContent)
	wireSCIMError(t, s.do(t, "GET", path, "", okta...), http.StatusNotFound, "")
	if p := wireList(t, s.do(t, "GET", "/Groups?startIndex=1&count=100", "", okta...)); p.total != 5 {
		t.Errorf("%d groups after the delete, want the 5 app groups", p.total)
	}
}

func TestWireOktaWizardApp(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	lookup := "/Groups?filter=displayName%20eq%20%22Leadership%22&startIndex=1&count=100"
	if p := wireList(t, s.do(t, "GET", lookup, "", okta...)); p.total != 0 {
		t.Fatalf("lookup found %v, want nothing", p.ids)
	}
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Leadership","externalId":"00g-lead","members":[{"value":"u1","display":"u1@example.com"}]}`, okta...).must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	path := "/Groups/" + id
	want := wireState{DisplayName: "Leadership", ExternalID: "00g-lead", Members: []string{"u1"}, GroupType: scimx.DefaultType, Origin: "source"}
	wireCheck(t, s, path, want, okta...)

	// PUT with the full member list and the group's own name: not a 409.
	r = s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+id+`",
		"displayName":"Leadership","members":[{"value":"u1","display":null},{"value":"u2","display":null},{"value":"u3","display":null}]}`, okta...).must(t, http.StatusOK)
	want.Members = []string{"u1", "u2", "u3"}
	if d := cmp.Diff(want, wireStateOf(t, r), cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("PUT answer (-want +got):\n%s", d)
	}
	wireCheck(t, s, path, want, okta...)

	// Again, unchanged: still 200.
	s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+id+`",
		"displayName":"Leadership","members":[{"value":"u1","display":null},{"value":"u2","display":null},{"value":"u3","display":null}]}`, okta...).must(t, http.StatusOK)
	wireCheck(t, s, path, want, okta...)

	// A PUT without members clears them; without externalId keeps it.
	s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+id+`",
		"displayName":"Leadership"}`, okta...).must(t, http.StatusOK)
	want.Members = nil
	wireCheck(t, s, path, want, okta...)

	// A PUT with a new name renames.
	s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+id+`",
		"displayName":"Leaders","members":[{"value":"u4","display":null}]}`, okta...).must(t, http.StatusOK)
	want.DisplayName, want.Members = "Leaders", []string{"u4"}
	wireCheck(t, s, path, want, okta...)

	s.do(t, "DELETE", path, "", okta...).must(t, http.StatusNoContent)
	wireSCIMError(t, s.do(t, "GET", path, "", okta...), http.StatusNotFound, "")
}

// entra is how one Entra ID configuration shapes its requests.
type entra struct {
	name   string
	reason string
	flag   bool                          // ?aadOptscim062020 on every URL
	add    func(values ...string) string // a membership add operation
	remove func(values ...string) string // a membership remove operation
	rename func(name string) string
}

func entraValues(values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"$ref":null,"value":` + quote(v) + `}`)
	}
	return "[" + b.String() + "]"
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var entraShapes = []entra{{
	name:   "default",
	reason: "Entra ID capitalises ops and removes by a value array; a Remove removes exactly its values",
	add: func(vs ...string) string {
		return `{"op":"Add","path":"members","value":` + entraValues(vs) + `}`
	},
	remove: func(vs ...string) string {
		return `{"op":"Remove","path":"members","value":` + entraValues(vs) + `}`
	},
	rename: func(name string) string { return `{"op":"Replace","path":"displayName","value":` + quote(name) + `}` },
}, {
	name:   "aadOptscim062020",
	reason: "with the compliance flag Entra ID sends lower-case ops and removes by members[value eq]",
	flag:   true,
	add: func(vs ...string) string {
		return `{"op":"add","path":"members","value":` + entraValues(vs) + `}`
	},
	remove: func(vs ...string) string {
		ops := make([]string, len(vs))
		for i, v := range vs {
			ops[i] = `{"op":"remove","path":` + quote(`members[value eq "`+v+`"]`) + `}`
		}
		return strings.Join(ops, ",")
	},
	rename: func(name string) string { return `{"op":"replace","path":"displayName","value":` + quote(name) + `}` },
}}

func TestWireEntraID(t *testing.T) {
	tabletest.Check(t, entraShapes)
	for _, e := range entraShapes {
		t.Run(e.name, func(t *testing.T) {
			t.Log(e.reason)
			s := newServer(t, scimx.ServerOptions{})
			other := s.Put("a", appGroup("Entra Group Two", "u1"))
			u := func(path string, query ...string) string {
				if e.flag {
					query = append([]string{"aadOptscim062020"}, query...)
				}
				if len(query) == 0 {
					return path
				}
				return path + "?" + strings.Join(query, "&")
			}
			filter := func(f string) string { return "filter=" + url.QueryEscape(f) }
			const name, objectID = "Entra Group", "f0e4b2a6-0b1c-4c8e-9d4e-2b6f1a3c5d7e"

			// Match before create: by name and by externalId, no members.
			match := u("/Groups", "excludedAttributes=members", filter(`displayName eq "`+name+`"`))
			for _, q := range []string{match, u("/Groups", "excludedAttributes=members", filter(`externalId eq "`+objectID+`"`))} {
				if p := wireList(t, s.do(t, "GET", q, "")); p.total != 0 {
					t.Errorf("GET %s found %v, want nothing", q, p.ids)
				}
			}

			// Create with Entra's schema, meta and externalId, no members.
			r := s.do(t, "POST", u("/Groups"), `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","`+entraURN+`"],
				"externalId":"`+objectID+`","displayName":"`+name+`","meta":{"resourceType":"Group"}}`).must(t, http.StatusCreated)
			id, _ := r.body["id"].(string)
			path := "/Groups/" + id
			want := wireState{DisplayName: name, ExternalID: objectID, GroupType: scimx.DefaultType, Origin: "source"}
			wireCheck(t, s, u(path), want)
			for _, q := range []string{match, u("/Groups", "excludedAttributes=members", filter(`externalId eq "`+objectID+`"`))} {
				p := wireList(t, s.do(t, "GET", q, ""))
				if !slices.Equal(p.ids, []string{id}) {
					t.Errorf("GET %s found %v, want [%s]", q, p.ids, id)
				}
				for _, res := range p.resources {
					if _, ok := res["members"]; ok {
						t.Errorf("GET %s returned members despite excludedAttributes=members", q)
					}
				}
			}
			// A single read with excludedAttributes too.
			if r := s.do(t, "GET", u(path, "excludedAttributes=members"), "").must(t, http.StatusOK); r.body["members"] != nil {
				t.Errorf("GET %s returned members despite excludedAttributes=members", path)
			}

			// Membership deltas.
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.add("u1", "u2", "u3"))))
			want.Members = []string{"u1", "u2", "u3"}
			wireCheck(t, s, u(path), want)
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.add("u2"))))
			wireCheck(t, s, u(path), want)
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.remove("u1"))))
			want.Members = []string{"u2", "u3"}
			wireCheck(t, s, u(path), want)
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.remove("u9"))))
			wireCheck(t, s, u(path), want)
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.add("u4"), e.remove("u2"))))
			want.Members = []string{"u3", "u4"}
			wireCheck(t, s, u(path), want)

			// Rename.
			wire204(t, s.do(t, "PATCH", u(path), wirePatch(e.rename("Entra Group Renamed"))))
			want.DisplayName = "Entra Group Renamed"
			wireCheck(t, s, u(path), want)

			// Membership probe.
			probe := func(gid, uid string) string {
				return u("/Groups", filter(`id eq "`+gid+`" and members eq "`+uid+`"`), "attributes=id")
			}
			p := wireList(t, s.do(t, "GET", probe(id, "u3"), ""))
			if !slices.Equal(p.ids, []string{id}) {
				t.Errorf("probe of a member found %v, want [%s]", p.ids, id)
			}
			for _, res := range p.resources {
				for k := range res {
					if k != "id" && k != "schemas" && k != "meta" {
						t.Errorf("probe with attributes=id returned %q", k)
					}
				}
			}
			for _, q := range []string{probe(id, "u1"), probe(other, "u3"), probe("no-such-group", "u3")} {
				if p := wireList(t, s.do(t, "GET", q, "")); p.total != 0 {
					t.Errorf("GET %s found %v, want nothing", q, p.ids)
				}
			}
			if p := wireList(t, s.do(t, "GET", probe(other, "u1"), "")); !slices.Equal(p.ids, []string{other}) {
				t.Errorf("probe of the other group's member found %v, want [%s]", p.ids, other)
			}

			s.do(t, "DELETE", u(path), "").must(t, http.StatusNoContent)
			wireSCIMError(t, s.do(t, "GET", u(path), ""), http.StatusNotFound, "")
			if p := wireList(t, s.do(t, "GET", match, "")); p.total != 0 {
				t.Errorf("match after delete found %v", p.ids)
			}
		})
	}
}

// Entra's documentation writes filters unencoded. A URL with raw spaces
// is not valid HTTP: Go's client sends it as it is and net/http's server
// refuses the request line before any handler runs. What a client can send
// is the form with + for spaces and raw quotes, which must work.
func TestWireEntraUnencodedFilter(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	id := s.Put("a", appGroup("Entra Group", "u1"))

	raw := s.URL + `/Groups?excludedAttributes=members&filter=displayName eq "Entra Group"`
	req, err := http.NewRequest("GET", raw, nil)
	if err != nil {
		t.Logf("Go's client refuses the raw URL: %v", err)
	} else {
		req.Header.Set("Authorization", "Bearer "+tokenA)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET with raw spaces: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusOK:
			p := wireList(t, reply{status: res.StatusCode, raw: string(body)})
			if !slices.Equal(p.ids, []string{id}) {
				t.Errorf("raw-space filter found %v, want [%s]", p.ids, id)
			}
		case res.StatusCode == http.StatusBadRequest && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")):
			t.Logf("net/http refuses a request line with raw spaces before the handler: %d %q", res.StatusCode, body)
		default:
			t.Errorf("GET with raw spaces: status %d, want 200 or net/http's 400; body %s", res.StatusCode, body)
		}
	}

	for _, q := range []string{
		`/Groups?excludedAttributes=members&filter=displayName+eq+"Entra+Group"`,
		`/Groups?excludedAttributes=members&filter=displayName%20eq%20"Entra%20Group"`,
		`/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Entra%20Group%22`,
	} {
		p := wireList(t, s.do(t, "GET", q, ""))
		if !slices.Equal(p.ids, []string{id}) {
			t.Errorf("GET %s found %v, want [%s]", q, p.ids, id)
		}
		for _, res := range p.resources {
			if _, ok := res["members"]; ok {
				t.Errorf("GET %s returned members", q)
			}
		}
	}
}

func TestWireJumpCloudTakesOverAppGroup(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	id := s.Put("a", appGroup("Design", "u7", "u8"))
	path := "/Groups/" + id
	wireCheck(t, s, path, wireState{DisplayName: "Design", Members: []string{"u7", "u8"}, GroupType: "Teams", Origin: "target"})

	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Design","members":[{"value":"u1"},{"value":"u2"},{"value":"u8"}]}`).must(t, http.StatusCreated)
	if r.body["id"] != id {
		t.Fatalf("POST of the app group's name answered id %v, want %s", r.body["id"], id)
	}
	want := wireState{DisplayName: "Design", Members: []string{"u1", "u2", "u8"}, GroupType: "Teams", Origin: "target"}
	wireCheck(t, s, path, want)

	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"u8"}]}`)))
	want.Members = []string{"u2"}
	wireCheck(t, s, path, want)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"Add","path":"members","value":[{"value":"u3"}]}`)))
	want.Members = []string{"u2", "u3"}
	wireCheck(t, s, path, want)
	if p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Design"`), "")); p.total != 1 {
		t.Errorf("%d groups named Design, want 1: %v", p.total, p.ids)
	}

	// A full-list PUT with the app group's own name is membership only:
	// not refused as a rename (R7), not a 409.
	s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+id+`",
		"displayName":"Design","members":[{"value":"u3","display":null},{"value":"u4","display":null}]}`).must(t, http.StatusOK)
	want.Members = []string{"u3", "u4"}
	wireCheck(t, s, path, want)

	// R5: only the exact name associates; a case variant is a new group.
	r = s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"design"}`).must(t, http.StatusCreated)
	if r.body["id"] == id {
		t.Errorf("POST of %q associated with the group %q", "design", "Design")
	}
	wireCheck(t, s, path, want)

	// R2: an associating POST without members empties the group.
	research := s.Put("a", appGroup("Research", "u7"))
	r = s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Research"}`).must(t, http.StatusCreated)
	if r.body["id"] != research {
		t.Fatalf("POST of the app group's name answered id %v, want %s", r.body["id"], research)
	}
	wireCheck(t, s, "/Groups/"+research, wireState{DisplayName: "Research", GroupType: "Teams", Origin: "target"})
}

// Okta linked to an app group by name sends the name with every membership
// push: the unchanged name is no rename (R7), so the push goes through.
func TestWireOktaPushToAppGroup(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	id := s.Put("a", appGroup("Leadership", "u7"))
	p := wireList(t, s.do(t, "GET", "/Groups?filter=displayName%20eq%20%22Leadership%22&startIndex=1&count=100", "", okta...))
	if !slices.Equal(p.ids, []string{id}) {
		t.Fatalf("lookup found %v, want [%s]", p.ids, id)
	}
	path := "/Groups/" + id
	wire204(t, s.do(t, "PATCH", path, wirePatch(
		`{"op":"replace","value":{"id":"`+id+`","displayName":"Leadership"}}`,
		`{"op":"remove","path":"members[value eq \"u7\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"u1","display":"a@b"}]}`), okta...))
	want := wireState{DisplayName: "Leadership", Members: []string{"u1"}, GroupType: "Teams", Origin: "target"}
	wireCheck(t, s, path, want, okta...)

	// Renamed in Okta: refused, and the membership of the same request
	// with it (R2, R7).
	r := s.do(t, "PATCH", path, wirePatch(
		`{"op":"replace","value":{"id":"`+id+`","displayName":"Leaders"}}`,
		`{"op":"add","path":"members","value":[{"value":"u2","display":"c@d"}]}`), okta...)
	wireSCIMError(t, r, http.StatusBadRequest, "mutability")
	wireCheck(t, s, path, want, okta...)
}

func TestWireAuthentik(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})

	r := s.do(t, "GET", "/ServiceProviderConfig", "").must(t, http.StatusOK)
	for _, feature := range []string{"patch", "filter"} {
		f, _ := r.body[feature].(map[string]any)
		if f["supported"] != true {
			t.Errorf("ServiceProviderConfig %s = %v, want supported true", feature, r.body[feature])
		}
	}

	// A new group: created with its externalId.
	r = s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Platform","externalId":"ak-platform","members":[{"value":"u1"}]}`).must(t, http.StatusCreated)
	platform, _ := r.body["id"].(string)
	wireCheck(t, s, "/Groups/"+platform, wireState{DisplayName: "Platform", ExternalID: "ak-platform",
		Members: []string{"u1"}, GroupType: scimx.DefaultType, Origin: "source"})

	// Two groups of the name: 409, then the lookup finds both and
	// authentik links to the first.
	ops1 := s.Put("a", appGroup("Ops", "u7"))
	ops2 := s.Put("a", appGroup("Ops", "u8"))
	wireSCIMError(t, s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Ops","externalId":"ak-ops","members":[{"value":"u1"}]}`), http.StatusConflict, "uniqueness")
	p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Ops"`), ""))
	wantIDs := []string{ops1, ops2}
	slices.Sort(wantIDs)
	if d := cmp.Diff(wantIDs, p.ids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Fatalf("lookup of Ops (-want +got):\n%s", d)
	}
	for _, gid := range []string{ops1, ops2} {
		rec := s.Group("a", gid)
		if rec.ExternalID != "" || rec.Members.Len() != 1 {
			t.Errorf("refused POST changed group %s: externalId %q members %v", gid, rec.ExternalID, rec.Members.Slice())
		}
	}
	first := p.ids[0]
	firstMember := s.Group("a", first).Members.Slice()[0]
	path := "/Groups/" + first
	wire204(t, s.do(t, "PATCH", path, wirePatch(
		`{"op":"add","path":"members","value":[{"value":"u1"}]}`,
		`{"op":"add","path":"members","value":[{"value":"u2"}]}`,
		`{"op":"remove","path":"members","value":[{"value":"`+firstMember+`"}]}`)))
	wireCheck(t, s, path, wireState{DisplayName: "Ops", Members: []string{"u1", "u2"}, GroupType: "Teams", Origin: "target"})

	// One group of the name linked to another externalId: 409, and the
	// lookup finds it.
	infra := s.Put("a", group.Group{Name: "Infra", ExternalID: "okta-infra", Origin: origin.Source,
		Type: scimx.DefaultType, Members: group.NewMembers("u5")})
	wireSCIMError(t, s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Infra","externalId":"ak-infra","members":[{"value":"u1"}]}`), http.StatusConflict, "uniqueness")
	if p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Infra"`), "")); !slices.Equal(p.ids, []string{infra}) {
		t.Errorf("lookup of Infra found %v, want [%s]", p.ids, infra)
	}
	wireCheck(t, s, "/Groups/"+infra, wireState{DisplayName: "Infra", ExternalID: "okta-infra",
		Members: []string{"u5"}, GroupType: scimx.DefaultType, Origin: "source"})
	wire204(t, s.do(t, "PATCH", "/Groups/"+infra, wirePatch(
		`{"op":"add","path":"members","value":[{"value":"u6"}]}`,
		`{"op":"remove","path":"members","value":[{"value":"u5"}]}`)))
	wireCheck(t, s, "/Groups/"+infra, wireState{DisplayName: "Infra", ExternalID: "okta-infra",
		Members: []string{"u6"}, GroupType: scimx.DefaultType, Origin: "source"})
}

func TestWireOneLogin(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	app := s.Put("a", appGroup("Finance", "u1"))
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Engineering","members":[{"value":"u1"}]}`).must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	path := "/Groups/" + id

	p := wireList(t, s.do(t, "GET", "/Groups", ""))
	want := []string{app, id}
	if d := cmp.Diff(want, p.ids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("GET /Groups (-want +got):\n%s", d)
	}

	st := wireState{DisplayName: "Engineering", Members: []string{"u1"}, GroupType: scimx.DefaultType, Origin: "source"}
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"add","path":"members","value":[{"value":"u2"},{"value":"u3"}]}`)))
	st.Members = []string{"u1", "u2", "u3"}
	wireCheck(t, s, path, st)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"remove","path":"members[value eq \"u2\"]"}`)))
	st.Members = []string{"u1", "u3"}
	wireCheck(t, s, path, st)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"replace","path":"displayName","value":"Eng"}`)))
	st.DisplayName = "Eng"
	wireCheck(t, s, path, st)
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"replace","path":"members","value":[{"value":"u4"}]}`)))
	st.Members = []string{"u4"}
	wireCheck(t, s, path, st)

	// A PATCH that names attributes answers 200 with the group as asked.
	r = s.do(t, "PATCH", path+"?excludedAttributes=members", wirePatch(`{"op":"add","path":"members","value":[{"value":"u5"}]}`)).must(t, http.StatusOK)
	if r.body["displayName"] != "Eng" || r.body["members"] != nil || r.header.Get("ETag") == "" {
		t.Errorf("PATCH with excludedAttributes=members answered displayName %v, members %v, ETag %q; want Eng, none, an ETag",
			r.body["displayName"], r.body["members"], r.header.Get("ETag"))
	}
	st.Members = []string{"u4", "u5"}
	wireCheck(t, s, path, st)
}

// An AWS sync tool (Google Workspace to AWS IAM Identity Center) creates
// groups without schemas, which AWS accepts: the server takes a POST or PUT
// of a group without schemas as the core Group schema. A body whose schemas
// names another resource is still refused, and so is a PATCH without the
// PatchOp schema.
func TestWireAWSSyncTool(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	r := s.do(t, "POST", "/Groups", `{"displayName":"Sales","externalId":"gws-sales"}`).must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	path := "/Groups/" + id
	st := wireState{DisplayName: "Sales", ExternalID: "gws-sales", GroupType: scimx.DefaultType, Origin: "source"}
	wireCheck(t, s, path, st)
	s.do(t, "PUT", path, ` {"displayName":"Sales","members":[{"value":"u1"}]}`).must(t, http.StatusOK)
	st.Members = []string{"u1"}
	wireCheck(t, s, path, st)
	r = s.do(t, "POST", "/Groups", `{"displayName":"Sales","externalId":"gws-sales","members":[{"value":"u2"}]}`).must(t, http.StatusCreated)
	if r.body["id"] != id {
		t.Errorf("a POST of the same name without schemas created %v, want it to associate with %s (R5)", r.body["id"], id)
	}
	st.Members = []string{"u2"}
	wireCheck(t, s, path, st)

	rows := []badRow{
		{name: "SCIM/aws/user-schema", reason: "a body that says it is a User is not a group",
			method: "POST", path: "/Groups", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"Ops"}`, status: 400},
		{name: "SCIM/aws/empty-schemas", reason: "schemas is there and names no Group",
			method: "PUT", path: path, body: `{"schemas":[],"displayName":"Sales"}`, status: 400},
		{name: "SCIM/aws/no-displayName", reason: "the core Group schema requires displayName",
			method: "POST", path: "/Groups", body: `{}`, status: 400},
		{name: "SCIM/aws/patch-without-schemas", reason: "the PatchOp schema is a PATCH's own, not a group's: it is not implied",
			method: "PATCH", path: path, body: `{"Operations":[{"op":"add","path":"members","value":[{"value":"u9"}]}]}`, status: 400},
	}
	runBadRows(t, s, strings.NewReplacer(), rows)
}

// Member objects carry display, $ref, type and null fields; member values
// may be ids of groups of the same tenant, which come back as type Group.
func TestWireMemberShapes(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	child := s.Put("a", appGroup("Child", "u9"))

	type member struct{ Value, Type string }
	members := func(t *testing.T, r reply) []member {
		t.Helper()
		var out []member
		ms, _ := r.body["members"].([]any)
		for _, m := range ms {
			obj, _ := m.(map[string]any)
			v, _ := obj["value"].(string)
			typ, _ := obj["type"].(string)
			out = append(out, member{v, typ})
		}
		slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.Value, b.Value) })
		return out
	}

	// Created with decorated members and a member group.
	r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Parent","members":[
		{"value":"u1","display":"Ann","$ref":"https://idp.example.com/scim/v2/Users/u1","type":"User"},
		{"value":"u2","display":null,"$ref":null,"type":null},
		{"value":"`+child+`","type":"Group","$ref":"https://app.example.com/scim/v2/Groups/`+child+`","display":"Child"}]}`).must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	path := "/Groups/" + id
	want := []member{{"u1", "User"}, {"u2", "User"}, {child, "Group"}}
	slices.SortFunc(want, func(a, b member) int { return strings.Compare(a.Value, b.Value) })
	if d := cmp.Diff(want, members(t, s.do(t, "GET", path, "").must(t, http.StatusOK))); d != "" {
		t.Errorf("members after create (-want +got):\n%s", d)
	}

	// PATCH adds with every decoration, including a stray displayName.
	other := s.Put("a", appGroup("Other"))
	wire204(t, s.do(t, "PATCH", path, wirePatch(
		`{"op":"add","path":"members","value":[{"value":"u3","display":null,"$ref":null,"type":"User","displayName":"stray"}]}`,
		`{"op":"Add","path":"members","value":{"value":"`+other+`","$ref":null}}`,
		`{"op":"Remove","path":"members","value":[{"value":"u2","$ref":null,"display":null}]}`)))
	want = []member{{"u1", "User"}, {"u3", "User"}, {child, "Group"}, {other, "Group"}}
	slices.SortFunc(want, func(a, b member) int { return strings.Compare(a.Value, b.Value) })
	got := s.do(t, "GET", path, "").must(t, http.StatusOK)
	if d := cmp.Diff(want, members(t, got)); d != "" {
		t.Errorf("members after PATCH (-want +got):\n%s", d)
	}
	// The member groups are not expanded.
	for _, m := range memberValues(t, got) {
		if m == "u9" {
			t.Errorf("the member group's member u9 was expanded into the parent")
		}
	}

	// A filter on the member type finds the parent, a PUT keeps group
	// members as groups, and removal by filter removes a member group.
	if p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`members[type eq "Group" and value eq "`+child+`"]`), "")); !slices.Equal(p.ids, []string{id}) {
		t.Errorf("members[type eq Group] found %v, want [%s]", p.ids, id)
	}
	s.do(t, "PUT", path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Parent",
		"members":[{"value":"u1","display":null},{"value":"`+child+`","type":"Group"}]}`).must(t, http.StatusOK)
	want = []member{{"u1", "User"}, {child, "Group"}}
	slices.SortFunc(want, func(a, b member) int { return strings.Compare(a.Value, b.Value) })
	if d := cmp.Diff(want, members(t, s.do(t, "GET", path, "").must(t, http.StatusOK))); d != "" {
		t.Errorf("members after PUT (-want +got):\n%s", d)
	}
	wire204(t, s.do(t, "PATCH", path, wirePatch(`{"op":"remove","path":"members[type eq \"Group\"]"}`)))
	if d := cmp.Diff([]member{{"u1", "User"}}, members(t, s.do(t, "GET", path, "").must(t, http.StatusOK))); d != "" {
		t.Errorf("members after removing member groups (-want +got):\n%s", d)
	}
	// The child group itself is untouched.
	wireCheck(t, s, "/Groups/"+child, wireState{DisplayName: "Child", Members: []string{"u9"}, GroupType: "Teams", Origin: "target"})
}

// A filter's compare value is a JSON string (RFC 7644 section 3.4.2.2):
// its escapes stand for the characters they escape, and the name matches
// byte for byte after decoding. Clients escape differently: Go's
// encoding/json (this library's client among them) writes & < > as \u0026
// \u003c \u003e.
func TestWireFilterValueEscapes(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	ids := map[string]string{}
	for _, name := range []string{"R&D", `Say "hi"`, `back\slash`, "Ünïcødé", "<b>"} {
		ids[name] = s.Put("a", appGroup(name, "u&1", `u"2`))
	}
	filters := []struct {
		name, reason string
		filter       string
		want         string // the group's name
	}{
		{"R5/plain-ampersand", "an ampersand needs no escape", `displayName eq "R&D"`, "R&D"},
		{"R5/plain-unicode", "non-ASCII needs no escape", `displayName eq "Ünïcødé"`, "Ünïcødé"},
		{"R5/escaped-ampersand", `\u0026 is &, as Go's encoding/json writes it`, `displayName eq "R\u0026D"`, "R&D"},
		{"R5/escaped-angles", `\u003c and \u003e are < and >`, `displayName eq "\u003cb\u003e"`, "<b>"},
		{"R5/escaped-quote", `\" is a quote, the only way to write one`, `displayName eq "Say \"hi\""`, `Say "hi"`},
		{"R5/escaped-backslash", `\\ is a backslash, the only way to write one`, `displayName eq "back\\slash"`, `back\slash`},
		{"R5/escaped-unicode", `\u00DC is Ü`, `displayName eq "\u00DCn\u00EFc\u00F8d\u00E9"`, "Ünïcødé"},
		{"R5/escaped-unicode-lower-hex", `\u00dc is Ü too: hex digits are case-insensitive`, `displayName eq "\u00dcn\u00efc\u00f8d\u00e9"`, "Ünïcødé"},
		{"SCIM/members-escaped", `a member value with an escape is the decoded value`, `displayName eq "R&D" and members[value eq "u\u00261"]`, "R&D"},
		{"SCIM/members-eq-escaped", `Entra's probe of a member value with a quote`, `displayName eq "R&D" and members eq "u\"2"`, "R&D"},
	}
	tabletest.Check(t, filters)
	for _, r := range filters {
		t.Run(r.name, func(t *testing.T) {
			p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(r.filter), ""))
			if !slices.Equal(p.ids, []string{ids[r.want]}) {
				t.Errorf("filter %s found %v, want the group %q %s: %s", r.filter, p.ids, r.want, ids[r.want], r.reason)
			}
		})
	}

	t.Run("SCIM/patch-remove-escaped", func(t *testing.T) {
		id := ids["R&D"]
		wire204(t, s.do(t, "PATCH", "/Groups/"+id, wirePatch(
			`{"op":"remove","path":`+quote(`members[value eq "u\u00261"]`)+`}`,
			`{"op":"remove","path":`+quote(`members[value eq "u\"2"]`)+`}`)))
		wireCheck(t, s, "/Groups/"+id, wireState{DisplayName: "R&D", GroupType: "Teams", Origin: "target"})
	})
}

// wireUsers is a small Users resource written for the wire tests: an app's
// own users, served through ServerOptions.Resources, with userName unique
// and compared without regard to case (RFC 7643: caseExact false).
type wireUsers struct {
	mu    sync.Mutex
	users map[string]map[string]map[string]any // tenant → id → attributes
	next  int
}

func (w *wireUsers) tenant(t string) map[string]map[string]any {
	if w.users == nil {
		w.users = map[string]map[string]map[string]any{}
	}
	if w.users[t] == nil {
		w.users[t] = map[string]map[string]any{}
	}
	return w.users[t]
}

func (w *wireUsers) Create(ctx context.Context, t string, attrs map[string]any) (scimx.Resource, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	name, _ := attrs["userName"].(string)
	for _, u := range w.tenant(t) {
		if strings.EqualFold(u["userName"].(string), name) {
			return scimx.Resource{}, fmt.Errorf("userName %q is taken: %w", name, scimx.ErrConflict)
		}
	}
	w.next++
	id := "user-" + strconv.Itoa(w.next)
	w.tenant(t)[id] = attrs
	return scimx.Resource{ID: id, Attributes: attrs, Version: 1}, nil
}

func (w *wireUsers) Get(ctx context.Context, t, id string) (scimx.Resource, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.tenant(t)[id]
	if !ok {
		return scimx.Resource{}, fmt.Errorf("no such user: %w", scimx.ErrNotFound)
	}
	return scimx.Resource{ID: id, Attributes: u, Version: 1}, nil
}

func (w *wireUsers) List(ctx context.Context, t string, q scimx.ListQuery) (scimx.ResourcePage, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for id, u := range w.tenant(t) {
		pass := true
		for _, eq := range q.Filter {
			v, _ := eq.Value.(string)
			switch eq.Attr {
			case "userName":
				pass = pass && strings.EqualFold(u["userName"].(string), v)
			case "id":
				pass = pass && id == v
			default:
				return scimx.ResourcePage{}, fmt.Errorf("%w: filter by userName or id", scimx.ErrInvalidFilter)
			}
		}
		if pass {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	page := scimx.ResourcePage{Total: len(ids), Resources: []scimx.Resource{}}
	for i := q.StartIndex - 1; i >= 0 && i < len(ids) && len(page.Resources) < q.Count; i++ {
		page.Resources = append(page.Resources, scimx.Resource{ID: ids[i], Attributes: w.tenant(t)[ids[i]], Version: 1})
	}
	return page, nil
}

func (w *wireUsers) Replace(ctx context.Context, t, id string, attrs map[string]any) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: not in the wire tests", scimx.ErrInvalidValue)
}

func (w *wireUsers) Patch(ctx context.Context, t, id string, ops []scimx.PatchOp) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: not in the wire tests", scimx.ErrInvalidValue)
}

func (w *wireUsers) Delete(ctx context.Context, t, id string) error {
	return fmt.Errorf("%w: not in the wire tests", scimx.ErrInvalidValue)
}

// wireUsersServer serves Groups and the wire tests' Users.
func wireUsersServer(t *testing.T) *testServer {
	return newServer(t, scimx.ServerOptions{Resources: []scimx.ResourceType{{
		Name: "User", Endpoint: "/Users", Schema: scimx.UserSchema, Extensions: []string{scimx.EnterpriseUserSchema}, Handler: &wireUsers{},
	}}})
}

// Okta, when an admin saves an app's provisioning settings, reads two
// users and refuses to save without a 200 ListResponse; before it creates
// a user it looks the userName up (WIRE.md, Okta).
func TestWireOktaSavesProvisioning(t *testing.T) {
	s := wireUsersServer(t)
	pg := wireList(t, s.do(t, "GET", "/Users?startIndex=1&count=2", "", okta...))
	if pg.total != 0 || pg.start != 1 || len(pg.resources) != 0 {
		t.Errorf("the save-time read of an empty app: totalResults %d, startIndex %d, %d resources; want 0, 1, none", pg.total, pg.start, len(pg.resources))
	}
	lookup := "/Users?filter=" + url.QueryEscape(`userName eq "ann@example.com"`) + "&startIndex=1&count=100"
	if pg := wireList(t, s.do(t, "GET", lookup, "", okta...)); pg.total != 0 {
		t.Errorf("the lookup before a create found %d users", pg.total)
	}
	r := s.do(t, "POST", "/Users", `{"schemas":["`+scimx.UserSchema+`"],"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},`+
		`"emails":[{"primary":true,"value":"ann@example.com","type":"work"}],"displayName":"Ann Lee","locale":"en-US","externalId":"00u1","groups":[],"active":true}`, okta...)
	r.must(t, http.StatusCreated)
	id, _ := r.body["id"].(string)
	if pg := wireList(t, s.do(t, "GET", lookup, "", okta...)); pg.total != 1 || len(pg.ids) != 1 || pg.ids[0] != id {
		t.Errorf("the lookup after the create found %v, want [%s]", pg.ids, id)
	}
	pg = wireList(t, s.do(t, "GET", "/Users?startIndex=1&count=2", "", okta...))
	if pg.total != 1 || len(pg.resources) != 1 {
		t.Errorf("the save-time read with one user: totalResults %d, %d resources", pg.total, len(pg.resources))
	}
	wireSCIMError(t, s.do(t, "POST", "/Users", `{"schemas":["`+scimx.UserSchema+`"],"userName":"ANN@example.com"}`, okta...), http.StatusConflict, "uniqueness")
	if r := s.do(t, "GET", "/Users?startIndex=1&count=2", "", "Authorization", "Bearer wrong"); r.status != http.StatusUnauthorized {
		t.Errorf("the save-time read with a wrong token: %d, want 401 (Okta shows it as bad credentials)", r.status)
	}
}

// Entra ID's Test Connection queries the Users endpoint with a userName
// that exists nowhere and expects a 200 with an empty ListResponse; a 404,
// or a 400 for the filter, fails the test in the portal (WIRE.md, Entra ID).
func TestWireEntraTestConnection(t *testing.T) {
	s := wireUsersServer(t)
	s.do(t, "POST", "/Users", `{"schemas":["`+scimx.UserSchema+`"],"userName":"bo@contoso.com"}`).must(t, http.StatusCreated)
	tests := []struct{ name, query, reason string }{
		{"random userName", "filter=" + url.QueryEscape(`userName eq "9f4c53a8-5a2b-4c1e-8d1e-3a2f1b0c9d7e"`),
			"the Test Connection query: a GUID no user has"},
		{"random userName, %20", "filter=userName%20eq%20%22" + "4d7e0b7e-2d1f-4c3e-9f0a-6c1b2a3d4e5f" + "%22",
			"Entra encodes spaces as %20 as well as +"},
		{"with excludedAttributes", "excludedAttributes=members&filter=" + url.QueryEscape(`userName eq "nobody@contoso.com"`),
			"some Entra requests carry excludedAttributes, which must not turn the answer into an error"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := wireList(t, s.do(t, "GET", "/Users?"+tt.query, "", "Content-Type", "application/scim+json"))
			if pg.total != 0 || len(pg.resources) != 0 {
				t.Errorf("%d users match (%s)", pg.total, tt.reason)
			}
		})
	}
	// The match before a create finds the user whatever the case.
	pg := wireList(t, s.do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq "BO@contoso.com"`), ""))
	if pg.total != 1 {
		t.Errorf("a userName filter in another case found %d users, want 1 (userName is caseExact false)", pg.total)
	}
}
