package scimx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/benchpair"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// The benchmarks of issue 3, section 6: what must not grow with the size of
// a group or of a tenant. Each one drives the whole stack, the middleware
// and the elimity server of [scimx.NewServer] over real HTTP with a bearer
// token, on two servers whose [scimx.MemStore] is filled directly before
// timing: the baseline's, of the smaller size, and the measured one's, 100
// times larger. The two take turns in one loop (see [benchpair.Run]) and the
// result line reports the measured side's time and bytes as multiples of
// the baseline's (x-baseline-time, x-baseline-bytes), beside both sides'
// figures. The client side of each round trip runs in the same process
// and counts in the bytes; it costs the same whatever the size, so the
// ratios are those of the server.
//
// Each benchmark fails when a ratio its target names exceeds ratioTarget,
// the README's target, with no allowance for noise: the sizes differ by
// 100×, so a cost per member or per group shows as a ratio far above the
// target, while noise, which the turns spread over both sides, does not
// come near it. In 15 runs of .ci/bench on a shared 2-core machine, 5 of
// them beside two busy loops, the time ratios stayed between 0.94 and
// 1.01 and the bytes ratios between 0.99 and 1.01.
//
// The README's figures (1,000 vs 100,000 members, 100 vs 10,000 groups):
//
//	go test ./scimx -run '^$' -bench 'PatchOneMember|FilterDisplayName|GetExcludedMembers' -count 6 | tee scimx.txt
//	go run golang.org/x/perf/cmd/benchstat@latest scimx.txt
//
// CI's, with -short (100 vs 10,000 members, 10 vs 1,000 groups; .ci/bench):
//
//	go test ./scimx -run '^$' -bench 'PatchOneMember|FilterDisplayName|GetExcludedMembers' -short

// ratioTarget is the largest ratio of the measured side's figure to the
// baseline's that section 6 allows.
const ratioTarget = 2.0

// benchSizes returns the baseline's and the measured side's size: large,
// or with -short one tenth of it.
func benchSizes(baseline, measured int) (int, int) {
	if testing.Short() {
		return baseline / 10, measured / 10
	}
	return baseline, measured
}

// A one-member PATCH on a group of 100,000 members costs at most 2× what it
// costs on 1,000, in time and in bytes.
func BenchmarkPatchOneMember(b *testing.B) {
	base, big := benchSizes(1000, 100000)
	b.Run(fmt.Sprintf("members=%d/baseline=%d", big, base), func(b *testing.B) {
		baseline, measured := newPatchOneMember(b, base), newPatchOneMember(b, big)
		p := benchpair.Run(b, baseline.call, measured.call, benchpair.Options{})
		baseline.check(b)
		measured.check(b)
		t, by := p.Report(b, "baseline", "measured")
		checkRatio(b, "time", t)
		checkRatio(b, "bytes", by)
	})
}

// GET /Groups?filter=displayName eq … with 10,000 groups in the tenant
// costs at most 2× what it costs with 100, in time.
func BenchmarkFilterDisplayName(b *testing.B) {
	base, big := benchSizes(100, 10000)
	b.Run(fmt.Sprintf("groups=%d/baseline=%d", big, base), func(b *testing.B) {
		baseline, measured := newFilterDisplayName(b, base), newFilterDisplayName(b, big)
		p := benchpair.Run(b, baseline, measured, benchpair.Options{})
		t, _ := p.Report(b, "baseline", "measured")
		checkRatio(b, "time", t)
	})
}

// A read with excludedAttributes=members of a group of 100,000 members
// allocates at most 2× what the same read of 1,000 members allocates.
func BenchmarkGetExcludedMembers(b *testing.B) {
	base, big := benchSizes(1000, 100000)
	b.Run(fmt.Sprintf("members=%d/baseline=%d", big, base), func(b *testing.B) {
		baseline, measured := newGetExcludedMembers(b, base), newGetExcludedMembers(b, big)
		p := benchpair.Run(b, baseline, measured, benchpair.Options{})
		_, by := p.Report(b, "baseline", "measured")
		checkRatio(b, "bytes", by)
	})
}

// checkRatio fails b when ratio, of the figure what, exceeds ratioTarget.
func checkRatio(b *testing.B, what string, ratio float64) {
	b.Helper()
	if ratio > ratioTarget {
		b.Errorf("the larger size costs %.2f× the baseline's %s, want at most %g×", ratio, what, ratioTarget)
	}
}

// patchOneMember PATCHes a group of n members, alternately adding and
// removing one more member, so the group holds n or n+1 members.
type patchOneMember struct {
	s     *benchServer
	b     *testing.B
	n     int
	id    string
	calls int
}

func newPatchOneMember(b *testing.B, n int) *patchOneMember {
	s := newBenchServer(b)
	id := s.create(b, group.Group{Name: "Everyone", Origin: origin.Source, Type: scimx.DefaultType,
		Members: group.NewMembers(userIDs(n)...)})[0]
	return &patchOneMember{s: s, b: b, n: n, id: id}
}

var patchOps = [2]string{patchMember("add", "user-extra"), patchMember("remove", "user-extra")}

func (p *patchOneMember) call() {
	p.s.send(p.b, http.MethodPatch, "/Groups/"+p.id, patchOps[p.calls%2], http.StatusNoContent)
	p.calls++
}

// check checks that every PATCH took effect.
func (p *patchOneMember) check(b *testing.B) {
	b.Helper()
	if got, want := p.s.Group("a", p.id).Members.Len(), p.n+p.calls%2; got != want {
		b.Fatalf("after %d PATCHes the group has %d members, want %d", p.calls, got, want)
	}
}

// newFilterDisplayName returns a lookup of one of n groups by name, having
// checked that it finds that group and no other.
func newFilterDisplayName(b *testing.B, n int) func() {
	s := newBenchServer(b)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("group-%06d", i)
	}
	ids := s.create(b, groupsNamed(names)...)
	want := n / 2
	path := "/Groups?filter=" + url.QueryEscape(fmt.Sprintf("displayName eq %q", names[want]))
	var page struct {
		TotalResults int
		Resources    []struct{ ID string }
	}
	if err := json.Unmarshal(s.fetch(b, http.MethodGet, path, "", http.StatusOK), &page); err != nil {
		b.Fatal(err)
	}
	if page.TotalResults != 1 || len(page.Resources) != 1 || page.Resources[0].ID != ids[want] {
		b.Fatalf("filter on %q found %+v, want only %s", names[want], page, ids[want])
	}
	return func() { s.send(b, http.MethodGet, path, "", http.StatusOK) }
}

// newGetExcludedMembers returns a read of a group of n members without its
// members, having checked that the read leaves them out.
func newGetExcludedMembers(b *testing.B, n int) func() {
	s := newBenchServer(b)
	id := s.create(b, group.Group{Name: "Everyone", Origin: origin.Source, Type: scimx.DefaultType,
		Members: group.NewMembers(userIDs(n)...)})[0]
	path := "/Groups/" + id + "?excludedAttributes=members"
	if body := s.fetch(b, http.MethodGet, path, "", http.StatusOK); strings.Contains(string(body), `"members"`) {
		b.Fatalf("GET %s returned members: %.200s", path, body)
	}
	return func() { s.send(b, http.MethodGet, path, "", http.StatusOK) }
}

// benchServer is the harness's server (the stack of [scimx.NewServer] over
// HTTP) with a client that keeps its connection alive between requests.
type benchServer struct {
	*testServer
	url    string
	client *http.Client
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	s := newServer(tb, scimx.ServerOptions{})
	return &benchServer{testServer: s, url: s.URL, client: &http.Client{}}
}

// create stores groups in tenant a as the app would, in one transaction,
// and returns their ids.
func (s *benchServer) create(tb testing.TB, gs ...group.Group) []string {
	tb.Helper()
	ids := make([]string, 0, len(gs))
	err := s.Store.Update(context.Background(), "a", func(tx scimx.Tx) error {
		for _, g := range gs {
			rec, err := tx.Create(g)
			if err != nil {
				return err
			}
			ids = append(ids, rec.ID)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// send sends a request with tenant a's token, checks the status and reads
// the body without keeping it.
func (s *benchServer) send(b *testing.B, method, path, body string, status int) {
	b.Helper()
	res := s.do(b, method, path, body, status)
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		b.Fatal(err)
	}
}

// fetch is send returning the body.
func (s *benchServer) fetch(b *testing.B, method, path, body string, status int) []byte {
	b.Helper()
	res := s.do(b, method, path, body, status)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func (s *benchServer) do(b *testing.B, method, path, body string, status int) *http.Response {
	b.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != status {
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		b.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, status, raw)
	}
	return res
}

func patchMember(op, value string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
		`"Operations":[{"op":"` + op + `","path":"members","value":[{"value":"` + value + `"}]}]}`
}

func userIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%06d", i)
	}
	return ids
}

// groupsNamed returns pushed groups of those names, of three members each.
func groupsNamed(names []string) []group.Group {
	gs := make([]group.Group, len(names))
	for i, name := range names {
		gs[i] = group.Group{Name: name, Origin: origin.Source, Type: scimx.DefaultType,
			Members: group.NewMembers("user-1", "user-2", "user-3")}
	}
	return gs
}
