package scimxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The SCIM URNs the checks send and look for.
const (
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorURN = "urn:ietf:params:scim:api:messages:2.0:Error"
	listURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	entraURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// maxAnswer bounds the answers the checks read.
const maxAnswer = 32 << 20

// reply is an answer of the endpoint, or the failure to get one.
type reply struct {
	method, path string
	status       int
	header       http.Header
	raw          []byte
	obj          map[string]any // the body's JSON object, numbers as json.Number
	err          error          // no answer at all
	bodyErr      error          // an answer whose body could not be read whole
	elapsed      time.Duration
}

// what says what the endpoint did, for a failure line: "answered 400
// invalidPath "…"" or "got no answer: …".
func (r reply) what() string {
	if r.err != nil {
		return "got no answer: " + r.err.Error()
	}
	s := "answered " + strconv.Itoa(r.status)
	if r.obj != nil {
		if t := str(r.obj, "scimType"); t != "" {
			s += " " + t
		}
		if d := str(r.obj, "detail"); d != "" {
			s += " " + strconv.Quote(clip(d, 160))
		}
	} else if len(bytes.TrimSpace(r.raw)) > 0 {
		s += " with " + strconv.Quote(clip(string(r.raw), 120))
	}
	if r.bodyErr != nil {
		s += " (then " + r.bodyErr.Error() + ")"
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// mod changes a request before it is sent: a header, say.
type mod func(*http.Request)

func hdr(name, value string) mod { return func(r *http.Request) { r.Header.Set(name, value) } }

// okta are the headers of Okta's SCIM client.
var okta = []mod{hdr("User-Agent", "Okta SCIM Client 1.0.0"), hdr("Content-Type", "application/scim+json; charset=utf-8")}

// do sends a request as Tenant.
func (p *probe) do(method, path, body string, mods ...mod) reply {
	return p.send(p.k.e.Tenant, method, path, body, mods...)
}

// send sends a request with the credential cred (none when nil) to the
// path under the base URL.
func (p *probe) send(cred Credential, method, path, body string, mods ...mod) reply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return p.sendBody(cred, method, path, rd, int64(len(body)), mods...)
}

// sendBody sends a request whose body is size bytes of rd.
func (p *probe) sendBody(cred Credential, method, path string, rd io.Reader, size int64, mods ...mod) reply {
	r := reply{method: method, path: path}
	ctx, cancel := context.WithTimeout(p.ctx, p.k.e.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.k.base+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	req.ContentLength = size
	if rd == nil {
		req.ContentLength = 0
	}
	req.Header.Set("Accept", "application/scim+json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if cred != nil {
		cred(req)
	}
	for _, m := range mods {
		m(req)
	}
	start := time.Now()
	res, err := p.k.e.Client.Do(req)
	if err != nil {
		r.err, r.elapsed = err, time.Since(start)
		if errors.Is(err, context.DeadlineExceeded) && p.ctx.Err() == nil {
			r.err = fmt.Errorf("no answer within %v", p.k.e.Timeout)
		}
		return r
	}
	defer res.Body.Close()
	r.raw, err = io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	r.elapsed = time.Since(start)
	r.status, r.header = res.StatusCode, res.Header
	switch {
	case err != nil:
		r.bodyErr = fmt.Errorf("reading the body failed: %w", err)
	case len(r.raw) > maxAnswer:
		r.err = fmt.Errorf("the %d answer is over %d bytes", res.StatusCode, maxAnswer)
	}
	if t := bytes.TrimSpace(r.raw); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var obj map[string]any
		if dec.Decode(&obj) == nil {
			r.obj = obj
		}
	}
	return r
}

// attr returns the attribute of obj of that name, matched exactly or else
// without case: attribute names are case-insensitive (RFC 7643 2.1).
func attr(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// str returns a string attribute of obj, or "".
func str(obj map[string]any, name string) string {
	v, _ := attr(obj, name)
	s, _ := v.(string)
	return s
}

// schemas reports whether obj's schemas name urn.
func hasSchema(obj map[string]any, urn string) bool {
	v, _ := attr(obj, "schemas")
	list, _ := v.([]any)
	for _, s := range list {
		if s, ok := s.(string); ok && strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

// view is what a client sees of a group.
type view struct {
	ID         string
	Name       string
	ExternalID string
	Members    []string // sorted
}

// viewOf reads a group resource. It fails when members is not a list of
// objects with string values.
func viewOf(obj map[string]any) (view, error) {
	v := view{ID: str(obj, "id"), Name: str(obj, "displayName"), ExternalID: str(obj, "externalId")}
	ms, ok := attr(obj, "members")
	if !ok || ms == nil {
		return v, nil
	}
	list, ok := ms.([]any)
	if !ok {
		return v, fmt.Errorf("members is %s, not a list", kind(ms))
	}
	for _, m := range list {
		o, ok := m.(map[string]any)
		if !ok {
			return v, fmt.Errorf("a member is %s, not an object", kind(m))
		}
		val, ok := attr(o, "value")
		s, isString := val.(string)
		if !ok || !isString {
			return v, fmt.Errorf("a member's value is %s, not a string", kind(val))
		}
		v.Members = append(v.Members, s)
	}
	slices.Sort(v.Members)
	return v, nil
}

// kind names the JSON type of a decoded value.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// diff says how got differs from want, or "" when it does not.
func (want view) diff(got view) string {
	var d []string
	if got.Name != want.Name {
		d = append(d, fmt.Sprintf("displayName %q, want %q", got.Name, want.Name))
	}
	if got.ExternalID != want.ExternalID {
		d = append(d, fmt.Sprintf("externalId %q, want %q", got.ExternalID, want.ExternalID))
	}
	if !slices.Equal(got.Members, want.Members) {
		d = append(d, fmt.Sprintf("members %s, want %s", list(got.Members), list(want.Members)))
	}
	return strings.Join(d, "; ")
}

// list renders member values for a failure line, the first few of many.
func list(values []string) string {
	if len(values) > 8 {
		return fmt.Sprintf("[%s … and %d more]", strings.Join(values[:6], " "), len(values)-6)
	}
	return "[" + strings.Join(values, " ") + "]"
}

// read GETs the group of id as cred; ok is false, and a failure recorded
// with effect, when it cannot.
func (p *probe) read(cred Credential, id, effect, when string) (view, reply, bool) {
	r := p.send(cred, "GET", "/Groups/"+url.PathEscape(id)+p.query, "")
	if r.err != nil || r.status != http.StatusOK || r.obj == nil {
		p.failf(effect, "%sGET /Groups/%s %s", when, id, r.what())
		return view{}, r, false
	}
	v, err := viewOf(r.obj)
	if err != nil {
		p.failf(effect, "%sGET /Groups/%s: %v", when, id, err)
		return v, r, false
	}
	return v, r, true
}

// expect GETs the group of id and records a failure with effect unless it
// is want. after says what happened last, for the failure line.
func (p *probe) expect(id string, want view, effect, after string) reply {
	return p.expectAs(p.k.e.Tenant, id, want, effect, after)
}

func (p *probe) expectAs(cred Credential, id string, want view, effect, after string) reply {
	got, r, ok := p.read(cred, id, effect, "after "+after+", ")
	if ok {
		p.compare(want, got, effect, "after "+after+", the group holds ")
	}
	return r
}

// lostLink is the effect of an externalId a write changed or dropped.
const lostLink = "the group loses its externalId, the link its source keeps (SPEC.md: an absent externalId keeps the stored one)"

// compare records how got differs from want, the externalId apart: its
// loss breaks the source's link, whatever else the step was for.
func (p *probe) compare(want, got view, effect, lead string) {
	if got.ExternalID != want.ExternalID {
		if !p.lostLink {
			p.failf(lostLink, "%sexternalId %q, want %q", lead, got.ExternalID, want.ExternalID)
		}
		p.lostLink = true // once a check: every later step would say it again
		got.ExternalID = want.ExternalID
	}
	if d := want.diff(got); d != "" {
		p.failf(effect, "%s%s", lead, d)
	}
}

// unchanged GETs the group of id and records a failure with effect unless
// it is as before: what was refused must change nothing.
func (p *probe) unchanged(cred Credential, id string, before view, effect, what string) {
	got, _, ok := p.read(cred, id, effect, "after "+what+", ")
	if ok {
		if d := before.diff(got); d != "" {
			p.failf(effect, "%s changed the group: %s", what, d)
		}
	}
}

// written checks the answer to a write that must succeed: one of want
// (200 or 204 when none is given).
func (p *probe) written(r reply, effect, what string, want ...int) bool {
	if len(want) == 0 {
		want = []int{http.StatusOK, http.StatusNoContent}
	}
	if r.err != nil || !slices.Contains(want, r.status) {
		p.failf(effect, "%s %s", what, r.what())
		return false
	}
	return true
}

// refused checks the answer to a request that must be refused: a SCIM
// error of one of the statuses want (any 4xx when none is given).
func (p *probe) refused(r reply, effect, what string, want ...int) bool {
	switch {
	case r.err != nil:
		p.failf(effect, "%s %s", what, r.what())
		return false
	case r.status < 400:
		p.failf(effect, "%s was accepted: it %s", what, r.what())
		return false
	case r.status >= 500:
		p.failf(effect, "%s %s, a server error, not a refusal", what, r.what())
		return false
	case len(want) > 0 && !slices.Contains(want, r.status):
		w := make([]string, len(want))
		for i, s := range want {
			w[i] = strconv.Itoa(s)
		}
		p.failf(effect, "%s %s, want %s", what, r.what(), strings.Join(w, " or "))
		return false
	}
	return p.scimError(r, what)
}

// scimError checks that r carries a SCIM error body (RFC 7644 3.12) whose
// status is r's.
func (p *probe) scimError(r reply, what string) bool {
	const effect = "its refusals are not SCIM errors, so clients cannot show why"
	if r.obj == nil {
		p.failf(effect, "%s answered %d without a JSON body: %q", what, r.status, clip(string(r.raw), 120))
		return false
	}
	if !hasSchema(r.obj, errorURN) {
		p.failf(effect, "%s answered %d with a body whose schemas do not name %s", what, r.status, errorURN)
		return false
	}
	st, _ := attr(r.obj, "status")
	var s string
	switch v := st.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	}
	if s != strconv.Itoa(r.status) {
		p.failf(effect, "%s answered %d with a SCIM error whose status is %v", what, r.status, st)
		return false
	}
	return true
}

// page is a ListResponse.
type page struct {
	total, start, perPage int
	hasStart, hasPerPage  bool
	resources             []map[string]any
	ids                   []string
}

// list checks that r is a ListResponse (RFC 7644 3.4.2) with integer
// paging fields, and returns it; ok is false, and a failure recorded with
// effect, when it is not.
func (p *probe) list(r reply, effect, what string) (page, bool) {
	var pg page
	if r.err != nil || r.status != http.StatusOK {
		p.failf(effect, "%s %s", what, r.what())
		return pg, false
	}
	if r.obj == nil || !hasSchema(r.obj, listURN) {
		p.failf(effect, "%s answered 200 with no ListResponse: %q", what, clip(string(r.raw), 160))
		return pg, false
	}
	ints := []struct {
		name     string
		to       *int
		has      *bool
		required bool
	}{{"totalResults", &pg.total, nil, true}, {"startIndex", &pg.start, &pg.hasStart, false}, {"itemsPerPage", &pg.perPage, &pg.hasPerPage, false}}
	for _, f := range ints {
		v, ok := attr(r.obj, f.name)
		if !ok {
			if f.required {
				p.failf(effect, "%s answered a ListResponse without %s", what, f.name)
				return pg, false
			}
			continue
		}
		n, isNum := v.(json.Number)
		i, err := strconv.Atoi(n.String())
		if !isNum || err != nil {
			p.failf(effect, "%s answered %s %s, not a JSON integer", what, f.name, jsonText(v))
			return pg, false
		}
		*f.to = i
		if f.has != nil {
			*f.has = true
		}
	}
	res, ok := attr(r.obj, "Resources")
	switch {
	case !ok && pg.total == 0:
	case !ok:
		p.failf(effect, "%s answered totalResults %d without Resources", what, pg.total)
		return pg, false
	default:
		arr, isList := res.([]any)
		if !isList {
			p.failf(effect, "%s answered Resources %s, not a list", what, jsonText(res))
			return pg, false
		}
		for _, x := range arr {
			o, isObj := x.(map[string]any)
			if !isObj {
				p.failf(effect, "%s answered a resource that is %s, not an object", what, kind(x))
				return pg, false
			}
			pg.resources = append(pg.resources, o)
			pg.ids = append(pg.ids, str(o, "id"))
		}
	}
	return pg, true
}

// jsonText renders a decoded JSON value as JSON, for a failure line.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 80)
}

// escape encodes a query parameter's value as Okta does, spaces as %20.
func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// find lists the groups that filter selects, as Tenant, with any extra
// query parameters; ok is false, and a failure recorded, when the answer
// is not a ListResponse.
func (p *probe) find(filter, effect string, query ...string) ([]string, bool) {
	return p.findAs(p.k.e.Tenant, filter, effect, query...)
}

func (p *probe) findAs(cred Credential, filter, effect string, query ...string) ([]string, bool) {
	path := "/Groups?" + strings.Join(append(query, "filter="+escape(filter)), "&")
	pg, ok := p.list(p.send(cred, "GET", path, ""), effect, "GET /Groups?filter="+filter)
	ids := slices.Clone(pg.ids)
	slices.Sort(ids)
	return ids, ok
}

// expectFound records a failure with effect unless filter finds exactly
// the groups of ids.
func (p *probe) expectFound(filter, effect string, ids ...string) {
	got, ok := p.find(filter, effect)
	want := slices.Clone(ids)
	slices.Sort(want)
	if ok && !slices.Equal(got, want) {
		p.failf(effect, "filter %s found %s, want %s", filter, list(got), list(want))
	}
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// patch returns a PatchOp body with the operations ops, each a JSON
// object.
func patch(ops ...string) string {
	return `{"schemas":["` + patchURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// memberList renders member objects, each with the fields extra adds.
func memberList(values []string, extra func(v string) string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = `{"value":` + quote(v)
		if extra != nil {
			parts[i] += extra(v)
		}
		parts[i] += "}"
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func members(values ...string) string { return memberList(values, nil) }

// oktaMembers are members as Okta sends them, with a display.
func oktaMembers(values ...string) string {
	return memberList(values, func(v string) string { return `,"display":` + quote(v+"@example.com") })
}

// entraMembers are members as Entra ID sends them, with a null $ref.
func entraMembers(values ...string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = `{"$ref":null,"value":` + quote(v) + `}`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// groupBody is a POST or PUT body: a core Group with the fields given.
func groupBody(name, ext string, membersJSON string) string {
	var b strings.Builder
	b.WriteString(`{"schemas":["` + groupURN + `"],"displayName":` + quote(name))
	if ext != "" {
		b.WriteString(`,"externalId":` + quote(ext))
	}
	if membersJSON != "" {
		b.WriteString(`,"members":` + membersJSON)
	}
	b.WriteString("}")
	return b.String()
}

// create pushes a new group as cred and returns its id, registered for
// cleanup. It ends the check when the push fails.
func (p *probe) create(cred Credential, name, ext string, values ...string) string {
	r := p.send(cred, "POST", "/Groups", groupBody(name, ext, members(values...)))
	return p.created(cred, r, "POST /Groups of "+strconv.Quote(name))
}

// created returns the id of the group the answer r to a POST created,
// registered for cleanup, or ends the check.
func (p *probe) created(cred Credential, r reply, what string) string {
	if r.err != nil || r.status != http.StatusCreated || r.obj == nil || str(r.obj, "id") == "" {
		p.fatalf("pushing a new group fails", "%s %s, want 201 with the group", what, r.what())
	}
	id := str(r.obj, "id")
	p.track(cred, id)
	return id
}

// track registers a pushed group for cleanup, once.
func (p *probe) track(cred Credential, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slices.Contains(p.appGroup, id) {
		return
	}
	for _, g := range p.pushed {
		if g.id == id {
			return
		}
	}
	p.pushed = append(p.pushed, pushed{cred, id})
}

// appGroupOf creates a group in the app with the hook, registered for
// cleanup; ok is false when the app refuses.
func (p *probe) appGroupOf(name string, values ...string) (string, error) {
	id, err := p.k.e.CreateAppGroup(p.ctx, name, slices.Clone(values))
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", errors.New("CreateAppGroup returned an empty id")
	}
	p.mu.Lock()
	p.appGroup = append(p.appGroup, id)
	p.mu.Unlock()
	return id, nil
}

// app creates a group in the app, or ends the check.
func (p *probe) app(name string, values ...string) string {
	id, err := p.appGroupOf(name, values...)
	if err != nil {
		p.fatalf("the check cannot start", "CreateAppGroup(%q): %v", name, err)
	}
	return id
}

// typeOf reads a group's local type with the hook; ok is false, and a
// failure recorded, when it cannot.
func (p *probe) typeOf(id string) (string, bool) {
	t, err := p.k.e.GroupType(p.ctx, id)
	if err != nil {
		p.failf("the check cannot read the group's type", "GroupType(%s): %v", id, err)
		return "", false
	}
	return t, true
}

// expectType records a failure with effect unless the group's type is
// want.
func (p *probe) expectType(id, want, effect, after string) {
	if got, ok := p.typeOf(id); ok && got != want {
		p.failf(effect, "after %s, the group's type is %q, want %q", after, got, want)
	}
}
