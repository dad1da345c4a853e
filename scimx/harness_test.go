package scimx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// Tokens of the two tenants every test server knows.
const (
	tokenA = scimxtest.TokenA
	tokenB = scimxtest.TokenB
)

// testServer is the SCIM server of scimxtest, whose tenants are "a" and "b".
type testServer struct{ *scimxtest.Server }

// newServer starts a test server with opts; Auth defaults to the two
// tenants' tokens.
func newServer(tb testing.TB, opts scimx.ServerOptions) *testServer {
	tb.Helper()
	return &testServer{scimxtest.NewServer(tb, opts)}
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
	req, err := http.NewRequest(method, s.URL+path, rd)
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
