package scimclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// These tests push to servers with the habits of real ones (WIRE.md, "Servers
// a pushing client meets"): a small hand-written SCIM server, qkServer, with
// each habit behind a switch, and a few handlers that answer one thing.

const qkToken = "quirk-token"

// qkServer is a small SCIM server that is not built with this library. It
// always answers a PATCH with 204 and no body, gives error statuses as
// strings and leaves scimType out unless it has one. The other habits are
// switches, set before the server starts.
type qkServer struct {
	url string

	foldNames      bool            // the displayName filter and name uniqueness ignore case
	duplicates     bool            // an add appends present members again
	noMembers      bool            // reads never return members (AWS)
	patchSupported string          // raw JSON of ServiceProviderConfig patch.supported; "" is true
	known          map[string]bool // non-nil: other member values are refused with 400 invalidValue
	create         string          // a POST's answer: "" 201 with body and Location, "no location", "empty"
	pages          []int           // non-nil: list pages end after these many groups, in turn
	itemsPerPage   int             // non-zero: reported whatever the page holds
	totalAsString  bool            // totalResults is a string
	users          map[string]string

	mu       sync.Mutex
	groups   []*qkGroup
	next     int
	requests []qkRequest
}

type qkGroup struct {
	ID, ExternalID, Name string
	Members              []string // in the server's order, duplicates kept
}

type qkRequest struct {
	Method, Path string
	Query        url.Values
	Body         string
}

// newQkServer starts a server with the habits setup sets.
func newQkServer(t *testing.T, setup func(*qkServer)) *qkServer {
	t.Helper()
	s := &qkServer{}
	if setup != nil {
		setup(s)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *qkServer) client(t *testing.T, opts scimclient.Options) *scimclient.Client {
	t.Helper()
	opts.Auth = scimclient.Bearer(qkToken)
	opts.Timeout = 5 * time.Second
	if opts.MaxRetryWait == 0 {
		opts.MaxRetryWait = time.Second
	}
	c, err := scimclient.New(s.url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seed stores g as the app would, returning its id.
func (s *qkServer) seed(g qkGroup) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	g.ID = fmt.Sprintf("g%d", s.next)
	s.groups = append(s.groups, &g)
	return g.ID
}

// state returns every group, in creation order.
func (s *qkServer) state() []qkGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []qkGroup
	for _, g := range s.groups {
		c := *g
		c.Members = slices.Clone(g.Members)
		out = append(out, c)
	}
	return out
}

// log returns the requests received.
func (s *qkServer) log() []qkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// count returns how many requests of method and path arrived.
func (s *qkServer) count(method, path string) int {
	n := 0
	for _, r := range s.log() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// calls renders the requests received as "METHOD /path", with a filter
// when there is one.
func (s *qkServer) calls() []string {
	var out []string
	for _, r := range s.log() {
		c := r.Method + " " + r.Path
		if f := r.Query.Get("filter"); f != "" {
			c += " " + f
		}
		out = append(out, c)
	}
	return out
}

func (s *qkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, qkRequest{r.Method, r.URL.Path, r.URL.Query(), string(body)})
	if r.Header.Get("Authorization") != "Bearer "+qkToken {
		s.fail(w, http.StatusUnauthorized, "", "bad credentials")
		return
	}
	switch p := r.URL.Path; {
	case p == "/ServiceProviderConfig" && r.Method == http.MethodGet:
		supported := json.RawMessage(cmpOr(s.patchSupported, "true"))
		s.write(w, http.StatusOK, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
			"patch":   map[string]any{"supported": supported},
			"filter":  map[string]any{"supported": true, "maxResults": 100},
		})
	case p == "/Users" && r.Method == http.MethodGet:
		s.listUsers(w, r)
	case p == "/Groups" && r.Method == http.MethodGet:
		s.list(w, r)
	case p == "/Groups" && r.Method == http.MethodPost:
		s.post(w, body)
	case strings.HasPrefix(p, "/Groups/"):
		id := strings.TrimPrefix(p, "/Groups/")
		i := slices.IndexFunc(s.groups, func(g *qkGroup) bool { return g.ID == id })
		if i < 0 {
			s.fail(w, http.StatusNotFound, "", "group "+id+" not found")
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.write(w, http.StatusOK, s.resource(s.groups[i], true))
		case http.MethodPatch:
			s.patch(w, s.groups[i], body)
		case http.MethodPut:
			s.put(w, s.groups[i], body)
		case http.MethodDelete:
			s.groups = slices.Delete(s.groups, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		default:
			s.fail(w, http.StatusMethodNotAllowed, "", "")
		}
	default:
		s.fail(w, http.StatusNotFound, "", "no such endpoint")
	}
}

func (s *qkServer) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers a SCIM error whose status is a string, without scimType when
// it has none.
func (s *qkServer) fail(w http.ResponseWriter, status int, scimType, detail string) {
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		body["scimType"] = scimType
	}
	s.write(w, status, body)
}

func (s *qkServer) resource(g *qkGroup, members bool) map[string]any {
	out := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"id":          g.ID,
		"displayName": g.Name,
		"meta":        map[string]any{"resourceType": "Group", "location": s.url + "/Groups/" + g.ID},
	}
	if g.ExternalID != "" {
		out["externalId"] = g.ExternalID
	}
	if members && !s.noMembers {
		ms := []map[string]string{}
		for _, m := range g.Members {
			ms = append(ms, map[string]string{"value": m, "display": "user " + m})
		}
		out["members"] = ms
	}
	return out
}

var qkFilter = regexp.MustCompile(`^(\w+) eq (".*")$`)

// qkParseFilter reads `attr eq "value"`, the only filter the server knows.
func qkParseFilter(f string) (attr, value string, ok bool) {
	m := qkFilter.FindStringSubmatch(f)
	if m == nil || json.Unmarshal([]byte(m[2]), &value) != nil {
		return "", "", false
	}
	return m[1], value, true
}

func (s *qkServer) sameName(a, b string) bool {
	return a == b || s.foldNames && strings.EqualFold(a, b)
}

func (s *qkServer) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var match []*qkGroup
	attr, value, ok := "", "", true
	if f := q.Get("filter"); f != "" {
		attr, value, ok = qkParseFilter(f)
	}
	for _, g := range s.groups {
		switch attr {
		case "":
		case "displayName":
			if !s.sameName(g.Name, value) {
				continue
			}
		case "externalId":
			if g.ExternalID != value {
				continue
			}
		default:
			ok = false
		}
		match = append(match, g)
	}
	if !ok {
		s.fail(w, http.StatusBadRequest, "invalidFilter", "unsupported filter")
		return
	}
	start, err := strconv.Atoi(cmpOr(q.Get("startIndex"), "1"))
	if err != nil || start < 1 {
		start = 1
	}
	count, err := strconv.Atoi(cmpOr(q.Get("count"), "100"))
	if err != nil || count < 0 {
		count = 100
	}
	from := min(start-1, len(match))
	to := min(from+count, len(match))
	if s.pages != nil { // end the page where the server's page ends
		end := 0
		for _, n := range s.pages {
			if end += n; end > from {
				to = min(to, end)
				break
			}
		}
	}
	members := !strings.Contains(q.Get("excludedAttributes"), "members")
	res := []map[string]any{}
	for _, g := range match[from:to] {
		res = append(res, s.resource(g, members))
	}
	var total any = len(match)
	if s.totalAsString {
		total = strconv.Itoa(len(match))
	}
	s.write(w, http.StatusOK, map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": total,
		"itemsPerPage": qkOr(s.itemsPerPage, len(res)),
		"startIndex":   start,
		"Resources":    res,
	})
}

func (s *qkServer) listUsers(w http.ResponseWriter, r *http.Request) {
	attr, value, ok := qkParseFilter(r.URL.Query().Get("filter"))
	if !ok || attr != "userName" {
		s.fail(w, http.StatusBadRequest, "invalidFilter", "unsupported filter")
		return
	}
	res := []map[string]any{}
	for name, id := range s.users {
		if strings.EqualFold(name, value) { // userName is caseExact false
			res = append(res, map[string]any{"id": id, "userName": name})
		}
	}
	s.write(w, http.StatusOK, map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": len(res), "Resources": res,
	})
}

// qkBody is a group as a POST or PUT sends it.
type qkBody struct {
	DisplayName *string `json:"displayName"`
	ExternalID  *string `json:"externalId"`
	Members     *[]struct {
		Value string `json:"value"`
	} `json:"members"`
}

func (b qkBody) values() []string {
	if b.Members == nil {
		return nil
	}
	var out []string
	for _, m := range *b.Members {
		out = append(out, m.Value)
	}
	return out
}

// refused returns the values of vs the server does not know.
func (s *qkServer) refused(vs []string) []string {
	var out []string
	for _, v := range vs {
		if s.known != nil && !s.known[v] {
			out = append(out, v)
		}
	}
	return out
}

// taken reports whether another group than id holds name.
func (s *qkServer) taken(name, id string) bool {
	return slices.ContainsFunc(s.groups, func(g *qkGroup) bool { return g.ID != id && s.sameName(g.Name, name) })
}

func (s *qkServer) post(w http.ResponseWriter, body []byte) {
	var b qkBody
	if json.Unmarshal(body, &b) != nil || b.DisplayName == nil {
		s.fail(w, http.StatusBadRequest, "invalidSyntax", "displayName is required")
		return
	}
	if s.taken(*b.DisplayName, "") {
		s.fail(w, http.StatusConflict, "uniqueness", "a group of that name exists")
		return
	}
	if bad := s.refused(b.values()); len(bad) > 0 {
		s.fail(w, http.StatusBadRequest, "invalidValue", "unknown users "+strings.Join(bad, ", "))
		return
	}
	s.next++
	g := &qkGroup{ID: fmt.Sprintf("g%d", s.next), Name: *b.DisplayName, Members: slices.Compact(slices.Sorted(slices.Values(b.values())))}
	if b.ExternalID != nil {
		g.ExternalID = *b.ExternalID
	}
	s.groups = append(s.groups, g)
	switch s.create {
	case "empty":
		w.WriteHeader(http.StatusCreated)
	case "no location":
		s.write(w, http.StatusCreated, s.resource(g, true))
	default:
		w.Header().Set("Location", s.url+"/Groups/"+g.ID)
		s.write(w, http.StatusCreated, s.resource(g, true))
	}
}

func (s *qkServer) put(w http.ResponseWriter, g *qkGroup, body []byte) {
	var b qkBody
	if json.Unmarshal(body, &b) != nil || b.DisplayName == nil {
		s.fail(w, http.StatusBadRequest, "invalidSyntax", "displayName is required")
		return
	}
	if *b.DisplayName != g.Name && s.taken(*b.DisplayName, g.ID) {
		s.fail(w, http.StatusConflict, "uniqueness", "a group of that name exists")
		return
	}
	if bad := s.refused(b.values()); len(bad) > 0 {
		s.fail(w, http.StatusBadRequest, "invalidValue", "unknown users "+strings.Join(bad, ", "))
		return
	}
	g.Name = *b.DisplayName
	if b.ExternalID != nil {
		g.ExternalID = *b.ExternalID
	}
	g.Members = slices.Compact(slices.Sorted(slices.Values(b.values())))
	s.write(w, http.StatusOK, s.resource(g, true))
}

var qkMemberPath = regexp.MustCompile(`^members\[value eq (".*")\]$`)

// patch applies every operation or none, and answers 204 with no body.
func (s *qkServer) patch(w http.ResponseWriter, g *qkGroup, body []byte) {
	if sp := strings.ToLower(cmpOr(s.patchSupported, "true")); !strings.Contains(sp, "true") {
		s.fail(w, http.StatusNotImplemented, "", "PATCH is not supported")
		return
	}
	var req struct {
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, "invalidSyntax", err.Error())
		return
	}
	c := *g
	c.Members = slices.Clone(g.Members)
	var added []string
	add := func(vs []string) {
		added = append(added, vs...)
		for _, v := range vs {
			if s.duplicates || !slices.Contains(c.Members, v) {
				c.Members = append(c.Members, v)
			}
		}
	}
	values := func(raw json.RawMessage) ([]string, bool) {
		var ms []struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(raw, &ms) != nil {
			return nil, false
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Value)
		}
		return out, true
	}
	for _, op := range req.Operations {
		var ok bool
		switch o := strings.ToLower(op.Op); {
		case op.Path == "displayName" && o == "replace":
			ok = json.Unmarshal(op.Value, &c.Name) == nil
		case op.Path == "externalId" && (o == "replace" || o == "add"):
			ok = json.Unmarshal(op.Value, &c.ExternalID) == nil
		case op.Path == "members" && o == "add":
			var vs []string
			if vs, ok = values(op.Value); ok {
				add(vs)
			}
		case op.Path == "members" && o == "replace":
			var vs []string
			if vs, ok = values(op.Value); ok {
				c.Members = nil
				add(vs)
			}
		case o == "remove" && qkMemberPath.MatchString(op.Path):
			var v string
			ok = json.Unmarshal([]byte(qkMemberPath.FindStringSubmatch(op.Path)[1]), &v) == nil
			c.Members = slices.DeleteFunc(c.Members, func(m string) bool { return m == v })
		}
		if !ok {
			s.fail(w, http.StatusBadRequest, "invalidPath", "unsupported operation "+op.Op+" "+op.Path)
			return
		}
	}
	if c.Name != g.Name && s.taken(c.Name, g.ID) {
		s.fail(w, http.StatusConflict, "uniqueness", "a group of that name exists")
		return
	}
	if bad := s.refused(added); len(bad) > 0 {
		s.fail(w, http.StatusBadRequest, "invalidValue", "unknown users "+strings.Join(bad, ", "))
		return
	}
	*g = c
	w.WriteHeader(http.StatusNoContent)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func qkOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// qkMembers returns g's members as a sorted set, for comparisons that do
// not care about order or duplicates.
func qkMembers(g qkGroup) []string {
	return group.NewMembers(g.Members...).Slice()
}

// Many servers answer a PATCH with 204 and no body, also a no-op one (an
// add of a present member): the client takes it as done.
func TestQuirkPatchAnsweredNoContent(t *testing.T) {
	s := newQkServer(t, nil)
	id := s.seed(qkGroup{Name: "Eng", Members: []string{"u1"}})
	c := s.client(t, scimclient.Options{})
	ctx := context.Background()
	changes := []struct {
		name   string
		ch     groupsync.Change
		reason string
	}{
		{"R14 add of a present member", groupsync.Change{Add: []string{"u1"}},
			"a no-op answered 204 with no body is done: R14 counts an add of a present member as done"},
		{"add with the same name", groupsync.Change{Add: []string{"u2"}, Name: "Eng"},
			"a real change answered 204 with no body is done too: the client needs nothing back from a PATCH"},
	}
	tabletest.Check(t, changes)
	for _, tt := range changes {
		if err := c.Update(ctx, id, tt.ch); err != nil {
			t.Fatalf("%s: Update(%+v): %v, want a 204 with no body taken as done (%s)", tt.name, tt.ch, err, tt.reason)
		}
	}
	want := []qkGroup{{ID: id, Name: "Eng", Members: []string{"u1", "u2"}}}
	if d := cmp.Diff(want, s.state()); d != "" {
		t.Errorf("server (-want +got):\n%s", d)
	}
}

// A create answered 201 without a Location header (the URL only in
// meta.location) or with no body at all: the client reads the id from the
// body, or, with no body, finds the group by its externalId.
func TestQuirkCreateAnswers(t *testing.T) {
	tests := []struct {
		name, create, reason string
		wantCalls            []string
	}{
		{"no Location header", "no location", "a 201 without Location still carries the group: its id is read from the body, with no second request",
			[]string{"POST /Groups"}},
		{"empty body", "empty", "a 201 with no body says nothing of the id, and the externalId the client just sent finds the group",
			[]string{"POST /Groups", `GET /Groups externalId eq "00g1"`}},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newQkServer(t, func(s *qkServer) { s.create = tt.create })
			s.seed(qkGroup{Name: "Other", ExternalID: "00g9"})
			c := s.client(t, scimclient.Options{})
			got, err := c.Create(context.Background(), groupsync.Change{ExternalID: "00g1", Name: "Eng", Add: []string{"u1"}})
			if err != nil {
				t.Fatalf("Create: %v (%s)", err, tt.reason)
			}
			want := groupsync.TargetGroup{ID: "g2", ExternalID: "00g1", Name: "Eng", Origin: origin.Source}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Create (-want +got), %s:\n%s", tt.reason, d)
			}
			if d := cmp.Diff(tt.wantCalls, s.calls()); d != "" {
				t.Errorf("requests (-want +got):\n%s", d)
			}
		})
	}
}

// Error bodies whose status is a string, without scimType, or not SCIM at
// all: the client takes the status from the HTTP answer and maps it to the
// sync package's errors all the same.
func TestQuirkErrorBodies(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		call   func(context.Context, *scimclient.Client) error
		want   scimclient.HTTPError
		is     error
		reason string
	}{
		{"404 string status, no scimType", 404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no group"}`,
			func(ctx context.Context, c *scimclient.Client) error { _, err := c.Get(ctx, "g1"); return err },
			scimclient.HTTPError{Method: "GET", Path: "/Groups/g1", Status: 404, Detail: "no group"}, groupsync.ErrNotFound,
			"RFC 7644 writes status as a string and scimType is optional: the status comes from the HTTP answer, and a 404 is ErrNotFound"},
		{"409 string status", 409, `{"status":"409","scimType":"uniqueness","detail":"name taken"}`,
			func(ctx context.Context, c *scimclient.Client) error {
				return c.Update(ctx, "g1", groupsync.Change{Name: "Ops"})
			},
			scimclient.HTTPError{Method: "PATCH", Path: "/Groups/g1", Status: 409, ScimType: "uniqueness", Detail: "name taken"}, groupsync.ErrConflict,
			"a body without the Error schema is still read for its scimType and detail, and a 409 is ErrConflict (R5, R14 act on it)"},
		{"R7 400 mutability, string status", 400, `{"status":"400","scimType":"mutability","detail":"managed in the app"}`,
			func(ctx context.Context, c *scimclient.Client) error { return c.Delete(ctx, "g1") },
			scimclient.HTTPError{Method: "DELETE", Path: "/Groups/g1", Status: 400, ScimType: "mutability", Detail: "managed in the app"}, origin.ErrReadOnly,
			"R7: the client maps a 400 mutability answer to ErrReadOnly"},
		{"R8 400 without scimType on a member change", 400, `{"status":"400","detail":"user u9 does not exist"}`,
			func(ctx context.Context, c *scimclient.Client) error {
				return c.Update(ctx, "g1", groupsync.Change{Add: []string{"u9"}})
			},
			scimclient.HTTPError{Method: "PATCH", Path: "/Groups/g1", Status: 400, Detail: "user u9 does not exist"}, groupsync.ErrMemberRefused,
			"R8: a 400 on a request that carried members may be a refused member, so the applier retries member by member; no scimType is needed"},
		{"401 string status", 401, `{"status":"401","detail":"expired token"}`,
			func(ctx context.Context, c *scimclient.Client) error { return c.Delete(ctx, "g1") },
			scimclient.HTTPError{Method: "DELETE", Path: "/Groups/g1", Status: 401, Detail: "expired token"}, groupsync.ErrNotConnected,
			"R1: credentials that stop working mean the target is no longer connected, whatever the body looks like"},
		{"400 from a proxy, in HTML", 400, `<html><body>Bad Request</body></html>`,
			func(ctx context.Context, c *scimclient.Client) error { return c.Delete(ctx, "g1") },
			scimclient.HTTPError{Method: "DELETE", Path: "/Groups/g1", Status: 400}, nil,
			"a proxy's HTML page is no SCIM error: the client keeps the HTTP status, invents no detail, and a 400 without members maps to no sentinel"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/ServiceProviderConfig" {
					_, _ = io.WriteString(w, `{"patch":{"supported":true}}`)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer ts.Close()
			c, err := scimclient.New(ts.URL, scimclient.Options{Auth: scimclient.Bearer(qkToken)})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(context.Background(), c)
			var he *scimclient.HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want an *HTTPError", err)
			}
			if d := cmp.Diff(tt.want, *he); d != "" {
				t.Errorf("HTTPError (-want +got), %s:\n%s", tt.reason, d)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want it to wrap %v (%s)", err, tt.is, tt.reason)
			}
		})
	}
}

// Some servers append a duplicate when a present member is added; a client
// must not rely on the server to de-duplicate. Get returns each member
// once, and a push that associates with such a group, then a force sync,
// see the set, so they converge.
func TestQuirkDuplicateMembers(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.duplicates = true })
	id := s.seed(qkGroup{Name: "Eng", Members: []string{"u1", "u2"}})
	c := s.client(t, scimclient.Options{})
	ctx := context.Background()
	if err := c.Update(ctx, id, groupsync.Change{Add: []string{"u1", "u3"}}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"u1", "u2", "u1", "u3"}, s.state()[0].Members); d != "" {
		t.Fatalf("the server should have kept the duplicate (-want +got):\n%s", d)
	}
	got, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := groupsync.TargetGroup{ID: id, Name: "Eng", Members: group.NewMembers("u1", "u2", "u3"), MembersRead: true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Get (-want +got):\n%s", d)
	}

	a := &groupsync.Applier{Target: c, Store: &groupsync.MemStore{}}
	in := groupsync.Input{Desired: []groupsync.SourceGroup{{ID: "00g1", Name: "Eng", Members: []string{"u1", "u2", "u3", "u4"}}}}
	p, _, err := a.Sync(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	wantOps := []groupsync.Op{{Kind: groupsync.OpLink, ExternalID: "00g1", ByName: true},
		{Kind: groupsync.OpAddMembers, Members: []string{"u4"}}}
	if d := cmp.Diff(wantOps, p.Groups[0].Ops); d != "" {
		t.Errorf("association (-want +got):\n%s", d)
	}
	in.Force = true
	if p, err := a.Plan(ctx, in); err != nil || p.Len() != 0 {
		t.Errorf("force plan: %v, %d operations, want none:\n%s", err, p.Len(), p)
	}
}

// R5, R6, R14: a create answered 409 is resolved by an exact-name lookup,
// whatever the server's filter does with case (the client re-checks byte
// equality of every result): no byte-equal group is a
// near duplicate (R6); a byte-equal group linked to another externalId is
// a conflict (R5); two are ambiguous (R5); one unlinked, or linked to this
// very source group by an earlier create whose answer was lost (R14), is
// taken over: externalId set, members replaced.
func TestR5QuirkConflictOnCreate(t *testing.T) {
	tests := []struct {
		name, reason string
		seed         []qkGroup
		wantErr      error
		want         groupsync.TargetGroup // when no error
		wantState    []qkGroup
		wantPatches  int
	}{
		{
			name:      "R6 409 with no byte-equal group",
			reason:    "the server's filter found only leadership, which is not Leadership",
			seed:      []qkGroup{{Name: "leadership", Members: []string{"u7"}}},
			wantErr:   groupsync.ErrNearDuplicate,
			wantState: []qkGroup{{ID: "g1", Name: "leadership", Members: []string{"u7"}}},
		},
		{
			name:      "R5 409 with the byte-equal group linked elsewhere",
			reason:    "a group linked to another source group is never taken over",
			seed:      []qkGroup{{Name: "Leadership", ExternalID: "00gX", Members: []string{"u7"}}},
			wantErr:   groupsync.ErrConflict,
			wantState: []qkGroup{{ID: "g1", Name: "Leadership", ExternalID: "00gX", Members: []string{"u7"}}},
		},
		{
			name:    "R5 409 with two byte-equal groups",
			reason:  "nothing is written when the name is ambiguous",
			seed:    []qkGroup{{Name: "Leadership", Members: []string{"u7"}}, {Name: "Leadership"}},
			wantErr: groupsync.ErrAmbiguousName,
			wantState: []qkGroup{{ID: "g1", Name: "Leadership", Members: []string{"u7"}},
				{ID: "g2", Name: "Leadership"}},
		},
		{
			name:   "R5 409 with one byte-equal unlinked group",
			reason: "the group of the exact name is taken over, not the one that differs in case",
			seed:   []qkGroup{{Name: "LEADERSHIP", Members: []string{"u8"}}, {Name: "Leadership", Members: []string{"u7"}}},
			want:   groupsync.TargetGroup{ID: "g2", ExternalID: "00g1", Name: "Leadership"},
			wantState: []qkGroup{{ID: "g1", Name: "LEADERSHIP", Members: []string{"u8"}},
				{ID: "g2", Name: "Leadership", ExternalID: "00g1", Members: []string{"u1", "u2"}}},
			wantPatches: 1,
		},
		{
			name:        "R14 409 with the group an earlier create made",
			reason:      "a create that answers 409 for the same name and externalId counts as done",
			seed:        []qkGroup{{Name: "Leadership", ExternalID: "00g1", Members: []string{"u1"}}},
			want:        groupsync.TargetGroup{ID: "g1", ExternalID: "00g1", Name: "Leadership"},
			wantState:   []qkGroup{{ID: "g1", Name: "Leadership", ExternalID: "00g1", Members: []string{"u1", "u2"}}},
			wantPatches: 1,
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newQkServer(t, func(s *qkServer) { s.foldNames = true })
			for _, g := range tt.seed {
				s.seed(g)
			}
			c := s.client(t, scimclient.Options{})
			got, err := c.Create(context.Background(), groupsync.Change{ExternalID: "00g1", Name: "Leadership", Add: []string{"u1", "u2"}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Create = %v, want %v (%s)", err, tt.wantErr, tt.reason)
			}
			if tt.wantErr == nil {
				// The server does not say who created the group.
				if d := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(groupsync.TargetGroup{}, "Origin")); d != "" {
					t.Errorf("Create (-want +got), %s:\n%s", tt.reason, d)
				}
			}
			state := s.state()
			for i := range state {
				state[i].Members = qkMembers(state[i])
			}
			if d := cmp.Diff(tt.wantState, state, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("server (-want +got), %s:\n%s", tt.reason, d)
			}
			patches := 0
			for _, r := range s.log() {
				if r.Method == http.MethodPatch || r.Method == http.MethodPut {
					patches++
				}
			}
			if patches != tt.wantPatches {
				t.Errorf("got %d writes after the 409, want %d", patches, tt.wantPatches)
			}
		})
	}
}

// R6, R15: through an applier, a push of "Leadership" to a server holding
// "leadership" (whose names are unique regardless of case) is flagged as a
// near duplicate, its create answers 409, and the group fails with an error
// wrapping ErrNearDuplicate while the other groups are pushed.
func TestR6QuirkConflictFailsTheGroupOnly(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.foldNames = true })
	s.seed(qkGroup{Name: "leadership", Members: []string{"u7"}})
	a := &groupsync.Applier{Target: s.client(t, scimclient.Options{}), Store: &groupsync.MemStore{}}
	in := groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: "00g1", Name: "Leadership", Members: []string{"u1"}},
		{ID: "00g2", Name: "Eng", Members: []string{"u2"}},
	}}
	p, statuses, err := a.Sync(context.Background(), in)
	var ge *groupsync.GroupError
	if !errors.As(err, &ge) || ge.SourceID != "00g1" || !errors.Is(err, groupsync.ErrNearDuplicate) {
		t.Fatalf("Sync = %v, want a GroupError of 00g1 wrapping ErrNearDuplicate", err)
	}
	if d := cmp.Diff(map[string]groupsync.Outcome{"00g1": groupsync.Failed, "00g2": groupsync.Created}, fltOutcomes(statuses)); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if !slices.ContainsFunc(p.Findings, func(f groupsync.Finding) bool {
		return f.Kind == groupsync.NearDuplicate && f.SourceID == "00g1"
	}) {
		t.Errorf("the plan does not flag the near duplicate:\n%s", p)
	}
	want := []qkGroup{{ID: "g1", Name: "leadership", Members: []string{"u7"}},
		{ID: "g2", Name: "Eng", ExternalID: "00g2", Members: []string{"u2"}}}
	if d := cmp.Diff(want, s.state()); d != "" {
		t.Errorf("server (-want +got):\n%s", d)
	}
}

// R11: a server that returns no members (AWS) gives groups with MembersRead
// false; a force sync re-sends every desired member as an add, removes
// nothing, and the plan reports the membership unreadable.
func TestR11QuirkMembersNotReturned(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.noMembers = true })
	c := s.client(t, scimclient.Options{})
	a := &groupsync.Applier{Target: c, Store: &groupsync.MemStore{}}
	ctx := context.Background()
	in := groupsync.Input{Desired: []groupsync.SourceGroup{{ID: "00g1", Name: "Eng", Members: []string{"u1", "u2"}}}}
	if _, _, err := a.Sync(ctx, in); err != nil {
		t.Fatal(err)
	}
	g, err := c.Get(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(groupsync.TargetGroup{ID: "g1", ExternalID: "00g1", Name: "Eng"}, g); d != "" {
		t.Errorf("Get (-want +got):\n%s", d)
	}

	in = groupsync.Input{Force: true, Desired: []groupsync.SourceGroup{{ID: "00g1", Name: "Eng", Members: []string{"u1", "u3"}}}}
	p, _, err := a.Sync(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]groupsync.Op{{Kind: groupsync.OpAddMembers, Members: []string{"u1", "u3"}}}, p.Groups[0].Ops); d != "" {
		t.Errorf("force sync operations (-want +got):\n%s", d)
	}
	if !slices.ContainsFunc(p.Findings, func(f groupsync.Finding) bool {
		return f.Kind == groupsync.MembershipUnreadable && f.SourceID == "00g1"
	}) {
		t.Errorf("the plan does not report the membership unreadable:\n%s", p)
	}
	want := []qkGroup{{ID: "g1", Name: "Eng", ExternalID: "00g1", Members: []string{"u1", "u2", "u3"}}}
	if d := cmp.Diff(want, s.state()); d != "" {
		t.Errorf("server, u2 not removed since it could not be seen (-want +got):\n%s", d)
	}
}

// Where the ServiceProviderConfig says patch.supported is false (as a
// boolean or a string), Update reads the group and PUTs it whole: the
// full member list, the name, the externalId kept. It sends no PATCH and
// reads the ServiceProviderConfig once.
func TestQuirkPatchUnsupported(t *testing.T) {
	for _, supported := range []string{`false`, `"false"`, `"False"`} {
		t.Run("supported "+supported, func(t *testing.T) {
			s := newQkServer(t, func(s *qkServer) { s.patchSupported = supported })
			id := s.seed(qkGroup{Name: "Eng", ExternalID: "00g1", Members: []string{"u1", "u2"}})
			c := s.client(t, scimclient.Options{})
			ctx := context.Background()
			if err := c.Update(ctx, id, groupsync.Change{Name: "Engineering", Remove: []string{"u1"}, Add: []string{"u3"}}); err != nil {
				t.Fatal(err)
			}
			if err := c.Update(ctx, id, groupsync.Change{Add: []string{"u4"}}); err != nil {
				t.Fatal(err)
			}
			want := []qkGroup{{ID: id, Name: "Engineering", ExternalID: "00g1", Members: []string{"u2", "u3", "u4"}}}
			if d := cmp.Diff(want, s.state()); d != "" {
				t.Errorf("server (-want +got):\n%s", d)
			}
			wantCalls := []string{"GET /ServiceProviderConfig", "GET /Groups/g1", "PUT /Groups/g1", "GET /Groups/g1", "PUT /Groups/g1"}
			if d := cmp.Diff(wantCalls, s.calls()); d != "" {
				t.Errorf("requests (-want +got):\n%s", d)
			}
		})
	}
}

// R5 with a server without PATCH: a create answered 409 takes the exact-name
// group over with the PUT fallback too, never with a PATCH.
func TestR5QuirkTakeOverWithoutPatch(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.patchSupported = "false" })
	s.seed(qkGroup{Name: "Leadership", Members: []string{"u7"}})
	c := s.client(t, scimclient.Options{})
	got, err := c.Create(context.Background(), groupsync.Change{ExternalID: "00g1", Name: "Leadership", Add: []string{"u1"}})
	if err != nil {
		t.Fatalf("Create: %v, want the group taken over", err)
	}
	if got.ID != "g1" {
		t.Errorf("Create returned %s, want g1", got.ID)
	}
	want := []qkGroup{{ID: "g1", Name: "Leadership", ExternalID: "00g1", Members: []string{"u1"}}}
	if d := cmp.Diff(want, s.state()); d != "" {
		t.Errorf("server (-want +got):\n%s", d)
	}
	if n := s.count(http.MethodPatch, "/Groups/g1"); n != 0 {
		t.Errorf("got %d PATCH requests to a server without PATCH, want 0; requests:\n%s", n, strings.Join(s.calls(), "\n"))
	}
}

// R8: a server that refuses an unknown member with 400 invalidValue applies
// nothing of the request; Update says so with ErrMemberRefused. Through an
// applier the group goes on: the refused member is skipped and reported in
// Status.Refused, the others are pushed, and the run does not fail.
func TestR8QuirkRefusedMember(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.known = map[string]bool{"u1": true, "u2": true, "u3": true} })
	c := s.client(t, scimclient.Options{})
	ctx := context.Background()

	id := s.seed(qkGroup{Name: "Ops", Members: []string{"u1"}})
	err := c.Update(ctx, id, groupsync.Change{Remove: []string{"u1"}, Add: []string{"u2", "ghost"}})
	if !errors.Is(err, groupsync.ErrMemberRefused) {
		t.Errorf("Update = %v, want ErrMemberRefused", err)
	}
	if d := cmp.Diff([]string{"u1"}, s.state()[0].Members); d != "" {
		t.Errorf("the refused request changed the group (-want +got):\n%s", d)
	}

	a := &groupsync.Applier{Target: c, Store: &groupsync.MemStore{}}
	in := groupsync.Input{Desired: []groupsync.SourceGroup{{ID: "00g1", Name: "Eng", Members: []string{"u1", "ghost", "u3"}}}}
	_, statuses, err := a.Sync(ctx, in)
	if err != nil {
		t.Fatalf("Sync: %v, want the group to go on", err)
	}
	if len(statuses) != 1 || statuses[0].Outcome != groupsync.Created {
		t.Fatalf("statuses %+v, want Eng created", statuses)
	}
	if d := cmp.Diff([]string{"ghost"}, statuses[0].Refused); d != "" {
		t.Errorf("refused (-want +got):\n%s", d)
	}
	// ghost leaves the source, u2 and the unknown phantom join.
	in.Desired[0].Members = []string{"u1", "u2", "u3", "phantom"}
	_, statuses, err = a.Sync(ctx, in)
	if err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	if len(statuses) != 1 || statuses[0].Outcome != groupsync.Updated {
		t.Fatalf("statuses %+v, want Eng updated", statuses)
	}
	if d := cmp.Diff([]string{"phantom"}, statuses[0].Refused); d != "" {
		t.Errorf("refused (-want +got):\n%s", d)
	}
	want := []qkGroup{{ID: id, Name: "Ops", Members: []string{"u1"}},
		{ID: "g2", Name: "Eng", ExternalID: "00g1", Members: []string{"u1", "u2", "u3"}}}
	for i := range want {
		want[i].Members = qkMembers(want[i])
	}
	state := s.state()
	for i := range state {
		state[i].Members = qkMembers(state[i])
	}
	if d := cmp.Diff(want, state); d != "" {
		t.Errorf("server (-want +got):\n%s", d)
	}
}

// List pages by totalResults and the resources received, never by
// itemsPerPage: a server that reports a wrong itemsPerPage and ends pages
// early, at varying sizes, still has every group listed exactly once, in
// one request per page; a totalResults given as a string works too.
func TestQuirkPaging(t *testing.T) {
	tests := []struct {
		name     string
		pageSize int
		setup    func(*qkServer)
		reason   string
	}{
		{"short pages, itemsPerPage 100", 0, func(s *qkServer) { s.pages, s.itemsPerPage = []int{5, 3, 7, 2, 6}, 100 },
			"moving by itemsPerPage would skip all but the first page"},
		{"short pages, itemsPerPage 1", 0, func(s *qkServer) { s.pages, s.itemsPerPage = []int{5, 3, 7, 2, 6}, 1 },
			"moving by itemsPerPage would ask for every group again"},
		{"pages smaller than the client's", 4, func(s *qkServer) { s.pages, s.itemsPerPage = []int{5, 3, 7, 2, 6}, 7 },
			"a short page before the end is not the end"},
		{"totalResults as a string", 10, func(s *qkServer) { s.totalAsString = true },
			`some servers send totalResults as a JSON string; "23" still means 23 groups`},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newQkServer(t, tt.setup)
			var want []string
			for i := range 23 {
				s.seed(qkGroup{Name: fmt.Sprintf("G%02d", i)})
				want = append(want, fmt.Sprintf("g%d", i+1))
			}
			got, err := s.client(t, scimclient.Options{PageSize: tt.pageSize}).List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if d := cmp.Diff(want, ids); d != "" {
				t.Errorf("List (-want +got), %s:\n%s", tt.reason, d)
			}
			// The pages the server serves: up to the page size, ending
			// early where its own pages end.
			pages, from, ends := 0, 0, []int{}
			probe := &qkServer{}
			tt.setup(probe)
			for cum, i := 0, 0; i < len(probe.pages); i++ {
				cum += probe.pages[i]
				ends = append(ends, cum)
			}
			for from < 23 {
				end := min(from+qkOr(tt.pageSize, 100), 23)
				if i := slices.IndexFunc(ends, func(e int) bool { return e > from }); i >= 0 {
					end = min(end, ends[i])
				}
				from, pages = end, pages+1
			}
			if got := s.count(http.MethodGet, "/Groups"); got != 1+pages {
				t.Errorf("got %d list requests, want the check and %d pages", got, pages)
			}
		})
	}
}

// ResolveUsers maps user names to ids by GET /Users?filter=userName eq "…":
// names the target does not know are left out, each distinct name is asked
// once per call, and nothing is kept between calls (no cache to grow or go
// stale).
func TestQuirkResolveUsers(t *testing.T) {
	s := newQkServer(t, func(s *qkServer) { s.users = map[string]string{"alice@example.com": "u1", "Bob@example.com": "u2"} })
	c := s.client(t, scimclient.Options{})
	ctx := context.Background()
	names := []string{"alice@example.com", "bob@example.com", "nobody@example.com", "alice@example.com"}
	want := map[string]string{"alice@example.com": "u1", "bob@example.com": "u2"}
	got, err := c.ResolveUsers(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ResolveUsers (-want +got):\n%s", d)
	}
	wantCalls := []string{
		`GET /Users userName eq "alice@example.com"`,
		`GET /Users userName eq "bob@example.com"`,
		`GET /Users userName eq "nobody@example.com"`,
	}
	if d := cmp.Diff(wantCalls, s.calls()); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
	got, err = c.ResolveUsers(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("second ResolveUsers (-want +got):\n%s", d)
	}
	// A second call asks again: users may have been provisioned, renamed
	// or deleted since.
	wantCalls = append(wantCalls, wantCalls...)
	if d := cmp.Diff(wantCalls, s.calls()); d != "" {
		t.Errorf("requests after the second call (-want +got):\n%s", d)
	}
}
