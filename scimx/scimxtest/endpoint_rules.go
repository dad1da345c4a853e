package scimxtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// extAttr is a string attribute of a schema extension of the endpoint's
// Group resource type: what the app keeps beside the core attributes.
type extAttr struct{ urn, name string }

// discover reads, once a run, the extension attributes the endpoint
// advertises for groups, from /ResourceTypes and /Schemas. An endpoint that
// serves neither advertises none.
func (p *probe) discover() []extAttr {
	p.k.discoverOnce.Do(func() {
		r := p.do("GET", "/ResourceTypes", "")
		if r.status != http.StatusOK || r.obj == nil {
			return
		}
		var types []any
		if v, ok := attr(r.obj, "Resources"); ok {
			types, _ = v.([]any)
		} else {
			types = []any{r.obj}
		}
		var urns []string
		for _, t := range types {
			rt, _ := t.(map[string]any)
			if !strings.EqualFold(strings.TrimPrefix(str(rt, "endpoint"), "/"), "Groups") {
				continue
			}
			v, _ := attr(rt, "schemaExtensions")
			exts, _ := v.([]any)
			for _, e := range exts {
				obj, _ := e.(map[string]any)
				if urn := str(obj, "schema"); urn != "" {
					urns = append(urns, urn)
				}
			}
		}
		for _, urn := range urns {
			r := p.do("GET", "/Schemas/"+url.PathEscape(urn), "")
			if r.status != http.StatusOK || r.obj == nil {
				continue
			}
			v, _ := attr(r.obj, "attributes")
			attrs, _ := v.([]any)
			for _, a := range attrs {
				obj, _ := a.(map[string]any)
				mv, _ := attr(obj, "multiValued")
				if name := str(obj, "name"); name != "" && strings.EqualFold(str(obj, "type"), "string") && mv != true {
					p.k.extensions = append(p.k.extensions, extAttr{urn, name})
				}
			}
		}
	})
	return p.k.extensions
}

// extValues renders, for a POST or PUT body, every extension attribute set
// to value, and the extension URNs for its schemas.
func extValues(exts []extAttr, value string) (schemas, fields string) {
	byURN := map[string][]string{}
	var urns []string
	for _, e := range exts {
		if _, ok := byURN[e.urn]; !ok {
			urns = append(urns, e.urn)
		}
		byURN[e.urn] = append(byURN[e.urn], quote(e.name)+":"+quote(value))
	}
	for _, urn := range urns {
		schemas += "," + quote(urn)
		fields += "," + quote(urn) + ":{" + strings.Join(byURN[urn], ",") + "}"
	}
	return schemas, fields
}

// extValue returns the value of an extension attribute in a group
// resource, nested under its URN or flat.
func extValue(obj map[string]any, e extAttr) string {
	if v, ok := attr(obj, e.urn); ok {
		if m, ok := v.(map[string]any); ok {
			return str(m, e.name)
		}
	}
	return str(obj, e.urn+":"+e.name)
}

// checkR2: a push sets only externalId, displayName and members. POST and
// PUT drop anything else; a PATCH of anything else is refused and applies
// nothing; a PUT without members empties the group.
func checkR2(p *probe) {
	u := p.k.users
	exts := p.discover()
	const planted = "gsck-set-by-a-push"
	const effect = "a push sets what only the app may set"
	extSchemas, extFields := extValues(exts, planted)
	name := p.name("R2 Pushed")
	body := `{"schemas":["` + groupURN + `"` + extSchemas + `],"displayName":` + quote(name) +
		`,"description":"` + planted + `","members":` + members(u[0]) + extFields + `}`
	id := p.created(p.k.e.Tenant, p.do("POST", "/Groups", body), "POST /Groups with a description and extension attributes")
	notPlanted := func(after string) {
		r := p.do("GET", "/Groups/"+url.PathEscape(id), "")
		if r.obj == nil {
			return
		}
		if str(r.obj, "description") == planted {
			p.failf(effect, "after %s, the group's description is the one the push sent", after)
		}
		for _, e := range exts {
			if extValue(r.obj, e) == planted {
				p.failf(effect, "after %s, %s:%s is the value the push sent", after, e.urn, e.name)
			}
		}
		if p.k.e.GroupType != nil {
			if t, ok := p.typeOf(id); ok && t == planted {
				p.failf(effect, "after %s, the group's type is the one the push sent", after)
			}
		}
	}
	notPlanted("a POST with them")
	want := view{Name: name, Members: []string{u[0]}}
	p.expect(id, want, "pushing a new group fails", "a POST with a description and extension attributes")

	body = `{"schemas":["` + groupURN + `"` + extSchemas + `],"displayName":` + quote(name) +
		`,"description":"` + planted + `","members":` + members(u[1]) + extFields + `}`
	if p.written(p.do("PUT", "/Groups/"+url.PathEscape(id), body), "membership pushes fail", "a PUT with a description and extension attributes", http.StatusOK) {
		want.Members = []string{u[1]}
		p.expect(id, want, "membership pushes fail", "a PUT with a description and extension attributes")
		notPlanted("a PUT with them")
	}

	// PATCH of anything else: refused, with nothing of the request applied.
	ops := []struct{ what, op string }{
		{"a PATCH of description", `{"op":"replace","path":"description","value":"` + planted + `"}`},
		{"a PATCH of an unknown attribute", `{"op":"replace","path":"gsckUnknown","value":"` + planted + `"}`},
	}
	for _, e := range exts {
		ops = append(ops,
			struct{ what, op string }{"a PATCH of " + e.urn + ":" + e.name, `{"op":"replace","path":` + quote(e.urn+":"+e.name) + `,"value":"` + planted + `"}`},
			struct{ what, op string }{"a PATCH without a path of " + e.name + " under " + e.urn, `{"op":"replace","value":{` + quote(e.urn) + `:{` + quote(e.name) + `:"` + planted + `"}}}`},
		)
	}
	for _, o := range ops {
		r := p.do("PATCH", "/Groups/"+url.PathEscape(id), patch(`{"op":"add","path":"members","value":`+members(u[2])+`}`, o.op))
		if p.refused(r, effect, o.what+" after a member add", http.StatusBadRequest) {
			p.unchanged(p.k.e.Tenant, id, want, effect, o.what)
		}
		notPlanted(o.what)
	}

	r := p.do("PUT", "/Groups/"+url.PathEscape(id), groupBody(name, "", ""))
	if p.written(r, "removing the last members fails", "a PUT without members", http.StatusOK) {
		want.Members = nil
		p.expect(id, want, "removing the last members fails", "a PUT without members, which means none")
	}
}

// checkR3: a new group is created with the name, externalId and members
// pushed, in the app's default type, and is the source's: it may be
// renamed and deleted over SCIM.
func checkR3(p *probe) {
	u := p.k.users
	name, ext := p.name("R3 New Group"), "00g"+p.k.runID+"r3"
	r := p.do("POST", "/Groups", groupBody(name, ext, members(u[0], u[1])))
	id := p.created(p.k.e.Tenant, r, "POST /Groups")
	want := view{Name: name, ExternalID: ext, Members: sorted(u[0], u[1])}
	const effect = "pushing a new group fails"
	if got, err := viewOf(r.obj); err != nil || want.diff(got) != "" {
		p.failf(effect, "the 201 answer holds %s", describe(want, got, err))
	}
	p.expect(id, want, effect, "the create")
	p.expectFound("externalId eq "+quote(ext), "clients cannot find the group by its externalId", id)

	if p.k.e.GroupType == nil {
		p.notef("the default type was not checked: no GroupType hook")
	} else if t, ok := p.typeOf(id); ok {
		switch {
		case p.k.e.DefaultType != "" && t != p.k.e.DefaultType:
			p.failf("pushed groups land in the wrong type", "a new pushed group has type %q, want the default %q", t, p.k.e.DefaultType)
		case p.k.e.DefaultType == "":
			other := p.create(p.k.e.Tenant, p.name("R3 Second Group"), "", u[2])
			if t2, ok := p.typeOf(other); ok && t2 != t {
				p.failf("pushed groups land in different types", "two new pushed groups have types %q and %q", t, t2)
			}
		}
	}

	renamed := p.name("R3 Renamed")
	if p.written(p.do("PATCH", "/Groups/"+url.PathEscape(id), patch(`{"op":"replace","path":"displayName","value":`+quote(renamed)+`}`)),
		"a pushed group cannot be renamed by its source", "a rename of a pushed group") {
		want.Name = renamed
		p.expect(id, want, "a pushed group cannot be renamed by its source", "the rename")
	}
	p.deleteAndGone(id, "a pushed group cannot be deleted by its source")
}

// checkR4: a type the app gave a group survives every later push: PATCHes
// of Okta and Entra ID, a PUT that omits it or sends another, a POST that
// associates.
func checkR4(p *probe) {
	p.need("SetGroupType", "GroupType")
	u := p.k.users
	moved := "gsck-" + p.k.runID + "-moved"
	const effect = "the type the app gave a group is overwritten by a push"
	name, ext := p.name("R4 Moved"), "00g"+p.k.runID+"r4"
	id := p.create(p.k.e.Tenant, name, ext, u[0])
	if err := p.k.e.SetGroupType(p.ctx, id, moved); err != nil {
		p.fatalf("the check cannot start", "SetGroupType(%s, %q): %v", id, moved, err)
	}
	p.expectType(id, moved, "the check cannot start", "SetGroupType")
	if p.failed() {
		return
	}
	extSchemas, extFields := extValues(p.discover(), "gsck-pushed-type")
	path := "/Groups/" + url.PathEscape(id)
	steps := []struct{ what, method, path, body string }{
		{"a PATCH add of a member", "PATCH", path, patch(`{"op":"add","path":"members","value":` + members(u[1]) + `}`)},
		{"Okta's PATCH of the name and members", "PATCH", path, patch(`{"op":"replace","value":{"id":`+quote(id)+`,"displayName":`+quote(name)+`}}`,
			`{"op":"replace","path":"members","value":`+members(u[2])+`}`)},
		{"Entra ID's Replace of displayName", "PATCH", path, patch(`{"op":"Replace","path":"displayName","value":` + quote(name+" 2") + `}`)},
		{"a PUT that omits the type", "PUT", path, groupBody(name, ext, members(u[3]))},
		{"a PUT that sends another type", "PUT", path, `{"schemas":["` + groupURN + `"` + extSchemas + `],"displayName":` + quote(name) +
			`,"externalId":` + quote(ext) + `,"members":` + members(u[3]) + extFields + `}`},
		{"a POST of the same name and externalId, as a push that lost its link sends", "POST", "/Groups", groupBody(name, ext, members(u[4]))},
		{"a PATCH that removes every member", "PATCH", path, patch(`{"op":"replace","path":"members","value":[]}`)},
	}
	for _, s := range steps {
		r := p.do(s.method, s.path, s.body)
		want := []int{http.StatusOK, http.StatusNoContent}
		if s.method == "POST" {
			want = []int{http.StatusCreated}
		}
		if !p.written(r, "pushes to a group the app moved fail", s.what, want...) {
			continue
		}
		if s.method == "POST" && str(r.obj, "id") != id {
			p.track(p.k.e.Tenant, str(r.obj, "id"))
			p.failf("a push duplicates a group the app moved", "%s answered id %q, want the group's %s", s.what, str(r.obj, "id"), id)
		}
		p.expectType(id, moved, effect, s.what)
	}

	if p.k.e.CreateAppGroup == nil {
		p.notef("the association of an app group was not checked: no CreateAppGroup hook")
		return
	}
	appName := p.name("R4 App Group")
	app := p.app(appName, u[0])
	if err := p.k.e.SetGroupType(p.ctx, app, moved); err != nil {
		p.fatalf("the check cannot start", "SetGroupType(%s, %q): %v", app, moved, err)
	}
	r := p.do("POST", "/Groups", groupBody(appName, "00g"+p.k.runID+"r4app", members(u[1])))
	if p.written(r, "pushing to an app group of the same name fails", "the POST that associates with the app group", http.StatusCreated) {
		p.expectType(app, moved, effect, "the POST that associates with the app group")
	}
}

// Names that differ from one another by case, white space or Unicode
// normalisation only.
const (
	composed   = "Caf\u00e9 Leadership"
	decomposed = "Cafe\u0301 Leadership"
)

// checkR5: a POST of the exact name of one group associates with it,
// byte for byte; a near miss is a new group; a group linked to another
// source is never associated.
func checkR5(p *probe) {
	u := p.k.users
	name := p.name(composed)
	id := p.create(p.k.e.Tenant, name, "", u[0])
	const wrongLink = "clients link to a group of another name"
	p.expectFound("displayName eq "+quote(name), "clients cannot find a group by its name", id)
	variants := []struct{ what, name string }{
		{"in other letter case", strings.ToUpper(name)},
		{"with a trailing space", name + " "},
		{"decomposed (NFD)", p.name(decomposed)},
	}
	for _, v := range variants {
		if ids, ok := p.find("displayName eq "+quote(v.name), wrongLink); ok && len(ids) > 0 {
			p.failf(wrongLink, "the filter displayName eq the name %s found %v, want none: names compare byte for byte", v.what, ids)
		}
	}
	for _, v := range variants {
		r := p.do("POST", "/Groups", groupBody(v.name, "", members(u[4])))
		if !p.written(r, "a push of a new group changes another", "a POST of the name "+v.what, http.StatusCreated) {
			continue
		}
		if got := str(r.obj, "id"); got == id {
			p.failf("a push of a new group takes over a group of another name", "a POST of the name %s answered the id of the group %q", v.what, name)
		} else if got != "" {
			p.track(p.k.e.Tenant, got)
		}
	}
	p.expect(id, view{Name: name, Members: []string{u[0]}}, "a push of a new group changes another", "the POSTs of near-miss names")

	ext := "00g" + p.k.runID + "r5"
	const dup = "a push creates a duplicate instead of linking to the group of its name"
	r := p.do("POST", "/Groups", groupBody(name, ext, members(u[1], u[2])))
	if p.written(r, dup, "a POST of the exact name of one group", http.StatusCreated) {
		if got := str(r.obj, "id"); got != id {
			p.track(p.k.e.Tenant, got)
			p.failf(dup, "a POST of the exact name answered id %q, want the group's %s", got, id)
		}
	}
	want := view{Name: name, ExternalID: ext, Members: sorted(u[1], u[2])}
	p.expect(id, want, "the association does not take the source's members and externalId", "a POST of the exact name")
	p.expectFound("displayName eq "+quote(name), dup, id)

	r = p.do("POST", "/Groups", groupBody(name, ext, members(u[3])))
	if p.written(r, "a retried push fails", "the same POST again", http.StatusCreated) && str(r.obj, "id") == id {
		want.Members = []string{u[3]}
		p.expect(id, want, "a retried push fails", "the same POST again")
	}

	const takeover = "a push takes over a group linked to another source group"
	for _, s := range []struct{ what, ext string }{{"another externalId", "00g" + p.k.runID + "other"}, {"no externalId", ""}} {
		r := p.do("POST", "/Groups", groupBody(name, s.ext, members(u[4])))
		if p.refused(r, takeover, "a POST of the name of a linked group with "+s.what, http.StatusConflict) {
			p.unchanged(p.k.e.Tenant, id, want, takeover, "the POST with "+s.what)
		} else if got := str(r.obj, "id"); got != "" {
			p.track(p.k.e.Tenant, got)
		}
	}
}

// checkR5AppGroup: a POST of the name of an app group associates with it:
// its id, the source's members and externalId, no duplicate, and without
// members it empties the group.
func checkR5AppGroup(p *probe) {
	p.need("CreateAppGroup")
	u := p.k.users
	name := p.name("R5 Design")
	app := p.app(name, u[3], u[4])
	var typ string
	if p.k.e.GroupType != nil {
		typ, _ = p.typeOf(app)
	}
	ext := "00g" + p.k.runID + "r5app"
	const dup = "a push creates a duplicate of the app's group"
	r := p.do("POST", "/Groups", groupBody(name, ext, members(u[0], u[1])))
	if !p.written(r, dup, "a POST of the app group's name", http.StatusCreated) {
		return
	}
	if got := str(r.obj, "id"); got != app {
		p.track(p.k.e.Tenant, got)
		p.fatalf(dup, "a POST of the app group's name answered id %q, want the app group's %s", got, app)
	}
	p.expect(app, view{Name: name, ExternalID: ext, Members: sorted(u[0], u[1])}, "the association does not take the source's members", "the POST")
	p.expectFound("displayName eq "+quote(name), dup, app)
	if typ != "" {
		p.expectType(app, typ, "the association overwrites the app group's type", "the POST")
	}

	empty := p.name("R5 Research")
	app2 := p.app(empty, u[2])
	r = p.do("POST", "/Groups", groupBody(empty, "", ""))
	if p.written(r, dup, "a POST without members of the app group's name", http.StatusCreated) {
		if got := str(r.obj, "id"); got != app2 {
			p.track(p.k.e.Tenant, got)
			p.failf(dup, "a POST of the app group's name answered id %q, want %s", got, app2)
		} else {
			p.expect(app2, view{Name: empty}, "the association keeps members the source does not have", "a POST without members, which means none")
		}
	}
}

// checkR5Ambiguous: with two groups of the name, a POST of it writes
// nothing and answers 409.
func checkR5Ambiguous(p *probe) {
	p.need("CreateAppGroup")
	u := p.k.users
	name := p.name("R5 Ops")
	a := p.app(name, u[0])
	b, err := p.appGroupOf(name, u[1])
	if err != nil {
		p.skipf("the app refuses a second group of one name: CreateAppGroup: %v", err)
	}
	const effect = "a push picks one of two groups of its name"
	r := p.do("POST", "/Groups", groupBody(name, "00g"+p.k.runID+"ops", members(u[2])))
	if p.refused(r, effect, "a POST of a name two groups hold", http.StatusConflict) {
		p.unchanged(p.k.e.Tenant, a, view{Name: name, Members: []string{u[0]}}, effect, "the POST")
		p.unchanged(p.k.e.Tenant, b, view{Name: name, Members: []string{u[1]}}, effect, "the POST")
	} else if got := str(r.obj, "id"); got != "" && got != a && got != b {
		p.track(p.k.e.Tenant, got)
	}
	p.expectFound("displayName eq "+quote(name), "authentik cannot find the groups of the name after a 409", a, b)
}

// checkR7: an app group is never renamed or deleted over SCIM (400
// mutability, nothing changed, a detail that names the app), but its
// membership follows the source once associated.
func checkR7(p *probe) {
	p.need("CreateAppGroup")
	u := p.k.users
	name := p.name("R7 Leadership")
	id := p.app(name, u[3])
	path := "/Groups/" + url.PathEscape(id)
	want := view{Name: name, Members: []string{u[3]}}
	const membership = "membership pushes to an associated app group fail"
	r := p.do("PATCH", path, patch(
		`{"op":"replace","value":{"id":`+quote(id)+`,"displayName":`+quote(name)+`}}`,
		`{"op":"remove","path":`+quote(`members[value eq "`+u[3]+`"]`)+`}`,
		`{"op":"add","path":"members","value":`+oktaMembers(u[0])+`}`), okta...)
	if p.written(r, membership, "Okta's PATCH with the unchanged name") {
		want.Members = []string{u[0]}
		p.expect(id, want, membership, "Okta's PATCH with the unchanged name")
	}
	const effect = "a push renames or deletes a group the app owns"
	renamed := p.name("R7 Leaders")
	for _, s := range []struct{ what, method, body string }{
		{"Okta's rename without a path, with a member add", "PATCH", patch(`{"op":"replace","value":{"id":`+quote(id)+`,"displayName":`+quote(renamed)+`}}`,
			`{"op":"add","path":"members","value":`+members(u[1])+`}`)},
		{"Entra ID's Replace of displayName", "PATCH", patch(`{"op":"Replace","path":"displayName","value":` + quote(renamed) + `}`)},
		{"a PUT with another name", "PUT", groupBody(renamed, "", members(u[0]))},
		{"a DELETE", "DELETE", ""},
	} {
		r := p.do(s.method, path, s.body)
		if p.refused(r, effect, s.what+" of an app group", http.StatusBadRequest) {
			if t := str(r.obj, "scimType"); t != "mutability" {
				p.failf(effect, "%s of an app group answered scimType %q, want mutability", s.what, t)
			}
			if d := str(r.obj, "detail"); !strings.Contains(strings.ToLower(d), "app") {
				p.failf("admins are not told to manage the group in the app", "the refusal of %s has detail %q", s.what, d)
			}
		}
		p.unchanged(p.k.e.Tenant, id, want, effect, s.what)
	}
	r = p.do("PUT", path, groupBody(name, "", members(u[1], u[2])))
	if p.written(r, membership, "a PUT with the app group's own name", http.StatusOK) {
		want.Members = sorted(u[1], u[2])
		p.expect(id, want, membership, "a PUT with the app group's own name")
	}
}

// checkR16: two tenants may hold groups of one name; neither sees, links
// to or changes the other's, whose ids answer 404.
func checkR16(p *probe) {
	p.need("OtherTenant")
	u, o := p.k.users, p.k.other
	self, other := p.k.e.Tenant, p.k.e.OtherTenant
	name := p.name("R16 Shared")
	extA, extB := "00g"+p.k.runID+"a", "00g"+p.k.runID+"b"
	a := p.create(self, name, extA, u[0])
	r := p.send(other, "POST", "/Groups", groupBody(name, extB, members(o[0])))
	const link = "a push links to another tenant's group"
	b := p.created(other, r, "the other tenant's POST of the same name")
	if b == a {
		p.fatalf(link, "the other tenant's POST of the same name answered the first tenant's group %s", a)
	}
	wantA := view{Name: name, ExternalID: extA, Members: []string{u[0]}}
	wantB := view{Name: name, ExternalID: extB, Members: []string{o[0]}}
	p.unchanged(self, a, wantA, link, "the other tenant's POST of the same name")
	p.expectAs(other, b, wantB, "pushing a new group fails", "the other tenant's POST")

	const read = "a tenant reads another tenant's groups"
	const write = "a tenant changes another tenant's groups"
	pathA := "/Groups/" + url.PathEscape(a)
	for _, s := range []struct{ what, method, body, effect string }{
		{"GET", "GET", "", read},
		{"PATCH", "PATCH", patch(`{"op":"add","path":"members","value":` + members(o[1]) + `}`), write},
		{"PUT", "PUT", groupBody(name, extB, members(o[1])), write},
		{"DELETE", "DELETE", "", write},
	} {
		r := p.send(other, s.method, pathA, s.body)
		p.refused(r, s.effect, "the other tenant's "+s.what+" of the first tenant's group", http.StatusNotFound)
		p.unchanged(self, a, wantA, write, "the other tenant's "+s.what)
	}
	for _, f := range []string{"displayName eq " + quote(name), "id eq " + quote(a), "externalId eq " + quote(extA)} {
		ids, ok := p.findAs(other, f, read)
		if ok && slices.Contains(ids, a) {
			p.failf(read, "the other tenant's filter %s found the first tenant's group %s", f, a)
		}
		if ok && strings.HasPrefix(f, "displayName") && !slices.Equal(ids, []string{b}) {
			p.failf(read, "the other tenant's filter %s found %v, want only its own group %s", f, ids, b)
		}
	}
	if ids, ok := p.find("displayName eq "+quote(name), read); ok && !slices.Equal(ids, []string{a}) {
		p.failf(read, "the first tenant's filter of the shared name found %v, want only its own group %s", ids, a)
	}
	p.refused(p.send(self, "GET", "/Groups/"+url.PathEscape(b), ""), read, "the first tenant's GET of the other tenant's group", http.StatusNotFound)
}
