package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/benchpair"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// benchServer serves a new store on db over HTTP, holding one group of n
// members, and returns the store and the group's URL and id.
func benchServer(b *testing.B, db *sql.DB, d sqldialect.Dialect, n int) (s *sqlstore.Store, url, id string) {
	b.Helper()
	s = newStore(b, db, d)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%06d", i)
	}
	err := s.Update(context.Background(), "acme", func(tx scimx.Tx) error {
		rec, err := tx.Create(group.Group{Name: "Everyone", Members: group.NewMembers(ids...), Origin: origin.Source})
		id = rec.ID
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	h, err := scimx.NewServer(s, scimx.ServerOptions{Auth: scimx.BearerTokens(map[string]string{"tok": "acme"})})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return s, srv.URL + "/v2/Groups/" + id, id
}

func patch(url string, op, member string) error {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"` + op +
		`","path":"members","value":[{"value":"` + member + `"}]}]}`
	req, _ := http.NewRequest("PATCH", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("PATCH: %d", res.StatusCode)
	}
	return nil
}

var dialects = []struct {
	name    string
	pools   func(testing.TB, int) []*sql.DB
	dialect sqldialect.Dialect
}{
	{"sqlite", sqlitePools, sqldialect.SQLite},
	{"postgres", postgresPools, sqldialect.Postgres},
}

// ratioTarget is the largest ratio, in time and in bytes, of a one-member
// PATCH on the larger group to the same PATCH on the smaller one. The
// benchmark fails above the target itself, with no allowance for noise:
// the groups differ by 100×, so a cost per member shows as a ratio far
// above it, while noise, which the turns spread over both sides, does not
// come near it. In 15 runs of .ci/bench on a shared 2-core machine, 5 of
// them beside two busy loops, the time ratios stayed between 0.59 and
// 1.01 on SQLite and between 0.87 and 1.07 on PostgreSQL, the bytes
// ratios between 0.98 and 1.03.
const ratioTarget = 2.0

// BenchmarkPatchOneMember adds and removes one member of a group of
// 100,000 members through the SCIM server and, taking turns with it in one
// loop (see [benchpair.Run]), of a group of 1,000 members in a database of its
// own: the baseline. The result line reports the larger group's time and
// bytes as multiples of the baseline's (x-baseline-time,
// x-baseline-bytes), beside both sides' figures. The cost must not grow
// with the group: it fails when either ratio exceeds ratioTarget.
// PostgreSQL runs only when GROUPSYNC_POSTGRES_URL is set and is skipped
// otherwise (-v shows why; .ci/bench always says so).
//
// The README's figures (1,000 vs 100,000 members):
//
//	GROUPSYNC_POSTGRES_URL=… go test ./scimx/sqlstore -run '^$' -bench PatchOneMember -count 6 | tee sqlstore.txt
//	go run golang.org/x/perf/cmd/benchstat@latest sqlstore.txt
//
// CI's, with -short (100 vs 10,000 members; .ci/bench):
//
//	GROUPSYNC_POSTGRES_URL=… go test ./scimx/sqlstore -run '^$' -bench PatchOneMember -short
func BenchmarkPatchOneMember(b *testing.B) {
	base, big := 1000, 100000
	if testing.Short() {
		base, big = 100, 10000
	}
	for _, d := range dialects {
		b.Run(fmt.Sprintf("db=%s/members=%d/baseline=%d", d.name, big, base), func(b *testing.B) {
			baseline := newPatchOneMember(b, d.pools(b, 1)[0], d.dialect, base)
			measured := newPatchOneMember(b, d.pools(b, 1)[0], d.dialect, big)
			p := benchpair.Run(b, baseline.call, measured.call, benchpair.Options{})
			baseline.check(b)
			measured.check(b)
			t, by := p.Report(b, "baseline", "measured")
			if t > ratioTarget {
				b.Errorf("a PATCH on %d members takes %.2f× the time of one on %d, want at most %g×", big, t, base, ratioTarget)
			}
			if by > ratioTarget {
				b.Errorf("a PATCH on %d members allocates %.2f× the bytes of one on %d, want at most %g×", big, by, base, ratioTarget)
			}
		})
	}
}

// patchOneMember PATCHes one group of n members, alternately adding and
// removing one more member, so the group holds n or n+1 members.
type patchOneMember struct {
	b        *testing.B
	store    *sqlstore.Store
	url, id  string
	n, calls int
}

func newPatchOneMember(b *testing.B, db *sql.DB, d sqldialect.Dialect, n int) *patchOneMember {
	p := &patchOneMember{b: b, n: n}
	p.store, p.url, p.id = benchServer(b, db, d, n)
	return p
}

func (p *patchOneMember) call() {
	op := "add"
	if p.calls%2 == 1 {
		op = "remove"
	}
	if err := patch(p.url, op, "extra"); err != nil {
		p.b.Fatal(err)
	}
	p.calls++
}

// check checks that every PATCH took effect.
func (p *patchOneMember) check(b *testing.B) {
	b.Helper()
	var got int
	err := p.store.View(context.Background(), "acme", func(tx scimx.Tx) error {
		rec, err := tx.Group(p.id, true)
		got = rec.Members.Len()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if want := p.n + p.calls%2; got != want {
		b.Fatalf("after %d PATCHes the group has %d members, want %d", p.calls, got, want)
	}
}

// BenchmarkPatchThroughput sends one-member PATCHes to one group of 1,000
// members from 8 clients at once and reports PATCHes per second.
func BenchmarkPatchThroughput(b *testing.B) {
	for _, d := range dialects {
		b.Run("db="+d.name+"/clients=8", func(b *testing.B) {
			_, url, _ := benchServer(b, d.pools(b, 1)[0], d.dialect, 1000)
			var next atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := patch(url, "add", fmt.Sprintf("u-%d-%d", c, next.Load())); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "patches/s")
		})
	}
}
