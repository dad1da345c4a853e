package sqlstore_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/benchpair"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/sqldialect"
)

// feedStores are the stores the feed benchmarks run on: memory, SQLite,
// and PostgreSQL when GROUPSYNC_POSTGRES_URL is set (skipped otherwise).
// open returns a new store and settle, which a benchmark calls once the
// store is filled: on PostgreSQL it vacuums and analyses the tables, as
// autovacuum leaves a database in service, so that the benchmark measures
// the steady state rather than the first reads of rows just written.
var feedStores = []struct {
	name string
	open func(testing.TB) (store scimx.Store, settle func())
}{
	{"memory", func(testing.TB) (scimx.Store, func()) { return &scimx.MemStore{}, func() {} }},
	{"sqlite", func(tb testing.TB) (scimx.Store, func()) {
		return newStore(tb, sqlitePools(tb, 1)[0], sqldialect.SQLite), func() {}
	}},
	{"postgres", func(tb testing.TB) (scimx.Store, func()) {
		db := postgresPools(tb, 1)[0]
		return newStore(tb, db, sqldialect.Postgres), func() {
			if _, err := db.Exec(`VACUUM ANALYZE`); err != nil {
				tb.Fatal(err)
			}
		}
	}},
}

// probeGroups is how many groups the probed user belongs to, in a tenant
// of any size.
const probeGroups = 5

// tenantOfSize fills store's tenant acme with a group "Everyone" of n
// members and n/100 groups of 100 members each; the user "probe" is a
// member of probeGroups of them. It returns Everyone's id.
func tenantOfSize(b *testing.B, store scimx.Store, n int) string {
	b.Helper()
	ctx := context.Background()
	var everyone string
	err := store.Update(ctx, "acme", func(tx scimx.Tx) error {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("user-%06d", i)
		}
		rec, err := tx.Create(group.Group{Name: "Everyone", Members: group.NewMembers(ids...), Origin: origin.Source})
		everyone = rec.ID
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for g := 0; g < max(n/100, probeGroups); g += 100 {
		err := store.Update(ctx, "acme", func(tx scimx.Tx) error {
			for k := g; k < min(g+100, max(n/100, probeGroups)); k++ {
				ids := make([]string, 100)
				for i := range ids {
					ids[i] = fmt.Sprintf("user-%06d", (k*100+i)%n)
				}
				if k < probeGroups {
					ids[0] = "probe"
				}
				if _, err := tx.Create(group.Group{Name: fmt.Sprintf("Team %d", k), Members: group.NewMembers(ids...), Origin: origin.Source}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return everyone
}

// sizes returns the members of the baseline tenant's largest group and of
// the measured one's, 100× more: 1,000 and 100,000, or with -short 100 and
// 10,000.
func sizes() (base, big int) {
	if testing.Short() {
		return 100, 10000
	}
	return 1000, 100000
}

// BenchmarkGroupsOf reads the groups of one user (a member of 5) through
// [scimx.Directory.GroupsOf] in a tenant of 1,000 + 1,000 memberships and,
// taking turns with it in one loop ([benchpair.Run]), in a tenant 100×
// larger, each in a store of its own. The result line reports the larger
// tenant's time and bytes as multiples of the smaller's; the benchmark
// fails above ratioTarget (2×): the answer comes from an index, so its cost
// does not grow with the tenant (R17, issue 10).
//
//	GROUPSYNC_POSTGRES_URL=… go test ./scimx/sqlstore -run '^$' -bench 'GroupsOf|MemberPage|FeedCost' -count 6
func BenchmarkGroupsOf(b *testing.B) {
	base, big := sizes()
	for _, s := range feedStores {
		b.Run(fmt.Sprintf("db=%s/members=%d/baseline=%d", s.name, big, base), func(b *testing.B) {
			call := func(n int) func() {
				store, settle := s.open(b)
				d := &scimx.Directory{Store: store}
				tenantOfSize(b, d.Store, n)
				settle()
				return func() {
					recs, err := d.GroupsOf(context.Background(), "acme", "probe")
					if err != nil || len(recs) != probeGroups {
						b.Fatalf("GroupsOf = %d groups, %v; want %d", len(recs), err, probeGroups)
					}
				}
			}
			baseline, measured := call(base), call(big)
			p := benchpair.Run(b, baseline, measured, benchpair.Options{})
			checkRatios(b, p, "GroupsOf", base, big)
		})
	}
}

// BenchmarkMemberPage reads a page of 100 members (25 with -short) from
// the middle of a group through [scimx.Directory.Members], in a tenant whose group has
// 1,000 members and, taking turns with it, in one whose group has 100,000
// (and 100× more groups): a page costs its own size, so the ratio stays
// near 1, and the benchmark fails above ratioTarget (2×).
func BenchmarkMemberPage(b *testing.B) {
	base, big := sizes()
	pageSize := min(100, base/4)
	for _, s := range feedStores {
		b.Run(fmt.Sprintf("db=%s/members=%d/baseline=%d", s.name, big, base), func(b *testing.B) {
			call := func(n int) func() {
				store, settle := s.open(b)
				d := &scimx.Directory{Store: store}
				id := tenantOfSize(b, d.Store, n)
				settle()
				after := fmt.Sprintf("user-%06d", n/2-pageSize)
				return func() {
					page, next, err := d.Members(context.Background(), "acme", id, after, pageSize)
					if err != nil || len(page) != pageSize || next == "" || page[0] <= after {
						b.Fatalf("Members = %d values from %v, next %q, %v; want a full page after %s", len(page), page[:min(1, len(page))], next, err, after)
					}
				}
			}
			baseline, measured := call(base), call(big)
			p := benchpair.Run(b, baseline, measured, benchpair.Options{})
			checkRatios(b, p, "a member page", base, big)
		})
	}
}

func checkRatios(b *testing.B, p *benchpair.Pair, what string, base, big int) {
	b.Helper()
	t, by := p.Report(b, "baseline", "measured")
	if t > ratioTarget {
		b.Errorf("%s in a tenant of %d takes %.2f× the time of one of %d, want at most %g×", what, big, t, base, ratioTarget)
	}
	if by > ratioTarget {
		b.Errorf("%s in a tenant of %d allocates %.2f× the bytes of one of %d, want at most %g×", what, big, by, base, ratioTarget)
	}
}

// noFeed is a store whose Append does nothing: the feed turned off, for
// [BenchmarkFeedCost]'s baseline. Everything else is the store's own.
type noFeed struct{ scimx.Store }

func (s noFeed) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.Store.Update(ctx, tenant, func(tx scimx.Tx) error { return f(noAppendTx{tx}) })
}

type noAppendTx struct{ scimx.Tx }

func (noAppendTx) Append(e scimx.FeedEvent) (scimx.FeedEvent, error) { return e, nil }

// feedCostTarget bounds what writing the event may add to a one-member
// PATCH over HTTP, as a multiple of the same PATCH without it. Like
// ratioTarget, it has room for the noise of a shared machine (single runs
// on one saw 1.01 to 1.54 in time), not for a cost that grows with the
// feed: an Append that scanned the feed's 20,000 events would show far
// above it.
const feedCostTarget = 2.0

// feedSize is how many events the measured store's feed holds before the
// benchmark starts: 20,000, or 2,000 with -short.
func feedSize() int {
	if testing.Short() {
		return 2000
	}
	return 20000
}

// BenchmarkFeedCost measures what the change feed (R17) costs a SCIM
// write: the same one-member PATCH (alternately add and remove, on a group
// of 1,000 members) through NewServer on a store whose feed holds 20,000
// events already, and, taking turns with it as the baseline, on a store of
// the same kind wrapped so that Append does nothing (noFeed): the feed
// cannot be turned off otherwise. The result
// line reports the PATCH with its event as a multiple of the PATCH without
// (x-baseline-time, x-baseline-bytes); it fails above feedCostTarget.
func BenchmarkFeedCost(b *testing.B) {
	for _, s := range feedStores {
		b.Run("db="+s.name, func(b *testing.B) {
			serve := func(store scimx.Store, settle func()) *patchFeed {
				id := ""
				if err := store.Update(context.Background(), "acme", func(tx scimx.Tx) error {
					ids := make([]string, 1000)
					for i := range ids {
						ids[i] = fmt.Sprintf("user-%06d", i)
					}
					rec, err := tx.Create(group.Group{Name: "Everyone", Members: group.NewMembers(ids...), Origin: origin.Source})
					id = rec.ID
					return err
				}); err != nil {
					b.Fatal(err)
				}
				settle()
				h, err := scimx.NewServer(store, scimx.ServerOptions{Auth: scimx.BearerTokens(map[string]string{"tok": "acme"})})
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(h)
				b.Cleanup(srv.Close)
				return &patchFeed{b: b, store: store, url: srv.URL + "/v2/Groups/" + id}
			}
			store, settle := s.open(b)
			without := serve(noFeed{store}, settle)
			store, settle = s.open(b)
			with := serve(store, func() {})
			with.prefill(feedSize())
			// Once the feed holds its history, as autovacuum would.
			settle()
			for range 10 { // warm both up: connections, caches, plans
				without.call()
				with.call()
			}
			p := benchpair.Run(b, without.call, with.call, benchpair.Options{})
			if n := with.events(); n != with.calls {
				b.Fatalf("%d PATCHes wrote %d events, want one each", with.calls, n)
			}
			if n := without.events(); n != 0 {
				b.Fatalf("the baseline wrote %d events, want none", n)
			}
			t, by := p.Report(b, "nofeed", "feed")
			if t > feedCostTarget || by > feedCostTarget {
				b.Errorf("a PATCH with its event takes %.2f× the time and %.2f× the bytes of one without, want at most %g×", t, by, feedCostTarget)
			}
		})
	}
}

// patchFeed PATCHes one group, alternately adding and removing a member.
type patchFeed struct {
	b     *testing.B
	store scimx.Store
	url   string
	calls int
	// prefilled counts the events prefill wrote.
	prefilled int
}

func (p *patchFeed) call() {
	op := "add"
	if p.calls%2 == 1 {
		op = "remove"
	}
	if err := patch(p.url, op, "extra"); err != nil {
		p.b.Fatal(err)
	}
	p.calls++
}

// prefill appends n events to the feed, as a tenant's history would hold.
func (p *patchFeed) prefill(n int) {
	for done := 0; done < n; done += 1000 {
		err := p.store.Update(context.Background(), "acme", func(tx scimx.Tx) error {
			for range min(1000, n-done) {
				if _, err := tx.Append(scimx.FeedEvent{Group: "old", Name: "Old", Kind: scimx.MembersChanged, Actor: scimx.BySource,
					Added: []string{"u1"}, Version: 2}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			p.b.Fatal(err)
		}
	}
	p.prefilled = n
}

// events counts the events of the feed that PATCHes wrote.
func (p *patchFeed) events() int {
	var n int
	err := p.store.View(context.Background(), "acme", func(tx scimx.Tx) error {
		for after := int64(0); ; {
			evs, err := tx.Events(after, 10000)
			if err != nil || len(evs) == 0 {
				return err
			}
			n += len(evs)
			after = evs[len(evs)-1].Seq
		}
	})
	if err != nil {
		p.b.Fatal(err)
	}
	return n - p.prefilled
}
