package scimxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// minimal is a SCIM Groups service written for the tests of the kit, on
// nothing but net/http and a filter parser: a second implementation of the
// target side of SPEC.md, beside scimx, into which the fault table injects
// one fault at a time. Without a fault it passes the kit; with one, the
// check made for that fault fails. Groups live in memory, per tenant; so
// does a short list of users, which it only lists, as Okta and Entra ID
// read them when they connect.
type minimal struct {
	fault  string
	tokens map[string]string // bearer token → tenant

	mu      sync.Mutex
	tenants map[string]map[string]*mgroup
	next    int
}

// mgroup is a group of the minimal service.
type mgroup struct {
	id, name, ext string
	members       map[string]bool
	app           bool   // created in the app: Origin=Target
	typ           string // the app's local type
	version       int
}

func (g *mgroup) clone() *mgroup {
	c := *g
	c.members = maps.Clone(g.members)
	return &c
}

// newMinimal serves a minimal service with fault (none when "") for the
// rest of the test, and returns it with its Endpoint.
func newMinimal(t *testing.T, fault string) (*minimal, Endpoint) {
	m := &minimal{fault: fault, tokens: map[string]string{"mini-a": "a", "mini-b": "b"}, tenants: map[string]map[string]*mgroup{}}
	ts := httptest.NewServer(http.StripPrefix("/scim/v2", m))
	t.Cleanup(ts.Close)
	e := Endpoint{
		URL: ts.URL + "/scim/v2", Tenant: Bearer("mini-a"), OtherTenant: Bearer("mini-b"), DefaultType: "Groups",
		CreateAppGroup: func(_ context.Context, name string, members []string) (string, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			g := m.add("a", &mgroup{name: name, members: set(members), app: true, typ: "Teams"})
			return g.id, nil
		},
		DeleteAppGroup: func(_ context.Context, id string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.tenants["a"][id] == nil {
				return errors.New("no such group")
			}
			delete(m.tenants["a"], id)
			return nil
		},
		SetGroupType: func(_ context.Context, id, typ string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			g := m.tenants["a"][id]
			if g == nil {
				return errors.New("no such group")
			}
			g.typ = typ
			return nil
		},
		GroupType: func(_ context.Context, id string) (string, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			g := m.tenants["a"][id]
			if g == nil {
				return "", errors.New("no such group")
			}
			return g.typ, nil
		},
	}
	return m, e
}

func set(values []string) map[string]bool {
	s := map[string]bool{}
	for _, v := range values {
		s[v] = true
	}
	return s
}

// add stores g in tenant under a new id. The caller holds m.mu.
func (m *minimal) add(tenant string, g *mgroup) *mgroup {
	if m.tenants[tenant] == nil {
		m.tenants[tenant] = map[string]*mgroup{}
	}
	m.next++
	g.id, g.version = fmt.Sprintf("g%06d", m.next), 1
	m.tenants[tenant][g.id] = g
	return g
}

// apiError is a refusal: a SCIM error of that status.
type apiError struct {
	status   int
	scimType string
	detail   string
}

func (e *apiError) Error() string { return e.detail }

func bad(scimType, format string, args ...any) error {
	return &apiError{http.StatusBadRequest, scimType, fmt.Sprintf(format, args...)}
}

func writeErr(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{http.StatusInternalServerError, "", "internal error"}
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"schemas": []string{errorURN}, "status": strconv.Itoa(e.status), "scimType": e.scimType, "detail": e.detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var errNotFound = &apiError{http.StatusNotFound, "", "no such group"}

func (m *minimal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tenant, ok := m.tokens[token]
	if !ok && (m.fault == "open" || m.fault == "users open" && strings.HasPrefix(r.URL.Path, "/Users")) {
		tenant, ok = "a", true
	}
	if !ok {
		writeErr(w, &apiError{http.StatusUnauthorized, "", "missing or wrong bearer token"})
		return
	}
	if m.fault == "flag refused" && r.URL.Query().Has("aadOptscim062020") {
		writeErr(w, bad("invalidValue", "unknown parameter"))
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			writeErr(w, &apiError{http.StatusRequestEntityTooLarge, "", "the body is too large"})
			return
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tenants[tenant] == nil {
		m.tenants[tenant] = map[string]*mgroup{}
	}
	groups := m.tenants[tenant]
	id, one := strings.CutPrefix(r.URL.Path, "/Groups/")
	var err error
	switch {
	case r.URL.Path == "/ServiceProviderConfig" && r.Method == "GET" && m.fault != "no config":
		writeJSON(w, 200, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
			"patch": map[string]any{"supported": true}, "filter": map[string]any{"supported": true, "maxResults": 1000},
			"etag": map[string]any{"supported": true}, "bulk": map[string]any{"supported": false}})
	case r.URL.Path == "/Users" && r.Method == "GET" && m.fault != "no users":
		err = m.listUsers(w, r, tenant)
	case r.URL.Path == "/Groups" && r.Method == "GET":
		err = m.list(w, r, groups)
	case r.URL.Path == "/Groups" && r.Method == "POST":
		err = m.post(w, r, tenant, body)
	case one && r.Method == "GET":
		g := groups[id]
		if m.fault == "cross-tenant read" {
			for _, gs := range m.tenants {
				if gs[id] != nil {
					g = gs[id]
				}
			}
		}
		if g == nil {
			err = errNotFound
			break
		}
		w.Header().Set("ETag", etagOf(g))
		writeJSON(w, 200, m.render(g, r))
	case one && r.Method == "PUT":
		err = m.put(w, r, groups, id, body)
	case one && r.Method == "PATCH":
		err = m.patch(w, r, groups, id, body)
	case one && r.Method == "DELETE":
		err = m.delete(w, r, groups, id)
	default:
		err = &apiError{http.StatusNotFound, "", "no such endpoint"}
	}
	if err != nil {
		writeErr(w, err)
	}
}

func etagOf(g *mgroup) string { return `W/"` + strconv.Itoa(g.version) + `"` }

// ifMatch refuses a write whose If-Match names another version.
func (m *minimal) ifMatch(r *http.Request, g *mgroup) error {
	im := r.Header.Get("If-Match")
	if im == "" || im == "*" || im == etagOf(g) || m.fault == "if-match ignored" {
		return nil
	}
	return &apiError{http.StatusPreconditionFailed, "", "the group changed"}
}

// render returns g as the request's attributes and excludedAttributes let
// it.
func (m *minimal) render(g *mgroup, r *http.Request) map[string]any {
	q := r.URL.Query()
	only, excluded := names(q.Get("attributes")), names(q.Get("excludedAttributes"))
	if m.fault == "projection ignored" {
		only, excluded = nil, nil
	}
	has := func(a string) bool { return !excluded[a] && (only == nil || only[a]) }
	res := map[string]any{"schemas": []string{groupURN}, "id": g.id,
		"meta": map[string]any{"resourceType": "Group", "version": etagOf(g), "location": "Groups/" + g.id}}
	if has("displayname") {
		res["displayName"] = g.name
	}
	if has("externalid") && g.ext != "" {
		res["externalId"] = g.ext
	}
	if has("members") {
		ms := []any{}
		for _, v := range slices.Sorted(maps.Keys(g.members)) {
			ms = append(ms, map[string]any{"value": v})
		}
		res["members"] = ms
	}
	return res
}

func names(list string) map[string]bool {
	if list == "" {
		return nil
	}
	s := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		a, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(a)), ".")
		s[a] = true
	}
	return s
}

// paging reads a list's startIndex and count, 1 and 100 when absent, each
// within its bounds.
func paging(q url.Values) (start, count int, err error) {
	start, count = 1, 100
	for _, p := range []struct {
		name string
		to   *int
	}{{"startIndex", &start}, {"count", &count}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, bad("invalidValue", "%s is not an integer", p.name)
			}
			*p.to = n
		}
	}
	return max(start, 1), min(max(count, 0), 1000), nil
}

func (m *minimal) list(w http.ResponseWriter, r *http.Request, groups map[string]*mgroup) error {
	q := r.URL.Query()
	start, count, err := paging(q)
	if err != nil {
		return err
	}
	var expr filter.Expression
	if f := q.Get("filter"); f != "" {
		if len(f) > 4096 {
			if m.fault == "long filter crash" {
				panic(http.ErrAbortHandler) // as a parser without limits may
			}
			return bad("invalidFilter", "the filter is too long")
		}
		e, err := filter.ParseFilter([]byte(f))
		if err != nil {
			return bad("invalidFilter", "the filter does not parse")
		}
		expr = e
	}
	var matched []*mgroup
	for _, id := range slices.Sorted(maps.Keys(groups)) {
		g := groups[id]
		if expr != nil {
			ok, err := m.matches(expr, g, 0)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		matched = append(matched, g)
	}
	if len(matched) == 0 && expr != nil && m.fault == "404 for no match" {
		return errNotFound
	}
	from := min(start-1, len(matched))
	to := min(from+count, len(matched))
	res := []any{}
	for _, g := range matched[from:to] {
		res = append(res, m.render(g, r))
	}
	var total, startIndex, perPage any = len(matched), start, len(res)
	switch m.fault {
	case "string totalResults":
		total = strconv.Itoa(len(matched))
	case "string paging":
		startIndex, perPage = strconv.Itoa(start), strconv.Itoa(len(res))
	}
	writeJSON(w, 200, map[string]any{"schemas": []string{listURN}, "totalResults": total, "startIndex": startIndex, "itemsPerPage": perPage, "Resources": res})
	return nil
}

// musers are the users of the minimal service's tenants, which it only
// lists: three in tenant a, so that Okta's count=2 takes a page of them.
var musers = map[string][]muser{
	"a": {{"u1", "alice@example.com", "e1"}, {"u2", "bob@example.com", "e2"}, {"u3", "carol@example.com", ""}},
	"b": {{"u9", "dave@example.com", ""}},
}

// muser is a user of the minimal service.
type muser struct{ id, userName, ext string }

// listUsers answers GET /Users: the tenant's users, filtered by userName
// (without regard to case, RFC 7643), externalId or id eq, joined by and,
// a page at a time.
func (m *minimal) listUsers(w http.ResponseWriter, r *http.Request, tenant string) error {
	q := r.URL.Query()
	start, count, err := paging(q)
	if err != nil {
		return err
	}
	if m.fault == "users count ignored" {
		count = 1000
	}
	var eqs []*filter.AttributeExpression
	if f := q.Get("filter"); f != "" {
		if len(f) > 4096 {
			return bad("invalidFilter", "the filter is too long")
		}
		e, err := filter.ParseFilter([]byte(f))
		if err != nil {
			return bad("invalidFilter", "the filter does not parse")
		}
		for len(eqs) <= 16 {
			if l, ok := e.(*filter.LogicalExpression); ok && strings.EqualFold(string(l.Operator), "and") {
				a, ok := l.Right.(*filter.AttributeExpression)
				if !ok {
					return bad("invalidFilter", "only eq comparisons joined by and are supported")
				}
				eqs, e = append(eqs, a), l.Left
				continue
			}
			a, ok := e.(*filter.AttributeExpression)
			if !ok {
				return bad("invalidFilter", "only eq comparisons joined by and are supported")
			}
			eqs = append(eqs, a)
			break
		}
		if len(eqs) > 16 {
			return bad("invalidFilter", "the filter has too many comparisons")
		}
	}
	var matched []muser
	for _, u := range musers[tenant] {
		keep := true
		for _, e := range eqs {
			if !strings.EqualFold(string(e.Operator), "eq") || e.AttributePath.SubAttribute != nil {
				return bad("invalidFilter", "only eq comparisons are supported")
			}
			want, err := compareValue(e)
			if err != nil {
				return err
			}
			switch strings.ToLower(e.AttributePath.AttributeName) {
			case "username":
				keep = keep && strings.EqualFold(u.userName, want)
			case "externalid":
				keep = keep && u.ext == want
			case "id":
				keep = keep && u.id == want
			default:
				return bad("invalidFilter", "unknown attribute %s", e.AttributePath.AttributeName)
			}
		}
		if keep {
			matched = append(matched, u)
		}
	}
	if len(matched) == 0 && len(eqs) > 0 && m.fault == "404 for no user" {
		return &apiError{http.StatusNotFound, "", "no such user"}
	}
	from := min(start-1, len(matched))
	to := min(from+count, len(matched))
	res := []any{}
	for _, u := range matched[from:to] {
		o := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": u.id, "userName": u.userName, "active": true,
			"meta": map[string]any{"resourceType": "User", "location": "Users/" + u.id}}
		if u.ext != "" {
			o["externalId"] = u.ext
		}
		res = append(res, o)
	}
	writeJSON(w, 200, map[string]any{"schemas": []string{listURN}, "totalResults": len(matched), "startIndex": start, "itemsPerPage": len(res), "Resources": res})
	return nil
}

// compareValue returns a filter's string compare value, its JSON escapes
// decoded.
func compareValue(e *filter.AttributeExpression) (string, error) {
	v, ok := e.CompareValue.(string)
	if !ok {
		return "", bad("invalidFilter", "%v compares with a value that is not a string", e.AttributePath)
	}
	if strings.ContainsRune(v, '\\') {
		if err := json.Unmarshal([]byte(`"`+v+`"`), &v); err != nil {
			return "", bad("invalidFilter", "a bad escape")
		}
	}
	return v, nil
}

func (m *minimal) matches(e filter.Expression, g *mgroup, depth int) (bool, error) {
	if depth > 100 {
		return false, bad("invalidFilter", "the filter nests too deep")
	}
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := m.matches(e.Left, g, depth+1)
		if err != nil {
			return false, err
		}
		r, err := m.matches(e.Right, g, depth+1)
		if strings.EqualFold(string(e.Operator), "and") {
			return l && r, err
		}
		return l || r, err
	case *filter.NotExpression:
		ok, err := m.matches(e.Expression, g, depth+1)
		return !ok, err
	case *filter.ValuePath:
		if !strings.EqualFold(e.AttributePath.AttributeName, "members") {
			return false, bad("invalidFilter", "only members takes a value filter")
		}
		for v := range g.members {
			ok, err := m.matchesMember(e.ValueFilter, v, depth+1)
			if ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case *filter.AttributeExpression:
		var got []string
		switch strings.ToLower(e.AttributePath.AttributeName) {
		case "id":
			got = []string{g.id}
		case "externalid":
			got = []string{g.ext}
		case "displayname":
			got = []string{g.name}
		case "members":
			got = slices.Collect(maps.Keys(g.members))
		default:
			return false, bad("invalidFilter", "unknown attribute %s", e.AttributePath.AttributeName)
		}
		if strings.EqualFold(string(e.Operator), "pr") {
			return len(got) > 0 && got[0] != "", nil
		}
		if !strings.EqualFold(string(e.Operator), "eq") {
			return false, bad("invalidFilter", "only eq and pr are supported")
		}
		want, err := compareValue(e)
		if err != nil {
			return false, err
		}
		fold := m.fault == "case-insensitive names" && strings.EqualFold(e.AttributePath.AttributeName, "displayName")
		for _, v := range got {
			if v == want || fold && strings.EqualFold(v, want) {
				return true, nil
			}
		}
		return false, nil
	}
	return false, bad("invalidFilter", "unsupported filter")
}

func (m *minimal) matchesMember(e filter.Expression, value string, depth int) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := m.matchesMember(e.Left, value, depth+1)
		if err != nil {
			return false, err
		}
		r, err := m.matchesMember(e.Right, value, depth+1)
		if strings.EqualFold(string(e.Operator), "and") {
			return l && r, err
		}
		return l || r, err
	case *filter.NotExpression:
		ok, err := m.matchesMember(e.Expression, value, depth+1)
		return !ok, err
	case *filter.AttributeExpression:
		if !strings.EqualFold(e.AttributePath.AttributeName, "value") || !strings.EqualFold(string(e.Operator), "eq") {
			return false, bad("invalidFilter", "members take only value eq")
		}
		want, err := compareValue(e)
		return value == want, err
	}
	return false, bad("invalidFilter", "unsupported member filter")
}

// decode reads a JSON body, numbers as json.Number. The body must be
// strict JSON (R18): valid UTF-8, no lone surrogate, no object with two
// keys that differ at most in letter case, at most 64 levels deep.
func (m *minimal) decode(body []byte) (any, error) {
	if err := strict(body); err != nil && m.fault != "lenient JSON" {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, bad("invalidSyntax", "the body is not JSON")
	}
	if dec.More() {
		return nil, bad("invalidSyntax", "data after the JSON value")
	}
	return v, nil
}

func strict(body []byte) error {
	if !utf8.Valid(body) {
		return bad("invalidSyntax", "the body is not UTF-8")
	}
	type frame struct {
		keys    map[string]bool // nil for a list
		wantKey bool
	}
	var stack []*frame
	valueDone := func() { // a value ended: its object wants a key next
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bad("invalidSyntax", "the body is not JSON")
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, utf8.RuneError) {
			return bad("invalidSyntax", "the body holds a lone surrogate")
		}
		if key, ok := tok.(string); ok && len(stack) > 0 && stack[len(stack)-1].wantKey {
			top := stack[len(stack)-1]
			k := strings.ToLower(key)
			if top.keys[k] {
				return bad("invalidSyntax", "the key %q appears twice", key)
			}
			top.keys[k], top.wantKey = true, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == 64 {
				return bad("invalidSyntax", "the body nests too deep")
			}
			f := &frame{}
			if tok == json.Delim('{') {
				f.keys, f.wantKey = map[string]bool{}, true
			}
			stack = append(stack, f)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// field returns the attribute of obj named name, in any letter case.
func field(obj map[string]any, name string) (any, bool) {
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func validName(v any) (string, error) {
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" || strings.IndexFunc(s, unicode.IsControl) >= 0 || len(s) > 1024 {
		return "", bad("invalidValue", "displayName must be a non-empty string")
	}
	return s, nil
}

func memberValues(v any) ([]string, error) {
	list, ok := v.([]any)
	if v == nil {
		return nil, nil
	}
	if !ok {
		return nil, bad("invalidValue", "members must be a list")
	}
	var out []string
	for _, x := range list {
		o, ok := x.(map[string]any)
		if !ok {
			return nil, bad("invalidValue", "a member must be an object")
		}
		val, _ := field(o, "value")
		s, ok := val.(string)
		if !ok || s == "" || len(s) > 1024 {
			return nil, bad("invalidValue", "a member needs a string value")
		}
		out = append(out, s)
	}
	return out, nil
}

// groupOf reads a POST or PUT body: displayName, externalId and members;
// anything else is dropped (R2).
func (m *minimal) groupOf(body []byte) (name, ext string, hasExt bool, values []string, err error) {
	v, err := m.decode(body)
	if err != nil {
		return "", "", false, nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", "", false, nil, bad("invalidSyntax", "a group is a JSON object")
	}
	dn, _ := field(obj, "displayName")
	if name, err = validName(dn); err != nil {
		return "", "", false, nil, err
	}
	if x, ok := field(obj, "externalId"); ok && x != nil {
		if ext, ok = x.(string); !ok {
			return "", "", false, nil, bad("invalidValue", "externalId must be a string")
		}
		hasExt = ext != ""
	}
	ms, _ := field(obj, "members")
	values, err = memberValues(ms)
	return name, ext, hasExt, values, err
}

func (m *minimal) sameName(groups map[string]*mgroup, name string) []*mgroup {
	var out []*mgroup
	for _, id := range slices.Sorted(maps.Keys(groups)) {
		g := groups[id]
		if g.name == name || m.fault == "case-insensitive names" && strings.EqualFold(g.name, name) {
			out = append(out, g)
		}
	}
	return out
}

func (m *minimal) post(w http.ResponseWriter, r *http.Request, tenant string, body []byte) error {
	name, ext, _, values, err := m.groupOf(body)
	if err != nil {
		return err
	}
	groups := m.tenants[tenant]
	same := m.sameName(groups, name)
	if m.fault == "duplicate on POST" {
		same = nil
	}
	var g *mgroup
	switch {
	case len(same) > 1 && m.fault != "ambiguous picks first":
		return &apiError{http.StatusConflict, "uniqueness", "several groups have that name"}
	case len(same) >= 1:
		g = same[0]
		if g.ext != "" && g.ext != ext {
			return &apiError{http.StatusConflict, "uniqueness", "the group is linked to another externalId"}
		}
		if ext != "" {
			g.ext = ext
		}
		if m.fault == "association adds" {
			maps.Copy(g.members, set(values))
		} else {
			g.members = set(values)
		}
		g.version++
		m.overwriteType(g)
	default:
		typ := "Groups"
		if m.fault == "wrong default type" {
			typ = "Imported"
		}
		g = m.add(tenant, &mgroup{name: name, ext: ext, members: set(values), typ: typ})
	}
	w.Header().Set("ETag", etagOf(g))
	writeJSON(w, http.StatusCreated, m.render(g, r))
	return nil
}

func (m *minimal) overwriteType(g *mgroup) {
	if m.fault == "type overwritten" {
		g.typ = "Groups"
	}
}

// rename checks that g may be renamed to name: not an app group (R7), not
// a name another group holds.
func (m *minimal) rename(groups map[string]*mgroup, g *mgroup, name string) error {
	if name == g.name {
		return nil
	}
	if g.app && m.fault != "app group renamed" {
		return bad("mutability", "group %q was created in the app and is managed in the app", g.name)
	}
	if len(m.sameName(groups, name)) > 0 {
		return &apiError{http.StatusConflict, "uniqueness", "another group has that name"}
	}
	return nil
}

func (m *minimal) put(w http.ResponseWriter, r *http.Request, groups map[string]*mgroup, id string, body []byte) error {
	g := groups[id]
	if g == nil {
		return errNotFound
	}
	name, ext, hasExt, values, err := m.groupOf(body)
	if err != nil {
		return err
	}
	if err := m.ifMatch(r, g); err != nil {
		return err
	}
	if err := m.rename(groups, g, name); err != nil {
		return err
	}
	g.name = name
	if hasExt {
		g.ext = ext
	}
	if m.fault != "members dropped on PUT" {
		g.members = set(values)
	}
	g.version++
	m.overwriteType(g)
	w.Header().Set("ETag", etagOf(g))
	writeJSON(w, 200, m.render(g, r))
	return nil
}

func (m *minimal) delete(w http.ResponseWriter, r *http.Request, groups map[string]*mgroup, id string) error {
	g := groups[id]
	if g == nil {
		return errNotFound
	}
	if err := m.ifMatch(r, g); err != nil {
		return err
	}
	if g.app {
		return bad("mutability", "group %q was created in the app and is managed in the app", g.name)
	}
	delete(groups, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (m *minimal) patch(w http.ResponseWriter, r *http.Request, groups map[string]*mgroup, id string, body []byte) error {
	stored := groups[id]
	if stored == nil {
		return errNotFound
	}
	v, err := m.decode(body)
	if err != nil {
		return err
	}
	obj, _ := v.(map[string]any)
	schemas, _ := field(obj, "schemas")
	list, _ := schemas.([]any)
	ops, _ := field(obj, "Operations")
	opList, _ := ops.([]any)
	if len(list) != 1 || list[0] != patchURN || len(opList) == 0 {
		return bad("invalidValue", "a PATCH names the PatchOp schema and has operations")
	}
	if len(opList) > 1000 {
		return &apiError{http.StatusRequestEntityTooLarge, "", "too many operations"}
	}
	if err := m.ifMatch(r, stored); err != nil {
		return err
	}
	g := stored.clone()
	if m.fault == "partial PATCH" {
		g = stored // every operation applies as it goes
	}
	for _, o := range opList {
		if err := m.apply(g, o); err != nil {
			return err
		}
	}
	if err := m.rename(groups, stored, g.name); err != nil {
		return err
	}
	g.version = stored.version + 1
	m.overwriteType(g)
	groups[id] = g
	if m.fault != "no ETag" {
		w.Header().Set("ETag", etagOf(g))
	}
	if r.URL.Query().Has("attributes") || r.URL.Query().Has("excludedAttributes") {
		writeJSON(w, 200, m.render(g, r))
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apply applies one PATCH operation to g.
func (m *minimal) apply(g *mgroup, o any) error {
	obj, ok := o.(map[string]any)
	if !ok {
		return bad("invalidValue", "an operation is an object")
	}
	opv, _ := field(obj, "op")
	op, _ := opv.(string)
	op = strings.ToLower(op)
	if op != "add" && op != "remove" && op != "replace" {
		return bad("invalidValue", "unknown op %q", op)
	}
	value, _ := field(obj, "value")
	pv, hasPath := field(obj, "path")
	path, _ := pv.(string)
	if !hasPath || path == "" {
		if op == "remove" {
			return bad("noTarget", "a remove needs a path")
		}
		attrs, ok := value.(map[string]any)
		if !ok {
			return bad("invalidValue", "an operation without a path takes an object")
		}
		for _, k := range slices.Sorted(maps.Keys(attrs)) {
			var err error
			switch strings.ToLower(k) {
			case "displayname":
				g.name, err = validName(attrs[k])
			case "externalid":
				err = m.setExt(g, attrs[k])
			case "members":
				err = m.members(g, op, attrs[k])
			case "id", "schemas", "meta":
			default:
				err = bad("mutability", "%s is not the push's to change", k)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(path) > 4096 {
		return bad("invalidPath", "the path is too long")
	}
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return bad("invalidPath", "the path does not parse")
	}
	ap := p.AttributePath
	if ap.URIPrefix != nil && !strings.EqualFold(*ap.URIPrefix, groupURN) || ap.SubAttribute != nil || p.SubAttribute != nil {
		return bad("mutability", "%s is not the push's to change", path)
	}
	switch name := strings.ToLower(ap.AttributeName); {
	case name == "displayname" && p.ValueExpression == nil:
		if op == "remove" {
			return bad("mutability", "displayName is required")
		}
		g.name, err = validName(value)
		return err
	case name == "externalid" && p.ValueExpression == nil:
		if op == "remove" {
			g.ext = ""
			return nil
		}
		return m.setExt(g, value)
	case name == "members" && p.ValueExpression != nil:
		if op != "remove" || m.fault == "no remove by filter" {
			return bad("invalidPath", "a members filter takes only remove")
		}
		for v := range g.members {
			ok, err := m.matchesMember(p.ValueExpression, v, 0)
			if err != nil {
				return err
			}
			if ok {
				delete(g.members, v)
			}
		}
		return nil
	case name == "members":
		return m.members(g, op, value)
	}
	if m.fault == "unknown paths ignored" {
		return nil
	}
	return bad("invalidPath", "%s is no attribute of a group", path)
}

func (m *minimal) setExt(g *mgroup, v any) error {
	s, ok := v.(string)
	if !ok {
		return bad("invalidValue", "externalId must be a string")
	}
	g.ext = s
	return nil
}

// members applies add, remove and replace to g's members; a remove with
// values removes those (Entra ID), one without removes all.
func (m *minimal) members(g *mgroup, op string, v any) error {
	if o, ok := v.(map[string]any); ok {
		v = []any{o}
	}
	values, err := memberValues(v)
	if err != nil {
		return err
	}
	switch {
	case op == "replace", op == "remove" && (v == nil || m.fault == "remove removes all"):
		g.members = map[string]bool{}
	}
	for _, x := range values {
		if op == "remove" {
			delete(g.members, x)
		} else {
			g.members[x] = true
		}
	}
	return nil
}

// The minimal service passes the kit, with every hook.
func TestEndpointMinimal(t *testing.T) {
	_, e := newMinimal(t, "")
	TestEndpoint(t, e)
}
