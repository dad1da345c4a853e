package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// replicas starts two SCIM servers, each with its own connection pool, on
// one database, as two replicas behind a load balancer would be. The token
// "tok" names the tenant acme and "tok2" the tenant globex. It returns
// their base URLs and the first replica's store.
func replicas(t *testing.T, pools func(testing.TB, int) []*sql.DB, d sqldialect.Dialect) ([2]string, *sqlstore.Store) {
	t.Helper()
	dbs := pools(t, 2)
	first := newStore(t, dbs[0], d) // migrate once
	var urls [2]string
	for i := range urls {
		h, err := scimx.NewServer(sqlstore.New(dbs[i], d), scimx.ServerOptions{
			Auth: scimx.BearerTokens(map[string]string{"tok": "acme", "tok2": "globex"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		urls[i] = s.URL + "/v2"
	}
	return urls, first
}

func call(t *testing.T, method, url, body string, header ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, nil
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, res.Header, m
}

func testReplicas(t *testing.T, pools func(testing.TB, int) []*sql.DB, d sqldialect.Dialect) {
	urls, store := replicas(t, pools, d)

	t.Run("R5 concurrent POSTs of one name make one group", func(t *testing.T) {
		for round := range 5 {
			name := fmt.Sprintf("Leadership %d", round)
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"externalId":"00g%d","members":[{"value":"u1"}]}`, name, round)
			var wg sync.WaitGroup
			ids := make([]string, 8)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, _, m := call(t, "POST", urls[i%2]+"/Groups", body)
					if status != 201 {
						t.Errorf("POST %s: %d %v", name, status, m)
						return
					}
					ids[i], _ = m["id"].(string)
				}()
			}
			wg.Wait()
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Fatalf("concurrent POSTs of %q answered ids %v, want one group", name, ids)
				}
			}
			_, _, m := call(t, "GET", urls[0]+`/Groups?filter=displayName%20eq%20%22`+strings.ReplaceAll(name, " ", "%20")+`%22`, "")
			if m["totalResults"] != float64(1) {
				t.Fatalf("groups named %q: %v, want 1", name, m["totalResults"])
			}
		}
	})

	t.Run("concurrent PATCHes to one group through both replicas lose nothing", func(t *testing.T) {
		_, _, m := call(t, "POST", urls[0]+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Busy"}`)
		id := m["id"].(string)
		const clients, each = 8, 10
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u-%d-%d"}]}]}`, c, i)
					if status, _, m := call(t, "PATCH", urls[(c+i)%2]+"/Groups/"+id, body); status != 204 {
						t.Errorf("PATCH: %d %v", status, m)
					}
				}
			}()
		}
		wg.Wait()
		_, h, m := call(t, "GET", urls[1]+"/Groups/"+id, "")
		members, _ := m["members"].([]any)
		if len(members) != clients*each || h.Get("Etag") != fmt.Sprintf(`W/"%d"`, clients*each+1) {
			t.Errorf("after %d PATCHes: %d members, ETag %s", clients*each, len(members), h.Get("Etag"))
		}
	})

	t.Run("R17 concurrent writes through both replicas give one gap-free sequence per tenant", func(t *testing.T) {
		tenants := []struct{ name, token string }{{"acme", "tok"}, {"globex", "tok2"}}
		before := map[string]int{}
		for _, tn := range tenants {
			before[tn.name] = len(feed(t, store, tn.name))
		}
		const clients, each = 8, 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		acked := map[string]int{} // acknowledged changes per tenant
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tn := tenants[c%2]
				auth := []string{"Authorization", "Bearer " + tn.token}
				status, _, m := call(t, "POST", urls[c%2]+"/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Feed %d"}`, c), auth...)
				if status != 201 {
					t.Errorf("POST: %d %v", status, m)
					return
				}
				id := m["id"].(string)
				n := 1
				for i := range each {
					body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u-%d-%d"}]}]}`, c, i)
					if status, _, m := call(t, "PATCH", urls[(c+i)%2]+"/Groups/"+id, body, auth...); status != 204 {
						t.Errorf("PATCH: %d %v", status, m)
						continue
					}
					n++
				}
				mu.Lock()
				acked[tn.name] += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, tn := range tenants {
			evs := feed(t, store, tn.name)[before[tn.name]:]
			ids := map[string]bool{}
			versions := map[string]int64{}
			for i, e := range evs {
				if want := int64(before[tn.name] + i + 1); e.Seq != want || ids[e.ID] || e.Tenant != tn.name {
					t.Errorf("tenant %s, event %d: seq %d, id %s (repeated: %v), tenant %s; want seq %d, a new id", tn.name, i, e.Seq, e.ID, ids[e.ID], e.Tenant, want)
				}
				ids[e.ID] = true
				if e.Version != versions[e.Group]+1 {
					t.Errorf("tenant %s, event %d: group %s at version %d after %d: the feed is in commit order", tn.name, e.Seq, e.Group, e.Version, versions[e.Group])
				}
				versions[e.Group] = e.Version
			}
			if len(evs) != acked[tn.name] {
				t.Errorf("tenant %s: %d events for %d acknowledged changes", tn.name, len(evs), acked[tn.name])
			}
		}
	})

	t.Run("If-Match holds across replicas", func(t *testing.T) {
		_, h, m := call(t, "POST", urls[0]+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Versioned"}`)
		id, etag := m["id"].(string), h.Get("Etag")
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}]}`
		if status, _, m := call(t, "PATCH", urls[1]+"/Groups/"+id, patch, "If-Match", etag); status != 204 {
			t.Fatalf("PATCH with the current ETag through the other replica: %d %v", status, m)
		}
		if status, _, _ := call(t, "PATCH", urls[0]+"/Groups/"+id, patch, "If-Match", etag); status != 412 {
			t.Errorf("PATCH with a stale ETag: %d, want 412", status)
		}
	})
}

func TestReplicasSQLite(t *testing.T)   { testReplicas(t, sqlitePools, sqldialect.SQLite) }
func TestReplicasPostgres(t *testing.T) { testReplicas(t, postgresPools, sqldialect.Postgres) }

// feed returns every event of tenant's change feed.
func feed(t *testing.T, s scimx.Store, tenant string) []scimx.FeedEvent {
	t.Helper()
	var evs []scimx.FeedEvent
	if err := s.View(context.Background(), tenant, func(tx scimx.Tx) (err error) {
		evs, err = tx.Events(0, 1<<20)
		return err
	}); err != nil {
		t.Fatalf("read the feed of %s: %v", tenant, err)
	}
	return evs
}
