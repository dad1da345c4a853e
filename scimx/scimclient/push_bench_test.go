package scimclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/benchpair"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// pushServer is the scimx server behind a fixed latency, counting requests
// by method.
type pushServer struct {
	*httptest.Server
	requests, posts, patches, gets atomic.Int64
}

func newPushServer(b *testing.B, latency time.Duration) *pushServer {
	b.Helper()
	h, err := scimx.NewServer(&scimx.MemStore{}, scimx.ServerOptions{Auth: scimx.BearerTokens(map[string]string{tokenA: "a"})})
	if err != nil {
		b.Fatal(err)
	}
	s := &pushServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		switch r.Method {
		case http.MethodPost:
			s.posts.Add(1)
		case http.MethodPatch:
			s.patches.Add(1)
		case http.MethodGet:
			s.gets.Add(1)
		}
		time.Sleep(latency)
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(s.Close)
	return s
}

// BenchmarkPush pushes groups of 100 members to the in-process server,
// which sleeps 2 ms per request: first as new groups, then with 10% of each
// group's members added and 10% removed. In each iteration of the loop it
// pushes with 1 and with 8 groups at once, in turn, each on a new server
// and store. It reports the requests a push made (requests/push), the bound
// the design promises (bound/push) and their ratio (x-bound-requests), and
// the time of a push at each concurrency with the speed-up of 8 over 1
// measured in the same run (speed-up, the median over iterations of
// the time at concurrency 1 over the time at 8).
//
// The bound is one create per group and one request per 100 membership
// changes, plus the connection check and the listing pages (and, for
// updates, one read of the ServiceProviderConfig). Request counts do not
// depend on timing, so the benchmark fails as soon as a push at either
// concurrency exceeds the bound (x-bound-requests above 1). The speed-up
// has no target: it depends on the cores the client and the server share.
//
// The README's figures (1,000 groups):
//
//	go test ./scimx/scimclient -run '^$' -bench BenchmarkPush -count 3 | tee push.txt
//
// CI's, with -short (100 groups; .ci/bench):
//
//	go test ./scimx/scimclient -run '^$' -bench BenchmarkPush -short
func BenchmarkPush(b *testing.B) {
	const members, latency = 100, 2 * time.Millisecond
	groups := 1000
	if testing.Short() {
		groups = 100
	}
	first := make([]groupsync.SourceGroup, groups)
	second := make([]groupsync.SourceGroup, groups)
	for g := range groups {
		var m1, m2 []string
		for i := range members {
			m1 = append(m1, fmt.Sprintf("user-%04d-%03d", g, i))
			if i >= members/10 {
				m2 = append(m2, m1[i])
			}
		}
		for i := range members / 10 {
			m2 = append(m2, fmt.Sprintf("user-%04d-new-%03d", g, i))
		}
		first[g] = groupsync.SourceGroup{ID: fmt.Sprintf("00g%04d", g), Name: fmt.Sprintf("Group %04d", g), Members: m1}
		second[g] = groupsync.SourceGroup{ID: first[g].ID, Name: first[g].Name, Members: m2}
	}
	pages := int64(1 + (groups+99)/100) // the connection check and the listing
	steps := []struct {
		name    string
		desired []groupsync.SourceGroup
		bound   int64 // requests
		reason  string
	}{
		{name: "create", desired: first, bound: int64(groups) + pages,
			reason: "a create carries the group's first 100 members, so one request per group"},
		{name: "update", desired: second, bound: int64(groups*((2*members/10+99)/100)) + pages + 1,
			reason: "a group's 20 changes fit one PATCH; +1 for the ServiceProviderConfig the update reads"},
	}
	tabletest.Check(b, steps)
	for _, step := range steps {
		// push pushes step with conc groups at once to a new server and
		// returns the requests and the time the push took.
		push := func(b *testing.B, conc int) (int64, time.Duration) {
			s := newPushServer(b, latency)
			defer s.Close()
			client, err := scimclient.New(s.URL+"/v2", scimclient.Options{Auth: scimclient.Bearer(tokenA)})
			if err != nil {
				b.Fatal(err)
			}
			a := &groupsync.Applier{Target: client, Store: &groupsync.MemStore{}, Concurrency: conc}
			ctx := context.Background()
			if step.name == "update" {
				if _, _, err := a.Sync(ctx, groupsync.Input{Desired: first}); err != nil {
					b.Fatal(err)
				}
			}
			s.requests.Store(0)
			start := time.Now()
			p, _, err := a.Sync(ctx, groupsync.Input{Desired: step.desired})
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if p.Len() == 0 {
				b.Fatal("nothing pushed")
			}
			return s.requests.Load(), took
		}
		b.Run(fmt.Sprintf("groups=%d/%s", groups, step.name), func(b *testing.B) {
			concs := [2]int{1, 8}
			var took [2][]float64
			var requests int64
			for i := 0; b.Loop(); i++ {
				for k := range 2 {
					c := (i + k) % 2
					n, d := push(b, concs[c])
					took[c] = append(took[c], d.Seconds())
					if n > step.bound {
						b.Errorf("a push at concurrency %d made %d requests, more than the bound of %d", concs[c], n, step.bound)
					}
					requests = max(requests, n)
				}
			}
			speedUps := make([]float64, len(took[0]))
			for i := range speedUps {
				speedUps[i] = took[0][i] / took[1][i]
			}
			b.ReportMetric(float64(requests), "requests/push")
			b.ReportMetric(float64(step.bound), "bound/push")
			b.ReportMetric(float64(requests)/float64(step.bound), "x-bound-requests")
			b.ReportMetric(benchpair.Median(took[0]), "c1-s/push")
			b.ReportMetric(benchpair.Median(took[1]), "c8-s/push")
			b.ReportMetric(benchpair.Median(speedUps), "speed-up")
		})
	}
}
