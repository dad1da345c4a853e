package scimclient_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	"github.com/groupsync/groupsync/scimx/scimxtest"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

// Tokens of the two tenants of the test server.
const (
	tokenA = scimxtest.TokenA
	tokenB = scimxtest.TokenB
)

// newServer starts the SCIM server of scimxtest, built with scimx, whose
// tenants are "a" and "b".
func newServer(t *testing.T) *scimxtest.Server {
	t.Helper()
	return scimxtest.NewServer(t, scimx.ServerOptions{})
}

// client returns a client of s with that bearer token.
func client(t *testing.T, s *scimxtest.Server, token string) *scimclient.Client {
	t.Helper()
	c, err := scimclient.New(s.URL, scimclient.Options{Auth: scimclient.Bearer(token), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appGroup is a group created in the app, of type Teams.
func appGroup(name string, members ...string) group.Group {
	return group.Group{Name: name, Origin: origin.Target, Type: "Teams", Members: group.NewMembers(members...)}
}

func TestClientPassesTargetConformance(t *testing.T) {
	s := newServer(t)
	if err := targettest.TestTarget(context.Background(), client(t, s, tokenA), "u1", "u2", "u3"); err != nil {
		t.Fatal(err)
	}
}

func TestR1ConnectionCheck(t *testing.T) {
	s := newServer(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/scim/v2"
	ln.Close()
	notSCIM := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	defer notSCIM.Close()
	jsonNotList := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"hello":"world"}`))
	}))
	defer jsonNotList.Close()

	tests := []struct {
		name, url, token, reason string
	}{
		{"R1 wrong token", s.URL, "nope", "R1 names 401 among the causes: a target that refuses the credentials is not connected"},
		{"R1 refused", refused, tokenA, "nothing listens there: a refused connection is not connected, and nothing can be pushed"},
		{"R1 not SCIM", notSCIM.URL, tokenA, "R1 expects a 200 ListResponse; an HTML page at that URL is no SCIM service"},
		{"R1 JSON but not a ListResponse", jsonNotList.URL, tokenA, "a 200 with JSON is not enough: R1 expects a ListResponse, which names its schema"},
		{"R1 wrong path", strings.TrimSuffix(s.URL, "/scim/v2") + "/nope", tokenA, "a base URL without /scim/v2 answers GET /Groups with 404: no SCIM service there"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := scimclient.New(tt.url, scimclient.Options{Auth: scimclient.Bearer(tt.token), MaxRetryWait: time.Millisecond})
			if err == nil {
				err = c.Check(context.Background())
			}
			if !errors.Is(err, groupsync.ErrNotConnected) {
				t.Errorf("Check = %v, want ErrNotConnected (%s)", err, tt.reason)
			}
		})
	}
	if _, err := scimclient.New("ftp://x", scimclient.Options{}); !errors.Is(err, groupsync.ErrNotConnected) {
		t.Errorf("NewClient with a bad URL = %v, want ErrNotConnected", err)
	}
	if err := client(t, s, tokenA).Check(context.Background()); err != nil {
		t.Errorf("Check of a good server: %v", err)
	}
}

// A push through the client to the scimx server, the article's way.
func TestClientSyncEndToEnd(t *testing.T) {
	s := newServer(t)
	lead := s.Put("a", appGroup("Leadership", "u7"))
	store := &groupsync.MemStore{}
	a := &groupsync.Applier{Target: client(t, s, tokenA), Store: store}
	in := groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u1", "u2"}},
		{ID: "00g2", Name: "Leadership", Members: []string{"u1"}},
	}}
	ctx := context.Background()
	if _, _, err := a.Sync(ctx, in); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"u1"}, s.Group("a", lead).Members.Slice()); d != "" {
		t.Errorf("associated members (-want +got):\n%s", d)
	}
	if p, _, err := a.Sync(ctx, in); err != nil || p.Len() != 0 {
		t.Errorf("second sync: %v, %d operations:\n%s", err, p.Len(), p)
	}
	in.Force = true
	if p, _, err := a.Sync(ctx, in); err != nil || p.Len() != 0 {
		t.Errorf("force sync: %v, %d operations:\n%s", err, p.Len(), p)
	}
}
