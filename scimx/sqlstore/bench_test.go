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
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/sqldialect"
)

// benchServer serves a store over HTTP and holds one group of n members.
func benchServer(b *testing.B, db *sql.DB, d sqldialect.Dialect, n int) (url, id string) {
	b.Helper()
	s := newStore(b, db, d)
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
	return srv.URL + "/v2/Groups/" + id, id
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

// BenchmarkPatchOneMember adds and removes one member of a group of 1,000
// and of 100,000 members through the SCIM server: the cost must not grow
// with the group (target: at most 2×).
//
//	GROUPSYNC_POSTGRES_URL=… go test ./scimx/sqlstore -run '^$' -bench PatchOneMember -benchmem
func BenchmarkPatchOneMember(b *testing.B) {
	for _, d := range dialects {
		for _, n := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("db=%s/members=%d", d.name, n), func(b *testing.B) {
				url, _ := benchServer(b, d.pools(b, 1)[0], d.dialect, n)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					op := "add"
					if i%2 == 1 {
						op = "remove"
					}
					if err := patch(url, op, "extra"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPatchThroughput sends one-member PATCHes to one group of 1,000
// members from 8 clients at once and reports PATCHes per second.
func BenchmarkPatchThroughput(b *testing.B) {
	for _, d := range dialects {
		b.Run("db="+d.name+"/clients=8", func(b *testing.B) {
			url, _ := benchServer(b, d.pools(b, 1)[0], d.dialect, 1000)
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
