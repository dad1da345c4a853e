package scimclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkPush pushes 1,000 groups of 100 members to the in-process server
// with 2 ms of latency per request, first as new groups, then with 10% of
// each group's members added and 10% removed, with 1 and 8 groups at once.
// It reports the requests each push made beside the bound the design
// promises: one create per group, one request per 100 membership changes,
// plus the listing pages.
//
//	go test ./scimx -run '^$' -bench BenchmarkPush -benchtime 1x
func BenchmarkPush(b *testing.B) {
	const groups, members, latency = 1000, 100, 2 * time.Millisecond
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
	for _, conc := range []int{1, 8} {
		for _, step := range []struct {
			name    string
			desired []groupsync.SourceGroup
			bound   int64 // requests
		}{
			{"create", first, groups + pages},
			{"update", second, groups*((2*members/10+99)/100) + pages + 1}, // +1: ServiceProviderConfig
		} {
			b.Run(fmt.Sprintf("concurrency=%d/%s", conc, step.name), func(b *testing.B) {
				var requests int64
				var took time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					s := newPushServer(b, latency)
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
					b.StartTimer()
					start := time.Now()
					p, _, err := a.Sync(ctx, groupsync.Input{Desired: step.desired})
					took += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if p.Len() == 0 {
						b.Fatal("nothing pushed")
					}
					requests += s.requests.Load()
				}
				n := int64(b.N)
				b.ReportMetric(float64(requests/n), "requests/op")
				b.ReportMetric(float64(step.bound), "bound/op")
				b.ReportMetric(took.Seconds()/float64(b.N), "s/push")
				if requests/n > step.bound {
					b.Errorf("%d requests per push, more than the bound of %d", requests/n, step.bound)
				}
			})
		}
	}
}
