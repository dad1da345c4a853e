package scimx

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// FuzzFastPath is the fast path's differential test. On every input, as a
// PATCH path and as a filter, the fast path either declines it or builds
// the very tree filter-parser builds. When it takes the input, the same
// requests (a PATCH with that path in one of several operations, and a
// list with that filter) go over HTTP to two services of the same state,
// one with the fast path and one without (every request parsed by the
// elimity server, as before), and they must give the same answers, byte
// for byte and header for header, and leave the same groups.
func FuzzFastPath(f *testing.F) {
	for _, s := range []string{
		`members[value eq "u1"]`, `members`, `displayName`, `externalId`, `members[value EQ "u2"]`,
		`members [ value eq "u1" ]`, `members[value eq "a\"b"]`, `members[value eq "\u00E9"]`,
		`members[value eq "\u00e9"]`, `members[value ne "u1"]`, `members[type eq "User"]`, `members[foo eq "x"]`,
		`displayName eq "Engineering"`, `displayName eq "engineering"`, `externalId eq "00g1"`, `id eq "g1"`,
		`members eq "u1"`, `id eq "g1" and members eq "u1"`, `id eq "g2" and members[value eq "u3"] and externalId eq "x"`,
		`displayName sw "Eng"`, `groupType eq "Teams"`, `origin eq "source"`, `foo eq "x"`, `emails[value eq "x"]`,
		`members[value eq "u1"].display`, `displayName pr`, `not eq "x"`, `id`, `schemas`, `meta`, `foo`,
		`displayName eq "` + strings.Repeat("x", 300) + `"`, `members[value eq "R&D"]`, "displayName eq \"\xff\"",
	} {
		for shape := range uint8(fuzzShapes) {
			f.Add(s, shape)
		}
	}
	fast, general := newDiffServer(f, true), newDiffServer(f, false)
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, s string, shape uint8) {
		tookPath, tookFilter := checkFastTrees(t, s)
		if !tookPath && !tookFilter {
			return // both services run the same code
		}
		fast.reset(t)
		general.reset(t)
		for _, req := range diffRequests(s, shape) {
			a, b := fast.do(t, client, req), general.do(t, client, req)
			if d := cmp.Diff(b, a); d != "" {
				t.Fatalf("%s %s %s: answers differ (-general +fast):\n%s", req.method, req.path, req.body, d)
			}
		}
		if d := cmp.Diff(general.state(t), fast.state(t)); d != "" {
			t.Fatalf("stored groups differ (-general +fast):\n%s", d)
		}
	})
}

// checkFastTrees checks the fast path's trees for s against filter-parser's
// and reports whether it took s as a path and as a filter.
func checkFastTrees(t *testing.T, s string) (path, filt bool) {
	t.Helper()
	if p, ok := fastPath(s); ok {
		want, err := filter.ParsePath([]byte(s))
		if err != nil {
			t.Fatalf("fastPath takes %q, which filter-parser refuses: %v", s, err)
		}
		if d := cmp.Diff(want, p); d != "" {
			t.Fatalf("path %q (-filter-parser +fast):\n%s", s, d)
		}
		path = true
	}
	if e, ok := fastFilter(s); ok {
		want, err := filter.ParseFilter([]byte(s))
		if err != nil {
			t.Fatalf("fastFilter takes %q, which filter-parser refuses: %v", s, err)
		}
		if d := cmp.Diff(want, e); d != "" {
			t.Fatalf("filter %q (-filter-parser +fast):\n%s", s, d)
		}
		filt = true
	}
	return path, filt
}

// fuzzShapes is the number of operation shapes of diffRequests.
const fuzzShapes = 7

// diffRequest is one request of a differential test, with an If-Match
// header when ifMatch is set.
type diffRequest struct{ method, path, body, ifMatch string }

// diffRequests returns the requests that put s to use: a PATCH of group
// g1 whose operation, by shape, takes s as its path or as a key of its
// value, and a list filtered by s.
func diffRequests(s string, shape uint8) []diffRequest {
	q, _ := json.Marshal(s)
	p := string(q)
	var ops string
	switch shape % fuzzShapes {
	case 0:
		ops = `{"op":"remove","path":` + p + `}`
	case 1:
		ops = `{"op":"add","path":` + p + `,"value":[{"value":"u9","display":"x@example.com"}]}`
	case 2:
		ops = `{"op":"Replace","path":` + p + `,"value":"Renamed"}`
	case 3: // Okta's membership PATCH, with s among the removals
		ops = `{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"remove","path":` + p + `},` +
			`{"op":"add","path":"members","value":[{"value":"u7"},{"value":"u8"}]}`
	case 4: // a path-less value keyed by s, with Okta's id
		ops = `{"op":"replace","value":{"id":"g1",` + p + `:"Renamed"}}`
	case 5: // Entra's remove by value
		ops = `{"op":"Remove","path":` + p + `,"value":[{"$ref":null,"value":"u2"}]}`
	case 6:
		ops = `{"op":"add","path":` + p + `,"value":{"value":"u9"}}`
	}
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	return []diffRequest{
		{method: http.MethodPatch, path: "/v2/Groups/g1", body: body},
		{method: http.MethodPatch, path: "/v2/Groups/g1?attributes=displayName,members", body: body},
		{method: http.MethodGet, path: "/v2/Groups?filter=" + url.QueryEscape(s)},
		{method: http.MethodGet, path: "/v2/Groups?count=1&startIndex=2&filter=" + url.QueryEscape(s)},
	}
}

// diffServer is a service of newServer over HTTP on a store of its own,
// with a fixed clock and ids, so that two of them answer alike.
type diffServer struct {
	store *MemStore
	srv   *httptest.Server
	ids   int
}

func newDiffServer(tb testing.TB, fast bool) *diffServer {
	d := &diffServer{store: &MemStore{}}
	d.store.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	d.store.NewID = func() string { d.ids++; return "g" + strconv.Itoa(d.ids) }
	h, err := newServer(d.store, ServerOptions{Auth: BearerTokens(map[string]string{"token-a": "a"}),
		BaseURL: "https://app.example.com/scim/v2/"}, fast)
	if err != nil {
		tb.Fatal(err)
	}
	d.srv = httptest.NewServer(h)
	tb.Cleanup(d.srv.Close)
	return d
}

// reset gives tenant a its groups afresh: a pushed group g1 linked to
// Okta, an app group g2 and a pushed group g3 holding g2.
func (d *diffServer) reset(t *testing.T) {
	t.Helper()
	err := d.store.Update(context.Background(), "a", func(tx Tx) error {
		recs, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := tx.Delete(r.ID); err != nil {
				return err
			}
		}
		d.ids = 0
		for _, g := range []group.Group{
			{Name: "Engineering", ExternalID: "00g1", Origin: origin.Source, Type: "Departments",
				Members: group.NewMembers("u1", "u2", `a"b`, "é", "R&D")},
			{Name: "Leadership", Origin: origin.Target, Type: "Teams", Members: group.NewMembers("u3")},
			{Name: "Everyone", ExternalID: "00g3", Origin: origin.Source, Type: DefaultType, Members: group.NewMembers("u1", "g2")},
		} {
			if _, err := tx.Create(g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// diffAnswer is what a request's answer says, but for its Date.
type diffAnswer struct {
	Status int
	Header http.Header
	Body   string
}

func (d *diffServer) do(t *testing.T, client *http.Client, r diffRequest) diffAnswer {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, d.srv.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer token-a")
	req.Header.Set("Content-Type", "application/scim+json")
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	res.Header.Del("Date")
	return diffAnswer{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// state returns every group of tenant a with its members.
func (d *diffServer) state(t *testing.T) []Record {
	t.Helper()
	var out []Record
	err := d.store.View(context.Background(), "a", func(tx Tx) error {
		recs, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, r := range recs {
			full, err := tx.Group(r.ID, true)
			if err != nil {
				return err
			}
			out = append(out, full)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
