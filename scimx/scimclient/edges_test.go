package scimclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// Without PATCH and without members in a GET, the client refuses to PUT:
// the PUT would replace every member with the change's additions.
func TestClientPutFallbackNeedsMembers(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig"):
			fmt.Fprint(w, `{"patch":{"supported":false}}`)
		case r.Method == "GET":
			fmt.Fprint(w, `{"id":"g1","displayName":"Eng"}`)
		case r.Method == "PUT":
			puts.Add(1)
			fmt.Fprint(w, `{"id":"g1","displayName":"Eng"}`)
		}
	}))
	defer srv.Close()
	c, _ := scimclient.New(srv.URL, scimclient.Options{Auth: scimclient.Bearer("t")})
	if err := c.Update(context.Background(), "g1", groupsync.Change{Add: []string{"u3"}}); err == nil || puts.Load() != 0 {
		t.Errorf("Update = %v with %d PUTs, want an error and no PUT", err, puts.Load())
	}
}

// R15: an error of the client's own transport (an OAuth2 token it could not
// get, say) is permanent: one attempt.
func TestR15TransportErrorsArePermanent(t *testing.T) {
	var attempts atomic.Int32
	hc := &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) {
		attempts.Add(1)
		return nil, errors.New("oauth2: cannot fetch token: invalid_grant")
	})}
	c, _ := scimclient.New("https://app.example.com/scim/v2", scimclient.Options{HTTPClient: hc, MaxRetryWait: 5 * time.Second})
	start := time.Now()
	if _, err := c.Get(context.Background(), "g1"); err == nil || attempts.Load() != 1 || time.Since(start) > time.Second {
		t.Errorf("Get = %v after %d attempts in %s, want a failure after one", err, attempts.Load(), time.Since(start))
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A server that does not say how many groups there are is read until an
// empty page.
func TestClientListWithoutTotalResults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		start := 1
		fmt.Sscan(r.URL.Query().Get("startIndex"), &start)
		count := 100
		fmt.Sscan(r.URL.Query().Get("count"), &count)
		var res []string
		for i := start; i < start+count && i <= 250; i++ {
			res = append(res, fmt.Sprintf(`{"id":"g%03d","displayName":"G%03d"}`, i, i))
		}
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[%s]}`, strings.Join(res, ","))
	}))
	defer srv.Close()
	c, _ := scimclient.New(srv.URL, scimclient.Options{Auth: scimclient.Bearer("t")})
	groups, err := c.List(context.Background())
	if err != nil || len(groups) != 250 {
		t.Errorf("List = %d groups, %v; want 250", len(groups), err)
	}
}
