package scimx_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/scimx"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

func (s *testServer) client(t *testing.T, token string) *scimx.Client {
	t.Helper()
	c, err := scimx.NewClient(s.URL+"/scim/v2", scimx.ClientOptions{Auth: scimx.Bearer(token), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientPassesTargetConformance(t *testing.T) {
	s := newServer(t, scimx.Options{})
	if err := targettest.TestTarget(context.Background(), s.client(t, tokenA), "u1", "u2", "u3"); err != nil {
		t.Fatal(err)
	}
}

func TestR1ConnectionCheck(t *testing.T) {
	s := newServer(t, scimx.Options{})
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
		{"R1 wrong token", s.URL + "/scim/v2", "nope", "401 is not connected"},
		{"R1 refused", refused, tokenA, "nothing listens there"},
		{"R1 not SCIM", notSCIM.URL, tokenA, "an HTML page is not a ListResponse"},
		{"R1 JSON but not a ListResponse", jsonNotList.URL, tokenA, "a ListResponse has its schema"},
		{"R1 wrong path", s.URL + "/nope", tokenA, "404 on /Groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := scimx.NewClient(tt.url, scimx.ClientOptions{Auth: scimx.Bearer(tt.token), MaxRetryWait: time.Millisecond})
			if err == nil {
				err = c.Check(context.Background())
			}
			if !errors.Is(err, groupsync.ErrNotConnected) {
				t.Errorf("Check = %v, want ErrNotConnected (%s)", err, tt.reason)
			}
		})
	}
	if _, err := scimx.NewClient("ftp://x", scimx.ClientOptions{}); !errors.Is(err, groupsync.ErrNotConnected) {
		t.Errorf("NewClient with a bad URL = %v, want ErrNotConnected", err)
	}
	if err := s.client(t, tokenA).Check(context.Background()); err != nil {
		t.Errorf("Check of a good server: %v", err)
	}
}

// A push through the client to the scimx server, the article's way.
func TestClientSyncEndToEnd(t *testing.T) {
	s := newServer(t, scimx.Options{})
	lead := s.put(t, "a", appGroup("Leadership", "u7"))
	store := &groupsync.MemStore{}
	a := &groupsync.Applier{Target: s.client(t, tokenA), Store: store}
	in := groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u1", "u2"}},
		{ID: "00g2", Name: "Leadership", Members: []string{"u1"}},
	}}
	ctx := context.Background()
	if _, _, err := a.Sync(ctx, in); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"u1"}, s.stored(t, "a", lead).Members.Slice()); d != "" {
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
