package scimx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// Tokens of the two tenants every test server knows.
const (
	tokenA = "token-tenant-a"
	tokenB = "token-tenant-b"
)

type testServer struct {
	*httptest.Server
	store *scimx.MemStore
}

func newServer(tb testing.TB, opts scimx.Options) *testServer {
	tb.Helper()
	return newServerWith(tb, scimx.ServerOptions{Handler: opts})
}

// newServerWith is newServer with server options of its own; Auth defaults
// to the two tenants' tokens.
func newServerWith(tb testing.TB, opts scimx.ServerOptions) *testServer {
	tb.Helper()
	store := &scimx.MemStore{}
	if opts.Auth == nil {
		opts.Auth = scimx.BearerTokens(map[string]string{tokenA: "a", tokenB: "b"})
	}
	h, err := scimx.NewServer(store, opts)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", h))
	ts := httptest.NewServer(mux)
	tb.Cleanup(ts.Close)
	return &testServer{Server: ts, store: store}
}

// reply is a decoded response.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with tenant a's token unless header says otherwise.
func (s *testServer) do(t *testing.T, method, path, body string, header ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+"/scim/v2"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

// must checks the status of r.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// put stores a group in tenant as the app would, returning its id.
func (s *testServer) put(t testing.TB, tenant string, g group.Group) string {
	t.Helper()
	var id string
	err := s.store.Update(context.Background(), tenant, func(tx scimx.Tx) error {
		rec, err := tx.Create(g)
		id = rec.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// stored reads a group of tenant with its members.
func (s *testServer) stored(t testing.TB, tenant, id string) scimx.Record {
	t.Helper()
	var rec scimx.Record
	err := s.store.View(context.Background(), tenant, func(tx scimx.Tx) (err error) {
		rec, err = tx.Group(id, true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func appGroup(name string, members ...string) group.Group {
	return group.Group{Name: name, Origin: origin.Target, Type: "Teams", Members: group.NewMembers(members...)}
}

func memberValues(t *testing.T, r reply) []string {
	t.Helper()
	var out []string
	ms, _ := r.body["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}
