package scimxtest

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The clients that write with PATCH, and every client.
var (
	patchers   = []string{OktaCatalog, Entra, EntraFlag, JumpCloud, Authentik, OneLogin}
	allClients = Clients()
)

// endpointChecks are the kit's checks, in the order they run. The first one gates
// the others: an endpoint that does not answer a list request is not
// checked further.
var endpointChecks = []check{
	{name: "SCIM connection", clients: allClients, who: "every client", run: checkConnection},
	{name: usersCheck, clients: []string{OktaCatalog, OktaWizard, Entra, EntraFlag}, who: "Okta, Entra ID", run: checkUsers},
	{name: OktaCatalog, clients: []string{OktaCatalog}, who: OktaCatalog, run: checkOktaCatalog},
	{name: OktaWizard, clients: []string{OktaWizard}, who: OktaWizard, run: checkOktaWizard},
	{name: Entra, clients: []string{Entra}, who: Entra, run: func(p *probe) { checkEntra(p, false) }},
	{name: EntraFlag, clients: []string{EntraFlag}, who: EntraFlag, run: func(p *probe) { checkEntra(p, true) }},
	{name: JumpCloud, clients: []string{JumpCloud}, who: JumpCloud, run: checkJumpCloud},
	{name: Authentik, clients: []string{Authentik}, who: Authentik, run: checkAuthentik},
	{name: OneLogin, clients: []string{OneLogin}, who: OneLogin, run: checkOneLogin},
	{name: "R2 only ID, name and members sync", clients: allClients, who: "every client (R2)", run: checkR2},
	{name: "R3 push a new group", clients: allClients, who: "every client (R3)", run: checkR3},
	{name: "R4 local attributes are never overwritten", clients: allClients, who: "every client (R4)", run: checkR4},
	{name: "R5 associate by exact name", clients: []string{OktaCatalog, OktaWizard, JumpCloud, Authentik}, who: "Okta, JumpCloud, authentik (R5)", run: checkR5},
	{name: "R5 associate with an app group", clients: []string{OktaCatalog, OktaWizard, JumpCloud, Authentik}, who: "Okta, JumpCloud, authentik (R5)", run: checkR5AppGroup},
	{name: "R5 ambiguous names", clients: []string{OktaCatalog, OktaWizard, JumpCloud, Authentik}, who: "Okta, JumpCloud, authentik (R5)", run: checkR5Ambiguous},
	{name: "R7 app-created groups belong to the app", clients: allClients, who: "every client (R7)", run: checkR7},
	{name: "R16 tenants are isolated", clients: allClients, who: "every tenant's pushes (R16)", run: checkR16},
	{name: "SCIM atomic PATCH", clients: patchers, who: "Okta catalog apps, Entra ID, JumpCloud, authentik, OneLogin", run: checkAtomicPatch},
	{name: "SCIM paging", clients: []string{OktaCatalog, OktaWizard, OneLogin}, who: "Okta, OneLogin (importing app groups)", run: checkPaging},
	{name: "SCIM projection", clients: []string{Entra, EntraFlag, OneLogin}, who: "Entra ID, OneLogin", run: checkProjection},
	{name: "SCIM filters", clients: allClients, who: "every client", run: checkFilters},
	{name: "SCIM ETag", who: "clients that send If-Match (SPEC.md)", run: checkETag},
	{name: "SCIM bad input", clients: allClients, who: "every client", run: checkBadInput},
	{name: "R18 bad input is refused whole, within limits", clients: allClients, who: "every tenant of the service", run: checkLimits},
}

// checkConnection: the connection test of Okta and of this library's
// client (R1) is an authenticated list of one group; without credentials,
// or with wrong ones, the answer is 401.
func checkConnection(p *probe) {
	const what = "GET /Groups?startIndex=1&count=1, the connection test of Okta and groupsync,"
	r := p.do("GET", "/Groups?startIndex=1&count=1", "")
	if r.err != nil || r.status != http.StatusOK || r.obj == nil {
		p.k.mu.Lock()
		p.k.connected = errors.New("not connected")
		p.k.mu.Unlock()
		p.fatalf("nothing can be pushed", "%s %s", what, r.what())
	}
	p.list(r, "nothing can be pushed", what)
	const effect = "anyone can read and change the groups"
	p.refused(p.send(nil, "GET", "/Groups?startIndex=1&count=1", ""), effect, "GET /Groups without credentials", http.StatusUnauthorized)
	p.refused(p.send(Bearer("gsck-wrong-token"), "GET", "/Groups?startIndex=1&count=1", ""), effect, "GET /Groups with a wrong bearer token", http.StatusUnauthorized)
	p.refused(p.send(Bearer("gsck-wrong-token"), "POST", "/Groups", groupBody(p.name("Intruder"), "", "[]")), effect, "POST /Groups with a wrong bearer token", http.StatusUnauthorized)
}

// checkOktaCatalog sends what Okta sends for apps from its catalog, which
// push membership with PATCH (WIRE.md, Okta).
func checkOktaCatalog(p *probe) {
	u := p.k.users
	p.list(p.do("GET", "/Groups?startIndex=1&count=100", "", okta...), "importing app groups fails", "GET /Groups?startIndex=1&count=100")

	name := p.name("Okta Sales")
	lookup := "/Groups?filter=" + escape("displayName eq "+quote(name)) + "&startIndex=1&count=100"
	if pg, ok := p.list(p.do("GET", lookup, "", okta...), "pushing a new group fails", "the name lookup before a create, GET "+lookup); ok && pg.total != 0 {
		p.failf("Okta links to a group of another name", "the lookup of the new name %q found %d groups %v", name, pg.total, pg.ids)
	}

	r := p.do("POST", "/Groups", groupBody(name, "", "[]"), okta...)
	id := p.created(p.k.e.Tenant, r, "POST /Groups with no members")
	if got, err := viewOf(r.obj); err != nil || got.Name != name {
		p.failf("pushing a new group fails", "the 201 answer holds displayName %q (%v), want %q", got.Name, err, name)
	}
	path := "/Groups/" + url.PathEscape(id)
	want := view{Name: name}
	p.expect(id, want, "pushing a new group fails", "the create")
	if pg, ok := p.list(p.do("GET", lookup, "", okta...), "Okta cannot find the group it pushed", "the name lookup after the create"); ok && !slices.Equal(pg.ids, []string{id}) {
		p.failf("Okta cannot find the group it pushed", "the name lookup after the create found %v, want [%s]", pg.ids, id)
	}

	renamed := p.name("Okta Sales Renamed")
	r = p.do("PATCH", path, patch(`{"op":"replace","value":{"id":`+quote(id)+`,"displayName":`+quote(renamed)+`}}`), okta...)
	if p.written(r, "renames fail", "a rename by PATCH without a path, the id in its value,") {
		want.Name = renamed
		p.expect(id, want, "renames fail", "a rename by PATCH without a path")
	}

	const membership = "membership pushes fail"
	steps := []struct {
		what    string
		ops     []string
		members []string
	}{
		{"PATCH add of two members", []string{`{"op":"add","path":"members","value":` + oktaMembers(u[0], u[1]) + `}`}, []string{u[0], u[1]}},
		{"a PATCH with the name again, a remove by filter and an add", []string{
			`{"op":"replace","value":{"id":` + quote(id) + `,"displayName":` + quote(renamed) + `}}`,
			`{"op":"remove","path":` + quote(`members[value eq "`+u[0]+`"]`) + `}`,
			`{"op":"add","path":"members","value":` + oktaMembers(u[2]) + `}`}, []string{u[1], u[2]}},
		{"Push Now, a replace of members", []string{`{"op":"replace","path":"members","value":` + oktaMembers(u[2], u[3]) + `}`}, []string{u[2], u[3]}},
		{"Push Now without a path", []string{`{"op":"replace","value":{"members":` + oktaMembers(u[4]) + `}}`}, []string{u[4]}},
		{"a replace of members with none", []string{`{"op":"replace","path":"members","value":[]}`}, nil},
	}
	for _, s := range steps {
		if p.written(p.do("PATCH", path, patch(s.ops...), okta...), membership, s.what) {
			want.Members = sorted(s.members...)
			p.expect(id, want, membership, s.what)
		}
	}
	r = p.do("PATCH", path, patch(`{"op":"add","path":"members","value":`+oktaMembers(u[0])+`}`), hdr("Content-Type", "application/json; charset=utf-8"))
	if p.written(r, membership+" from older Okta integrations", "a PATCH sent as application/json") {
		want.Members = []string{u[0]}
		p.expect(id, want, membership+" from older Okta integrations", "a PATCH sent as application/json")
	}

	// Okta sends up to 100 membership changes a request, 1,000 when so
	// configured; removals one operation per member.
	for _, n := range []int{100, 1000} {
		if len(u) < n {
			p.notef("the %d-member PATCH was not sent: Endpoint.Users has only %d users", n, len(u))
			continue
		}
		effect := "pushes of " + strconv.Itoa(n) + " membership changes fail"
		if n > 100 {
			effect += " (Okta's batch size raised to 1,000)"
		}
		batch := u[:n]
		if !p.written(p.do("PATCH", path, patch(`{"op":"add","path":"members","value":`+oktaMembers(batch...)+`}`), okta...), effect, "a PATCH adding "+strconv.Itoa(n)+" members") {
			continue
		}
		want.Members = sorted(batch...)
		p.expect(id, want, effect, "a PATCH adding "+strconv.Itoa(n)+" members")
		ops := make([]string, n)
		for i, m := range batch {
			ops[i] = `{"op":"remove","path":` + quote(`members[value eq "`+m+`"]`) + `}`
		}
		if p.written(p.do("PATCH", path, patch(ops...), okta...), effect, "a PATCH of "+strconv.Itoa(n)+" removes by filter") {
			want.Members = nil
			p.expect(id, want, effect, "a PATCH of "+strconv.Itoa(n)+" removes by filter")
		}
	}

	p.deleteAndGone(id, "unlinking with \"delete in target app\" fails", okta...)
}

// deleteAndGone DELETEs a pushed group and checks that it is gone: a 404,
// which makes Okta stop pushing it.
func (p *probe) deleteAndGone(id, effect string, mods ...mod) {
	path := "/Groups/" + url.PathEscape(id) + p.query
	if !p.written(p.do("DELETE", path, "", mods...), effect, "DELETE "+path, http.StatusNoContent) {
		return
	}
	p.refused(p.do("GET", path, "", mods...), "clients keep pushing a deleted group", "GET of the deleted group", http.StatusNotFound)
}

func sorted(values ...string) []string {
	if len(values) == 0 {
		return nil
	}
	out := slices.Clone(values)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkOktaWizard sends what Okta sends for apps made with its wizard,
// which push membership with PUT.
func checkOktaWizard(p *probe) {
	u := p.k.users
	name := p.name("Okta Leadership")
	ext := "00g" + p.k.runID + "lead"
	lookup := "/Groups?filter=" + escape("displayName eq "+quote(name)) + "&startIndex=1&count=100"
	if pg, ok := p.list(p.do("GET", lookup, "", okta...), "pushing a new group fails", "the name lookup before a create"); ok && pg.total != 0 {
		p.failf("Okta links to a group of another name", "the lookup of the new name found %v", pg.ids)
	}
	r := p.do("POST", "/Groups", groupBody(name, ext, oktaMembers(u[0])), okta...)
	id := p.created(p.k.e.Tenant, r, "POST /Groups with externalId and a member")
	path := "/Groups/" + url.PathEscape(id)
	want := view{Name: name, ExternalID: ext, Members: []string{u[0]}}
	p.expect(id, want, "pushing a new group fails", "the create")

	put := func(name string, values ...string) string {
		ms := memberList(values, func(string) string { return `,"display":null` })
		return `{"schemas":["` + groupURN + `"],"id":` + quote(id) + `,"displayName":` + quote(name) + `,"members":` + ms + `}`
	}
	const membership = "membership pushes fail"
	steps := []struct {
		what, body string
		effect     string
		want       view
	}{
		{"a PUT with the full member list and the group's own name", put(name, u[0], u[1], u[2]), membership,
			view{Name: name, ExternalID: ext, Members: sorted(u[0], u[1], u[2])}},
		{"the same PUT again", put(name, u[0], u[1], u[2]), membership + " when nothing changed",
			view{Name: name, ExternalID: ext, Members: sorted(u[0], u[1], u[2])}},
		{"a PUT without members", `{"schemas":["` + groupURN + `"],"id":` + quote(id) + `,"displayName":` + quote(name) + `}`,
			"removing the last members fails", view{Name: name, ExternalID: ext}},
		{"a PUT with a new name", put(name+" Renamed", u[3]), "renames fail",
			view{Name: name + " Renamed", ExternalID: ext, Members: []string{u[3]}}},
	}
	for _, s := range steps {
		p.do("GET", path, "", okta...) // Okta reads the group first
		r := p.do("PUT", path, s.body, okta...)
		if !p.written(r, s.effect, s.what, http.StatusOK) {
			continue
		}
		if got, err := viewOf(r.obj); err != nil {
			p.failf(s.effect, "the 200 answer to %s: %v", s.what, err)
		} else {
			p.compare(s.want, got, s.effect, "the 200 answer to "+s.what+" holds ")
		}
		p.expect(id, s.want, s.effect, s.what)
	}
	p.deleteAndGone(id, "unlinking with \"delete in target app\" fails", okta...)
}

// describe says how got differs from want, or why it could not be read.
func describe(want, got view, err error) string {
	if err != nil {
		return err.Error()
	}
	return want.diff(got)
}

// checkEntra sends what Entra ID sends: capitalised operations and removal
// by a value array, or with the compliance flag lower-case operations and
// removal by members[value eq]; every group read without members.
func checkEntra(p *probe, flag bool) {
	u := p.k.users
	q := func(path string, query ...string) string {
		if flag {
			query = append([]string{"aadOptscim062020"}, query...)
		}
		if len(query) == 0 {
			return path
		}
		return path + "?" + strings.Join(query, "&")
	}
	filter := func(f string) string { return "filter=" + escape(f) }
	add := func(vs ...string) string { return `{"op":"Add","path":"members","value":` + entraMembers(vs...) + `}` }
	remove := func(vs ...string) string {
		return `{"op":"Remove","path":"members","value":` + entraMembers(vs...) + `}`
	}
	rename := func(name string) string { return `{"op":"Replace","path":"displayName","value":` + quote(name) + `}` }
	if flag {
		add = func(vs ...string) string { return `{"op":"add","path":"members","value":` + entraMembers(vs...) + `}` }
		remove = func(vs ...string) string {
			ops := make([]string, len(vs))
			for i, v := range vs {
				ops[i] = `{"op":"remove","path":` + quote(`members[value eq "`+v+`"]`) + `}`
			}
			return strings.Join(ops, ",")
		}
		rename = func(name string) string { return `{"op":"replace","path":"displayName","value":` + quote(name) + `}` }
	}
	if flag {
		p.query = "?aadOptscim062020"
	}
	name := p.name("Entra Group")
	objectID := "f0e4b2a6-" + p.k.runID + "-4c8e-9d4e-2b6f1a3c5d7e"
	if flag {
		objectID = "a1e4b2a6-" + p.k.runID + "-4c8e-9d4e-2b6f1a3c5d7e"
	}

	const quarantine = "the provisioning job goes to quarantine"
	byName := q("/Groups", "excludedAttributes=members", filter(`displayName eq `+quote(name)))
	byExt := q("/Groups", "excludedAttributes=members", filter(`externalId eq `+quote(objectID)))
	for _, m := range []string{byName, byExt} {
		if pg, ok := p.list(p.do("GET", m, ""), quarantine, "the match before a create, GET "+m); ok && pg.total != 0 {
			p.failf("Entra ID links to the wrong group", "the match of a new group, GET %s, found %v", m, pg.ids)
		}
	}

	r := p.do("POST", q("/Groups"), `{"schemas":["`+groupURN+`","`+entraURN+`"],"externalId":`+quote(objectID)+
		`,"displayName":`+quote(name)+`,"meta":{"resourceType":"Group"}}`)
	id := p.created(p.k.e.Tenant, r, "POST /Groups with Entra ID's schema, externalId and meta")
	path := q("/Groups/" + url.PathEscape(id))
	want := view{Name: name, ExternalID: objectID}
	p.expect(id, want, "pushing a new group fails", "the create")
	for _, m := range []string{byName, byExt} {
		pg, ok := p.list(p.do("GET", m, ""), "Entra ID cannot find the group it pushed", "GET "+m)
		if ok && !slices.Equal(pg.ids, []string{id}) {
			p.failf("Entra ID cannot find the group it pushed", "GET %s found %v, want [%s]", m, pg.ids, id)
		}
		for _, res := range pg.resources {
			if _, has := attr(res, "members"); has {
				p.failf("every read costs the whole member list", "GET %s returned members despite excludedAttributes=members", m)
			}
		}
	}

	const membership = "membership pushes fail"
	other := p.create(p.k.e.Tenant, p.name("Entra Nested"), "", u[4])
	steps := []struct {
		what    string
		ops     []string
		members []string
	}{
		{"an Add of three members", []string{add(u[0], u[1], u[2])}, []string{u[0], u[1], u[2]}},
		{"an Add of a member already there", []string{add(u[1])}, []string{u[0], u[1], u[2]}},
		{"a Remove of one member", []string{remove(u[0])}, []string{u[1], u[2]}},
		{"a Remove of a member not there", []string{remove(u[3])}, []string{u[1], u[2]}},
		{"an Add and a Remove in one request", []string{add(u[3]), remove(u[1])}, []string{u[2], u[3]}},
		{"an Add of a group as a member", []string{add(other)}, []string{u[2], u[3], other}},
		{"a Remove of the member group", []string{remove(other)}, []string{u[2], u[3]}},
	}
	for _, s := range steps {
		if p.written(p.do("PATCH", path, patch(s.ops...)), membership, s.what) {
			want.Members = sorted(s.members...)
			p.expect(id, want, membership, s.what)
		}
	}
	p.expect(other, view{Name: p.name("Entra Nested"), Members: []string{u[4]}}, "nested groups are expanded or changed", "adding the group as a member of another")

	renamed := p.name("Entra Group Renamed")
	if p.written(p.do("PATCH", path, patch(rename(renamed))), "renames fail", "a Replace of displayName") {
		want.Name = renamed
		p.expect(id, want, "renames fail", "a Replace of displayName")
	}

	probe := func(gid, uid string) string {
		return q("/Groups", filter(`id eq `+quote(gid)+` and members eq `+quote(uid)), "attributes=id")
	}
	const membershipProbe = "Entra ID's membership checks fail"
	pg, ok := p.list(p.do("GET", probe(id, u[2]), ""), membershipProbe, "the probe of a member, GET "+probe(id, u[2]))
	if ok && !slices.Equal(pg.ids, []string{id}) {
		p.failf(membershipProbe, "the probe of a member found %v, want [%s]", pg.ids, id)
	}
	for _, res := range pg.resources {
		for k := range res {
			if !slices.Contains([]string{"id", "schemas", "meta"}, k) {
				p.failf("every read costs the whole group", "the probe with attributes=id returned %q", k)
			}
		}
	}
	if pg, ok := p.list(p.do("GET", probe(id, u[0]), ""), membershipProbe, "the probe of a non-member"); ok && pg.total != 0 {
		p.failf(membershipProbe, "the probe of a non-member found %v, want none", pg.ids)
	}
	plus := q("/Groups", "excludedAttributes=members", "filter="+strings.ReplaceAll(url.QueryEscape(`displayName eq `+quote(renamed)), "%20", "+"))
	if pg, ok := p.list(p.do("GET", plus, ""), "Entra ID cannot find the group it pushed", "a filter with + for spaces, GET "+plus); ok && !slices.Equal(pg.ids, []string{id}) {
		p.failf("Entra ID cannot find the group it pushed", "a filter with + for spaces found %v, want [%s]", pg.ids, id)
	}

	p.deleteAndGone(id, "deprovisioning a group fails")
}

// checkJumpCloud: JumpCloud takes over the app group of its group's name,
// then removes members by a value array.
func checkJumpCloud(p *probe) {
	p.need("CreateAppGroup")
	u := p.k.users
	name := p.name("JumpCloud Design")
	app := p.app(name, u[3], u[4])
	r := p.do("POST", "/Groups", groupBody(name, "", members(u[0], u[1], u[4])))
	if r.err != nil || r.status != http.StatusCreated || str(r.obj, "id") != app {
		if id := str(r.obj, "id"); id != "" && id != app {
			p.track(p.k.e.Tenant, id)
		}
		p.fatalf("taking over the app's group of the same name fails", "POST /Groups of the app group's name %s, want 201 with the app group's id %s (got id %q)", r.what(), app, str(r.obj, "id"))
	}
	want := view{Name: name, Members: sorted(u[0], u[1], u[4])}
	p.expect(app, want, "taking over the app's group does not set its members", "the POST")
	path := "/Groups/" + url.PathEscape(app)
	const membership = "membership pushes fail"
	if p.written(p.do("PATCH", path, patch(`{"op":"Remove","path":"members","value":`+members(u[0], u[4])+`}`)), membership, "a Remove by a value array") {
		want.Members = []string{u[1]}
		p.expect(app, want, membership, "a Remove by a value array")
	}
	if p.written(p.do("PATCH", path, patch(`{"op":"Add","path":"members","value":`+members(u[2])+`}`)), membership, "an Add") {
		want.Members = sorted(u[1], u[2])
		p.expect(app, want, membership, "an Add")
	}
	p.expectFound("displayName eq "+quote(name), "taking over the app's group creates a duplicate", app)
}

// checkAuthentik: authentik reads the ServiceProviderConfig, creates with
// an externalId, and on a 409 looks the name up and links to the first
// group found, one PATCH operation per member.
func checkAuthentik(p *probe) {
	u := p.k.users
	r := p.do("GET", "/ServiceProviderConfig", "")
	if p.written(r, "authentik cannot start a sync", "GET /ServiceProviderConfig", http.StatusOK) {
		for _, feature := range []string{"patch", "filter"} {
			f, _ := attr(r.obj, feature)
			obj, _ := f.(map[string]any)
			if s, _ := attr(obj, "supported"); s != true {
				p.failf("authentik does not "+map[string]string{"patch": "send PATCH", "filter": "look names up"}[feature],
					"the ServiceProviderConfig says %s.supported is %s", feature, jsonText(s))
			}
		}
	}
	name := p.name("authentik Platform")
	id := p.create(p.k.e.Tenant, name, "ak-"+p.k.runID+"-platform", u[0])
	p.expect(id, view{Name: name, ExternalID: "ak-" + p.k.runID + "-platform", Members: []string{u[0]}}, "pushing a new group fails", "the create")

	// A group of the name linked to another source: 409, then the lookup
	// finds it and authentik links to it.
	infra := p.name("authentik Infra")
	linked := p.create(p.k.e.Tenant, infra, "okta-"+p.k.runID+"-infra", u[1])
	before := view{Name: infra, ExternalID: "okta-" + p.k.runID + "-infra", Members: []string{u[1]}}
	r = p.do("POST", "/Groups", groupBody(infra, "ak-"+p.k.runID+"-infra", members(u[2])))
	if p.refused(r, "authentik takes over a group linked to another source", "a POST of a name linked to another externalId", http.StatusConflict) {
		p.unchanged(p.k.e.Tenant, linked, before, "authentik takes over a group linked to another source", "the POST")
	} else if id := str(r.obj, "id"); id != "" {
		p.track(p.k.e.Tenant, id)
	}
	ids, ok := p.find("displayName eq "+quote(infra), "authentik cannot link after a 409")
	if ok && !slices.Equal(ids, []string{linked}) {
		p.failf("authentik cannot link after a 409", "the lookup after the 409 found %v, want [%s]", ids, linked)
	}
	if ok && slices.Equal(ids, []string{linked}) {
		path := "/Groups/" + url.PathEscape(ids[0])
		ops := []string{
			`{"op":"add","path":"members","value":` + members(u[3]) + `}`,
			`{"op":"add","path":"members","value":` + members(u[4]) + `}`,
			`{"op":"remove","path":"members","value":` + members(u[1]) + `}`,
		}
		if p.written(p.do("PATCH", path, patch(ops...)), "membership pushes fail", "a PATCH of one operation per member") {
			p.expect(ids[0], view{Name: infra, ExternalID: before.ExternalID, Members: sorted(u[3], u[4])}, "membership pushes fail", "a PATCH of one operation per member")
		}
	}
}

// checkOneLogin: OneLogin lists with a bare GET /Groups and sends
// lower-case operations.
func checkOneLogin(p *probe) {
	u := p.k.users
	name := p.name("OneLogin Engineering")
	id := p.create(p.k.e.Tenant, name, "", u[0])
	if pg, ok := p.list(p.do("GET", "/Groups", ""), "importing app groups fails", "GET /Groups"); ok && pg.total <= len(pg.ids) && !slices.Contains(pg.ids, id) {
		p.failf("importing app groups fails", "GET /Groups lists all %d groups but not %s", pg.total, id)
	}
	path := "/Groups/" + url.PathEscape(id)
	want := view{Name: name, Members: []string{u[0]}}
	steps := []struct {
		what, op, effect string
		apply            func()
	}{
		{"an add of two members", `{"op":"add","path":"members","value":` + members(u[1], u[2]) + `}`, "membership pushes fail",
			func() { want.Members = sorted(u[0], u[1], u[2]) }},
		{"a remove by filter", `{"op":"remove","path":` + quote(`members[value eq "`+u[1]+`"]`) + `}`, "membership pushes fail",
			func() { want.Members = sorted(u[0], u[2]) }},
		{"a replace of displayName", `{"op":"replace","path":"displayName","value":` + quote(name+" 2") + `}`, "renames fail",
			func() { want.Name = name + " 2" }},
		{"a replace of members", `{"op":"replace","path":"members","value":` + members(u[3]) + `}`, "membership pushes fail",
			func() { want.Members = []string{u[3]} }},
	}
	for _, s := range steps {
		if p.written(p.do("PATCH", path, patch(s.op)), s.effect, s.what) {
			s.apply()
			p.expect(id, want, s.effect, s.what)
		}
	}
}
