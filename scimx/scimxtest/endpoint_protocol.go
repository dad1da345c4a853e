package scimxtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// checkAtomicPatch: a PATCH applies whole or not at all. Each refused
// request below has valid operations before its bad one, and runs on a
// group of its own.
func checkAtomicPatch(p *probe) {
	u := p.k.users
	taken := p.name("Atomic Taken")
	p.create(p.k.e.Tenant, taken, "")
	add := `{"op":"add","path":"members","value":` + members(u[2]) + `}`
	const effect = "a refused push leaves the group half-updated"
	for i, s := range []struct{ what, body string }{
		{"a PATCH of an add, a rename and an unknown path", patch(add, `{"op":"replace","path":"displayName","value":"gsck-renamed"}`, `{"op":"replace","path":"gsckUnknown","value":"x"}`)},
		{"a PATCH of an add, a remove by filter and a member without a value", patch(add, `{"op":"remove","path":`+quote(`members[value eq "`+u[0]+`"]`)+`}`, `{"op":"add","path":"members","value":[{"display":"no value"}]}`)},
		{"a PATCH of a replace of every member and an externalId that is a number", patch(`{"op":"replace","path":"members","value":[]}`, `{"op":"replace","path":"externalId","value":5}`)},
		{"a PATCH of an add and the unknown op move", patch(add, `{"op":"move","path":"members","value":`+members(u[3])+`}`)},
		{"a PATCH of an add and a rename to a name another group holds", patch(add, `{"op":"replace","path":"displayName","value":`+quote(taken)+`}`)},
	} {
		name := p.name(fmt.Sprintf("Atomic %d", i+1))
		id := p.create(p.k.e.Tenant, name, "", u[0], u[1])
		if p.refused(p.do("PATCH", "/Groups/"+url.PathEscape(id), s.body), effect, s.what) {
			p.unchanged(p.k.e.Tenant, id, view{Name: name, Members: sorted(u[0], u[1])}, effect, s.what)
		}
	}
	name := p.name("Atomic Whole")
	id := p.create(p.k.e.Tenant, name, "", u[0], u[1])
	r := p.do("PATCH", "/Groups/"+url.PathEscape(id), patch(`{"op":"remove","path":`+quote(`members[value eq "`+u[0]+`"]`)+`}`, add,
		`{"op":"replace","path":"displayName","value":`+quote(name+" 2")+`}`))
	if p.written(r, "pushes of several operations fail", "a PATCH of a remove, an add and a rename") {
		p.expect(id, view{Name: name + " 2", Members: sorted(u[1], u[2])}, "pushes of several operations apply in part", "a PATCH of a remove, an add and a rename")
	}
}

// walk lists every group that the query selects, count a page, as Okta
// imports them; ok is false when a page fails. label names the query in
// failure lines.
func (p *probe) walk(query, label string, count int, effect string) ([]string, int, bool) {
	var seen []string
	total := -1
	for start, pages := 1, 0; ; pages++ {
		page := "/Groups?startIndex=" + strconv.Itoa(start) + "&count=" + strconv.Itoa(count)
		q := page + label
		pg, ok := p.list(p.do("GET", page+query, ""), effect, "GET "+q)
		if !ok {
			return nil, 0, false
		}
		if !pg.hasStart || !pg.hasPerPage {
			p.failf(effect, "GET %s answered a page without startIndex or itemsPerPage", q)
		}
		if pg.hasStart && pg.start != start {
			p.failf(effect, "GET %s answered startIndex %d", q, pg.start)
		}
		if pg.hasPerPage && pg.perPage != len(pg.resources) {
			p.failf(effect, "GET %s answered itemsPerPage %d with %d Resources", q, pg.perPage, len(pg.resources))
		}
		if len(pg.resources) > count {
			p.failf(effect, "GET %s answered %d Resources, over the count of %d", q, len(pg.resources), count)
		}
		if total >= 0 && pg.total != total {
			p.notef("totalResults went from %d to %d during a walk: is the tenant in use?", total, pg.total)
		}
		total = pg.total
		seen = append(seen, pg.ids...)
		if len(pg.ids) == 0 || start-1+len(pg.ids) >= pg.total {
			return seen, total, true
		}
		if pages >= 250 {
			p.failf(effect, "a walk of %d groups, %d a page, did not end after %d pages", total, count, pages)
			return seen, total, false
		}
		start += len(pg.ids)
	}
}

// checkPaging: Okta imports app groups page by page, with integer fields,
// a stable order, and an empty page past the end.
func checkPaging(p *probe) {
	u := p.k.users
	const effect = "importing app groups misses or repeats groups"
	var ids, alts []string
	for i := range 5 {
		name := p.name(fmt.Sprintf("Page %d", i+1))
		ids = append(ids, p.create(p.k.e.Tenant, name, "", u[i]))
		alts = append(alts, "displayName eq "+quote(name))
	}
	filtered := "&filter=" + escape(strings.Join(alts, " or "))
	first, total, ok := p.walk(filtered, " with a filter that selects 5 groups", 2, effect)
	if !ok {
		return
	}
	if total != 5 || len(first) != 5 || !sameSet(first, ids) {
		p.failf(effect, "a walk of a filter that selects 5 groups, 2 a page, found totalResults %d and %v, want %v", total, first, sorted(ids...))
	}
	if again, _, ok := p.walk(filtered, " with a filter that selects 5 groups", 2, effect); ok && !slices.Equal(first, again) {
		p.failf(effect, "two walks of the same filter, 2 a page, found %v, then %v: the order is not stable", first, again)
	}

	pg, ok := p.list(p.do("GET", "/Groups?startIndex=1&count=1", ""), effect, "GET /Groups?startIndex=1&count=1")
	if !ok {
		return
	}
	size := max(2, (pg.total+249)/250)
	all, total, ok := p.walk("", "", size, effect)
	if !ok {
		return
	}
	if d := duplicates(all); len(d) > 0 {
		p.failf(effect, "a walk of all %d groups, %d a page, found %v more than once", total, size, d)
	}
	for _, id := range ids {
		if !slices.Contains(all, id) {
			p.failf(effect, "a walk of all %d groups, %d a page, did not find the group %s", total, size, id)
		}
	}
	again, _, ok := p.walk("", "", size, effect)
	if ok && !slices.Equal(ordered(all, ids), ordered(again, ids)) {
		p.failf(effect, "two walks of all groups found the checked groups in orders %v and %v: the order is not stable", ordered(all, ids), ordered(again, ids))
	}
	past := "/Groups?startIndex=" + strconv.Itoa(total+100) + "&count=10"
	if pg, ok := p.list(p.do("GET", past, ""), effect, "GET "+past+", past the last group,"); ok && len(pg.resources) > 0 {
		p.failf(effect, "GET %s, past the last group, answered %d groups", past, len(pg.resources))
	}
}

func sameSet(a, b []string) bool { return slices.Equal(sorted(a...), sorted(b...)) }

// duplicates returns the values that occur more than once in all.
func duplicates(all []string) []string {
	seen := map[string]int{}
	var out []string
	for _, v := range all {
		if seen[v]++; seen[v] == 2 {
			out = append(out, v)
		}
	}
	return out
}

// ordered returns those of ids in all, in the order of all.
func ordered(all, ids []string) []string {
	var out []string
	for _, v := range all {
		if slices.Contains(ids, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkProjection: attributes and excludedAttributes are honoured on
// lists, on single reads, and on a PATCH that asks for its answer.
func checkProjection(p *probe) {
	u := p.k.users
	name := p.name("Projection")
	id := p.create(p.k.e.Tenant, name, "", u[0], u[1])
	path := "/Groups/" + url.PathEscape(id)
	const effect = "Entra ID's reads cost the whole member list"
	shape := func(q, what string, res map[string]any, has, hasNot []string, effect string) {
		for _, a := range has {
			if _, ok := attr(res, a); !ok {
				p.failf(effect, "%s, GET %s, returned no %s", what, q, a)
			}
		}
		for _, a := range hasNot {
			if _, ok := attr(res, a); ok {
				p.failf(effect, "%s, GET %s, returned %s", what, q, a)
			}
		}
	}
	one := func(q string, has, hasNot []string, what, effect string) {
		r := p.do("GET", q, "")
		if p.written(r, effect, what+", GET "+q, http.StatusOK) && r.obj != nil {
			shape(q, what, r.obj, has, hasNot, effect)
		}
	}
	many := func(q string, has, hasNot []string, what, effect string) {
		pg, ok := p.list(p.do("GET", q, ""), effect, what+", GET "+q)
		if ok && !slices.Equal(pg.ids, []string{id}) {
			p.failf(effect, "%s, GET %s, found %v, want [%s]", what, q, pg.ids, id)
		}
		for _, res := range pg.resources {
			shape(q, what, res, has, hasNot, effect)
		}
	}
	byID := "filter=" + escape("id eq "+quote(id))
	one(path+"?excludedAttributes=members", []string{"id", "displayName"}, []string{"members"}, "a read without members", effect)
	many("/Groups?"+byID+"&excludedAttributes=members", []string{"id", "displayName"}, []string{"members"}, "a list without members", effect)
	one(path+"?attributes=displayName", []string{"id", "displayName"}, []string{"members"}, "a read of displayName", "reads return more than asked")
	many("/Groups?"+byID+"&attributes=id", []string{"id"}, []string{"members", "displayName"}, "Entra ID's probe with attributes=id", effect)

	p.who = OneLogin
	const onelogin = "PATCH answers are not what was asked for"
	r := p.do("PATCH", path+"?excludedAttributes=members", patch(`{"op":"add","path":"members","value":`+members(u[2])+`}`))
	if p.written(r, onelogin, "a PATCH with excludedAttributes=members", http.StatusOK) {
		if r.obj == nil || str(r.obj, "displayName") != name {
			p.failf(onelogin, "the 200 answer to a PATCH with excludedAttributes=members holds no displayName %q: %s", name, clip(string(r.raw), 160))
		}
		if _, ok := attr(r.obj, "members"); ok {
			p.failf(onelogin, "the answer to a PATCH with excludedAttributes=members holds members")
		}
	}
	p.expect(id, view{Name: name, Members: sorted(u[0], u[1], u[2])}, "membership pushes fail", "a PATCH with excludedAttributes=members")
}

// checkFilters: the filters SPEC.md names, each on two groups; no match
// is 200 with an empty list.
func checkFilters(p *probe) {
	u := p.k.users
	an, bn := p.name("Filter Alpha"), p.name("Filter Beta")
	ae, be := "00g"+p.k.runID+"alpha", "00g"+p.k.runID+"beta"
	a := p.create(p.k.e.Tenant, an, ae, u[0], u[1])
	b := p.create(p.k.e.Tenant, bn, be, u[1], u[2])
	both := "(displayName eq " + quote(an) + " or displayName eq " + quote(bn) + ")"
	rows := []struct {
		filter, effect string
		want           []string // exactly these
		in, out        []string // for filters other groups of the tenant may match
	}{
		{"displayName eq " + quote(an), "clients cannot find groups by name", []string{a}, nil, nil},
		{"externalId eq " + quote(ae), "clients cannot find groups by externalId", []string{a}, nil, nil},
		{"id eq " + quote(a), "clients cannot find groups by id", []string{a}, nil, nil},
		{"members[value eq " + quote(u[0]) + "]", "membership lookups fail", nil, []string{a}, []string{b}},
		{"members eq " + quote(u[2]), "Entra ID's membership checks fail", nil, []string{b}, []string{a}},
		{"displayName eq " + quote(an) + " or displayName eq " + quote(bn), "batch lookups fail", []string{a, b}, nil, nil},
		{"displayName eq " + quote(an) + " and externalId eq " + quote(be), "lookups match groups they should not", []string{}, nil, nil},
		{both + " and members[value eq " + quote(u[0]) + "]", "membership lookups fail", []string{a}, nil, nil},
		{both + " and not (members eq " + quote(u[0]) + ")", "filters with not fail", []string{b}, nil, nil},
		{"id eq " + quote(a) + " and members eq " + quote(u[1]), "Entra ID's membership checks fail", []string{a}, nil, nil},
		{"id eq " + quote(a) + " and members eq " + quote(u[2]), "Entra ID's membership checks fail", []string{}, nil, nil},
		{"displayName eq " + quote(p.name("Filter Missing")), "a lookup with no match fails: Okta's push stops and Entra ID's job goes to quarantine", []string{}, nil, nil},
	}
	for _, r := range rows {
		ids, ok := p.find(r.filter, r.effect)
		if !ok {
			continue
		}
		if r.want != nil && !slices.Equal(ids, sorted(r.want...)) {
			p.failf(r.effect, "filter %s found %s, want %s", r.filter, list(ids), list(sorted(r.want...)))
		}
		for _, id := range r.in {
			if !slices.Contains(ids, id) {
				p.failf(r.effect, "filter %s did not find %s", r.filter, id)
			}
		}
		for _, id := range r.out {
			if slices.Contains(ids, id) {
				p.failf(r.effect, "filter %s found %s, which it does not select", r.filter, id)
			}
		}
	}
}

// checkETag: every read and every PATCH answer carries the group's ETag;
// a write with a stale If-Match is refused with 412 and changes nothing.
func checkETag(p *probe) {
	u := p.k.users
	const effect = "clients cannot detect concurrent changes"
	name := p.name("ETag")
	id := p.create(p.k.e.Tenant, name, "", u[0])
	path := "/Groups/" + url.PathEscape(id)
	r := p.do("GET", path, "")
	first := r.header.Get("ETag")
	if first == "" {
		p.fatalf(effect, "GET %s answered no ETag header", path)
	}
	if m, ok := attr(r.obj, "meta"); ok {
		if v := str(m.(map[string]any), "version"); v != "" && v != first {
			p.failf(effect, "GET %s answered ETag %s and meta.version %s", path, first, v)
		}
	}
	r = p.do("PATCH", path, patch(`{"op":"add","path":"members","value":`+members(u[1])+`}`))
	if !p.written(r, "membership pushes fail", "a PATCH add") {
		return
	}
	if r.status != http.StatusNoContent {
		p.failf("PATCH answers carry the whole group", "a PATCH that names no attributes answered %d, want 204 (SPEC.md)", r.status)
	}
	patched := r.header.Get("ETag")
	if patched == "" {
		p.failf(effect, "the answer to a PATCH has no ETag")
	}
	current := p.do("GET", path, "").header.Get("ETag")
	switch {
	case current == first:
		p.failf(effect, "the ETag %s did not change with the group", first)
	case patched != "" && current != patched:
		p.failf(effect, "the PATCH answered ETag %s, a GET after it %s", patched, current)
	}
	want := view{Name: name, Members: sorted(u[0], u[1])}
	const stale = "a write over a concurrent change loses it"
	for _, s := range []struct{ method, body string }{
		{"PATCH", patch(`{"op":"add","path":"members","value":` + members(u[2]) + `}`)},
		{"PUT", groupBody(name, "", members(u[2]))},
	} {
		what := "a " + s.method + " with a stale If-Match"
		if p.refused(p.do(s.method, path, s.body, hdr("If-Match", first)), stale, what, http.StatusPreconditionFailed) {
			p.unchanged(p.k.e.Tenant, id, want, stale, what)
		} else if v, _, ok := p.read(p.k.e.Tenant, id, stale, "after "+what+", "); ok {
			want = v
		}
	}
	current = p.do("GET", path, "").header.Get("ETag")
	r = p.do("PATCH", path, patch(`{"op":"add","path":"members","value":`+members(u[3])+`}`), hdr("If-Match", current))
	if p.written(r, "writes with If-Match fail", "a PATCH with the current If-Match") {
		want.Members = sorted(append(want.Members, u[3])...)
		p.expect(id, want, "writes with If-Match fail", "a PATCH with the current If-Match")
	}
	const what = "a DELETE with a stale If-Match"
	if p.refused(p.do("DELETE", path, "", hdr("If-Match", first)), stale, what, http.StatusPreconditionFailed) {
		p.unchanged(p.k.e.Tenant, id, want, stale, what)
	}
}

// checkBadInput: malformed and mistyped requests are refused with a SCIM
// error, and change nothing. Each runs on a group of its own.
func checkBadInput(p *probe) {
	u := p.k.users
	core := `"schemas":["` + groupURN + `"]`
	post := func(s string) string { return p.name("Bad " + s) }
	type row struct {
		what, method, body string
		group              bool   // the request is for the row's group, whose name is {name}
		created            string // a name the refused request must not create
		status             int    // 0: any 4xx
	}
	n1, n2, n3, n4, n5, n6 := post("Truncated"), post("Members String"), post("No Value"), post("Array"), post("Member Number"), post("Put Creates")
	rows := []row{
		{"a POST of truncated JSON", "POST", `{` + core + `,"displayName":` + quote(n1), false, n1, 400},
		{"a POST that is not JSON", "POST", `displayName=x`, false, "", 400},
		{"a POST of a JSON array", "POST", `[{` + core + `,"displayName":` + quote(n4) + `}]`, false, n4, 400},
		{"a POST with a number for displayName", "POST", `{` + core + `,"displayName":42}`, false, "", 400},
		{"a POST without displayName", "POST", `{` + core + `,"members":[]}`, false, "", 400},
		{"a POST with members as a string", "POST", `{` + core + `,"displayName":` + quote(n2) + `,"members":"x"}`, false, n2, 400},
		{"a POST with a member without a value", "POST", `{` + core + `,"displayName":` + quote(n3) + `,"members":[{"display":"x"}]}`, false, n3, 400},
		{"a POST with a member value that is a number", "POST", `{` + core + `,"displayName":` + quote(n5) + `,"members":[{"value":42}]}`, false, n5, 400},
		{"a PUT of truncated JSON", "PUT", `{` + core + `,"displayName":"{name}","members":[`, true, "", 400},
		{"a PUT with a number for displayName", "PUT", `{` + core + `,"displayName":42,"members":[]}`, true, "", 400},
		{"a PUT with members as a string", "PUT", `{` + core + `,"displayName":"{name}","members":"x"}`, true, "", 400},
		{"a PATCH of truncated JSON", "PATCH", `{"schemas":["` + patchURN + `"],"Operations":[{"op":"add"`, true, "", 400},
		{"a PATCH without Operations", "PATCH", `{"schemas":["` + patchURN + `"]}`, true, "", 400},
		{"a PATCH of no operations", "PATCH", patch(), true, "", 400},
		{"a PATCH without schemas", "PATCH", `{"Operations":[{"op":"add","path":"members","value":` + members(u[2]) + `}]}`, true, "", 400},
		{"a PATCH of the unknown op move", "PATCH", patch(`{"op":"move","path":"members","value":` + members(u[2]) + `}`), true, "", 400},
		{"a PATCH of an unknown path", "PATCH", patch(`{"op":"replace","path":"gsckUnknown","value":"x"}`), true, "", 400},
		{"a PATCH remove without a path", "PATCH", patch(`{"op":"remove"}`), true, "", 400},
		{"a PATCH add of a member without a value", "PATCH", patch(`{"op":"add","path":"members","value":[{"display":"x"}]}`), true, "", 400},
		{"a PATCH Remove of a member without a value", "PATCH", patch(`{"op":"Remove","path":"members","value":[{"display":"x"}]}`), true, "", 400},
		{"a PATCH replace of members by a string", "PATCH", patch(`{"op":"replace","path":"members","value":"x"}`), true, "", 400},
		{"a PATCH of displayName to a number", "PATCH", patch(`{"op":"replace","path":"displayName","value":42}`), true, "", 400},
		{"a PATCH of displayName to the empty string", "PATCH", patch(`{"op":"replace","path":"displayName","value":""}`), true, "", 400},
		{"a PATCH remove of displayName", "PATCH", patch(`{"op":"remove","path":"displayName"}`), true, "", 400},
		{"a GET of an unknown id", "GET", "", false, "", 404},
		{"a PATCH of an unknown id", "PATCH", patch(`{"op":"add","path":"members","value":` + members(u[2]) + `}`), false, "", 404},
		{"a PUT of an unknown id", "PUT", groupBody(n6, "", ""), false, n6, 404},
		{"a DELETE of an unknown id", "DELETE", "", false, "", 404},
	}
	const effect = "a mistaken request changes groups"
	missing := "/Groups/gsck-" + p.k.runID + "-no-such-group"
	for i, r := range rows {
		path, body := "/Groups", r.body
		var id, name string
		switch {
		case r.group:
			name = p.name(fmt.Sprintf("Bad Input %d", i+1))
			id = p.create(p.k.e.Tenant, name, "", u[0], u[1])
			path, body = "/Groups/"+url.PathEscape(id), strings.ReplaceAll(body, "{name}", name)
		case r.method != "POST":
			path = missing
		}
		var want []int
		if r.status != 0 {
			want = []int{r.status}
		}
		p.refused(p.do(r.method, path, body), effect, r.what, want...)
		if id != "" {
			p.unchanged(p.k.e.Tenant, id, view{Name: name, Members: sorted(u[0], u[1])}, effect, r.what)
		}
		if r.created != "" {
			if ids, ok := p.find("displayName eq "+quote(r.created), effect); ok && len(ids) > 0 {
				for _, id := range ids {
					p.track(p.k.e.Tenant, id)
				}
				p.failf(effect, "%s created %v", r.what, ids)
			}
		}
	}
}

// repeat is an io.Reader of n bytes: head, then fill repeated, then tail.
func repeat(head string, fill byte, n int64, tail string) io.Reader {
	body := n - int64(len(head)) - int64(len(tail))
	return io.MultiReader(strings.NewReader(head), io.LimitReader(fillReader(fill), body), strings.NewReader(tail))
}

type fillReader byte

func (f fillReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(f)
	}
	return len(b), nil
}

// checkLimits (R18): hostile requests are answered in time, with a SCIM
// error that changes nothing or with their whole effect; never a server
// error, a dropped connection or a hang. A body that is not strict JSON
// is refused, never read another way than it was written.
func checkLimits(p *probe) {
	u := p.k.users
	name := p.name("Limits")
	const effect = "one request can take the service down for every tenant"
	deep := func(n int, open, inner, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	var ors []string
	for i := range 2000 {
		ors = append(ors, "displayName eq "+quote(p.name("or "+strconv.Itoa(i))))
	}
	long := strings.Repeat("x", 100_000)
	filters := []struct{ what, filter string }{
		{"a filter of 2,000 nested parentheses", deep(2000, "(", "displayName eq "+quote(name), ")")},
		{"a filter of 2,000 nested nots", deep(2000, "not (", "displayName eq "+quote(name), ")")},
		{"a filter of 2,000 alternatives", strings.Join(ors, " or ")},
		{"a filter of 50 nested parentheses inside members[…]", "members[" + deep(50, "(", "value eq "+quote(u[0]), ")") + "]"},
		{"a filter of a 100 KB value", "displayName eq " + quote(long)},
		{"a filter of a 10 KB attribute name", strings.Repeat("a", 10_000) + ` eq "x"`},
	}
	answered := func(r reply, what string) bool {
		p.notef("%s %s after %v", what, r.what(), r.elapsed.Round(time.Millisecond))
		switch {
		case r.err != nil:
			p.failf(effect, "%s %s", what, r.what())
		case r.status >= 500:
			p.failf(effect, "%s %s, a server error", what, r.what())
		default:
			return true
		}
		return false
	}
	for _, f := range filters {
		r := p.do("GET", "/Groups?filter="+escape(f.filter), "")
		what := "GET /Groups with " + f.what
		switch {
		case !answered(r, what):
		case r.status == http.StatusOK:
			p.list(r, effect, what)
		case r.status == http.StatusRequestURITooLong || r.status == http.StatusRequestHeaderFieldsTooLarge:
			// The HTTP server refused the long URL before the app saw it.
		default:
			p.refused(r, effect, what)
		}
	}

	// Writes: refused with nothing changed, or applied whole.
	const n = 10_000
	ops := make([]string, n)
	var many []string
	for i := range n {
		v := fmt.Sprintf("gsck-%s-many-%d", p.k.runID, i)
		many = append(many, v)
		ops[i] = `{"op":"add","path":"members","value":[{"value":` + quote(v) + `}]}`
	}
	writes := []struct {
		what, method, body string   // {name} stands for the group's name
		members            []string // the group's when the request is accepted; nil when it must be refused
	}{
		{"a PATCH of 10,000 operations", "PATCH", patch(ops...), sorted(append(many, u[0])...)},
		{"a PATCH whose path is 100 KB", "PATCH", patch(`{"op":"remove","path":` + quote(`members[value eq "`+long+`"]`) + `}`), []string{u[0]}},
		{"a PATCH whose value is 100,000 levels of nested lists", "PATCH", patch(`{"op":"add","path":"members","value":` + deep(100_000, "[", "", "]") + `}`), nil},
		{"a PUT whose externalId is 100,000 levels of nested objects", "PUT", `{"schemas":["` + groupURN + `"],"displayName":"{name}"` +
			`,"externalId":` + deep(100_000, `{"a":`, "1", "}") + `}`, nil},
	}
	for i, w := range writes {
		name := p.name(fmt.Sprintf("Limits %d", i+1))
		id := p.create(p.k.e.Tenant, name, "", u[0])
		r := p.do(w.method, "/Groups/"+url.PathEscape(id), strings.ReplaceAll(w.body, "{name}", name))
		switch {
		case !answered(r, w.what):
			p.unchanged(p.k.e.Tenant, id, view{Name: name, Members: []string{u[0]}}, effect, w.what)
		case r.status >= 400 || w.members == nil:
			p.refused(r, effect, w.what)
			p.unchanged(p.k.e.Tenant, id, view{Name: name, Members: []string{u[0]}}, "a refused request changes the group", w.what)
		default:
			p.expect(id, view{Name: name, Members: w.members}, "a large request applies in part", w.what)
		}
	}

	// Bodies a parser may read another way than they were written.
	const strict = "a request is read another way than it was written"
	dup, bad8, lone := p.name("Duplicate Key"), p.name("Invalid UTF-8"), p.name("Lone Surrogate")
	for _, b := range []struct{ what, body string }{
		{"a POST with displayName twice, in two letter cases", `{"schemas":["` + groupURN + `"],"displayName":` + quote(dup) + `,"DisplayName":` + quote(dup+" 2") + `}`},
		{"a POST whose displayName is not UTF-8", `{"schemas":["` + groupURN + `"],"displayName":"` + bad8 + "\xff\xfe" + `"}`},
		{"a POST whose displayName holds a lone surrogate", `{"schemas":["` + groupURN + `"],"displayName":"` + lone + `\ud800"}`},
	} {
		r := p.do("POST", "/Groups", b.body)
		if answered(r, b.what) {
			if id := str(r.obj, "id"); r.status < 400 && id != "" {
				p.track(p.k.e.Tenant, id)
			}
			p.refused(r, strict, b.what, http.StatusBadRequest)
		}
	}
	longID := "gsck-" + p.k.runID + "-" + strings.Repeat("x", 8000)
	if r := p.do("GET", "/Groups/"+longID, ""); answered(r, "a GET of an unknown id of 8 KB") && p.refused(r, effect, "a GET of an unknown id of 8 KB", http.StatusNotFound) {
		if strings.Contains(string(r.raw), longID) {
			p.failf("error answers echo whatever a client sends", "the 404 to a GET of an unknown id of 8 KB holds the whole id")
		}
	}

	// A body far over what any push needs (Okta's largest request is
	// under 1 MiB): refused, and nothing created.
	const size = 64 << 20
	huge := p.name("Huge")
	start := time.Now()
	r := p.sendBody(p.k.e.Tenant, "POST", "/Groups", repeat(`{"schemas":["`+groupURN+`"],"displayName":`+quote(huge)+`,"externalId":"`, 'x', size, `"}`), size)
	if answered(r, "a POST of 64 MiB") {
		if r.status < 400 {
			if id := str(r.obj, "id"); id != "" {
				p.track(p.k.e.Tenant, id)
			}
		}
		p.refused(r, effect, "a POST of 64 MiB")
		if r.status != http.StatusRequestEntityTooLarge && r.status >= 400 {
			p.notef("a POST of 64 MiB was answered %d, not 413, after %v", r.status, time.Since(start).Round(time.Millisecond))
		}
	}
	if ids, ok := p.find("displayName eq "+quote(huge), effect); ok && len(ids) > 0 {
		p.failf(effect, "the POST of 64 MiB created %v", ids)
	}
}
