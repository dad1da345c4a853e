package scimclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// fuzzStatuses are the statuses a fuzzed server answers with, by index.
var fuzzStatuses = []int{200, 201, 204, 400, 401, 404, 409, 413, 429, 500, 503}

// FuzzClientResponses serves hostile answers (list pages, single groups,
// error bodies, ServiceProviderConfig; huge numbers, wrong types, deep
// nesting, invalid UTF-8, numbers as strings) to every request of the
// client. The client must never panic or hang, must bound what it reads,
// and must answer each call with a result that holds together or an
// error.
func FuzzClientResponses(f *testing.F) {
	seeds := []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"Resources":[{"id":"1","displayName":"A"},{"id":"2","displayName":"B","members":[{"value":"u1"}]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":"99999999999999999999999","Resources":[{"id":"1"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[{"id":"1","displayName":"A"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1e308,"Resources":{"id":"1"}}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":-5,"Resources":[{"id":""}]}`,
		`{"id":7,"displayName":["x"],"members":"u1"}`,
		`{"id":"g1","displayName":"\xff\xfe","members":[{"value":"\xc3"}],"urn:ietf:params:scim:schemas:extension:groupsync:2.0:Group":{"origin":5}}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"` + strings.Repeat("x", 5000) + `"}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":409,"scimType":{"a":1},"detail":null}`,
		`{"patch":{"supported":"TRUE"}}`, `{"patch":{"supported":1}}`, `{"patch":"yes"}`,
		strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		`{"Resources":[` + strings.Repeat(`{"id":"x"},`, 1000) + `{"id":"y"}]}`,
		``, `null`, `"string"`, `12345678901234567890`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), uint8(i*7), []byte(s))
	}
	f.Fuzz(func(t *testing.T, statusIndex, call uint8, body []byte) {
		status := fuzzStatuses[int(statusIndex)%len(fuzzStatuses)]
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/scim+json")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(status)
			if status != http.StatusNoContent {
				_, _ = w.Write(body)
			}
		}))
		defer ts.Close()
		c, err := scimclient.New(ts.URL, scimclient.Options{Auth: scimclient.Bearer("t"), Timeout: 2 * time.Second,
			MaxRetryWait: time.Millisecond, UnavailableAfter: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		switch call % 6 {
		case 0:
			gs, err := c.List(ctx)
			if err == nil {
				seen := map[string]bool{}
				for _, g := range gs {
					if g.ID == "" || seen[g.ID] {
						t.Errorf("List returned an empty or repeated id %q", g.ID)
					}
					seen[g.ID] = true
				}
			}
		case 1:
			g, err := c.Get(ctx, "g1")
			if err == nil && g.MembersRead && g.Members.Len() > 0 && !utf8.ValidString(g.Members.Slice()[0]) {
				t.Errorf("Get returned invalid UTF-8 member %q", g.Members.Slice()[0])
			}
		case 2:
			_, err = c.Create(ctx, groupsync.Change{ExternalID: "00g1", Name: "Eng", Add: []string{"u1"}})
		case 3:
			err = c.Update(ctx, "g1", groupsync.Change{Name: "Eng", Remove: []string{"u2"}, Add: []string{"u1"}})
		case 4:
			err = c.Delete(ctx, "g1")
		case 5:
			_, err = c.ResolveUsers(ctx, []string{"alice", "bob"})
		}
		if ctx.Err() != nil {
			t.Fatalf("call %d did not end within 10 s: %v", call%6, err)
		}
		var he *scimclient.HTTPError
		if errors.As(err, &he) && len(he.Detail) > 2048 {
			t.Errorf("an error's detail of %d bytes was kept whole", len(he.Detail))
		}
	})
}
