package scimx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	groupsync "github.com/groupsync/groupsync/sync"
)

const groupSchemaJSON = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`

// R5: a POST without externalId (Okta sends none) must not take over a group
// linked to another source group, nor replace its members.
func TestR5PostWithoutExternalIDDoesNotTakeOverALinkedGroup(t *testing.T) {
	s := newServer(t, scimx.Options{})
	id := s.put(t, "a", group.Group{Name: "Eng", ExternalID: "entra-obj-1", Origin: origin.Source, Members: group.NewMembers("u1", "u2")})
	r := s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Eng","members":[]}`)
	if r.status != 409 {
		t.Errorf("POST of a linked group's name without externalId: %d, want 409", r.status)
	}
	if got := s.stored(t, "a", id).Members.Slice(); len(got) != 2 {
		t.Errorf("the linked group's members became %v", got)
	}
}

// A PATCH that removes and adds back a member changes nothing: no new
// version, no change event.
func TestPatchRemoveThenAddChangesNothing(t *testing.T) {
	var events atomic.Int32
	s := newServer(t, scimx.Options{OnChange: func(context.Context, scimx.Event) { events.Add(1) }})
	id := s.put(t, "a", group.Group{Name: "Eng", Origin: origin.Source, Members: group.NewMembers("u1")})
	r := s.do(t, "PATCH", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"add","path":"members","value":[{"value":"u1"}]}]}`).must(t, 204)
	if r.header.Get("ETag") != `W/"1"` || events.Load() != 0 {
		t.Errorf("ETag %s and %d events after a no-op PATCH, want W/\"1\" and none", r.header.Get("ETag"), events.Load())
	}
}

// Values no store can hold are refused with 400 on every backend, not a
// 500 on some.
func TestValuesBeyondLimitsAreRefused(t *testing.T) {
	s := newServer(t, scimx.Options{})
	id := s.put(t, "a", group.Group{Name: "Eng", Origin: origin.Source})
	long := strings.Repeat("x", 2000)
	tests := []struct{ name, method, path, body string }{
		{"NUL in a member value", "PATCH", "/Groups/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u\u0000"}]}]}`},
		{"NUL in an externalId", "POST", "/Groups", `{` + groupSchemaJSON + `,"displayName":"New","externalId":"x\u0000"}`},
		{"a very long name", "POST", "/Groups", `{` + groupSchemaJSON + `,"displayName":"` + long + `"}`},
		{"a very long member value", "PUT", "/Groups/" + id, `{` + groupSchemaJSON + `,"displayName":"Eng","members":[{"value":"` + long + `"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := s.do(t, tt.method, tt.path, tt.body); r.status != 400 {
				t.Errorf("%s: %d %s, want 400", tt.method, r.status, r.raw)
			}
		})
	}
	r := s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "x\u0000"`), "").must(t, 200)
	if r.body["totalResults"] != float64(0) {
		t.Errorf("a filter on a NUL value found %v", r.body["totalResults"])
	}
}

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
	c, _ := scimx.NewClient(srv.URL, scimx.ClientOptions{Auth: scimx.Bearer("t")})
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
	c, _ := scimx.NewClient("https://app.example.com/scim/v2", scimx.ClientOptions{HTTPClient: hc, MaxRetryWait: 5 * time.Second})
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
	c, _ := scimx.NewClient(srv.URL, scimx.ClientOptions{Auth: scimx.Bearer("t")})
	groups, err := c.List(context.Background())
	if err != nil || len(groups) != 250 {
		t.Errorf("List = %d groups, %v; want 250", len(groups), err)
	}
}
