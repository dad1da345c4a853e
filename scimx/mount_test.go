package scimx_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

// R18: Mount routes a path as it comes: the SCIM service authenticates
// every path under the prefix, dot segments included, and the app's other
// routes get everything else.
func TestMount(t *testing.T) {
	srv, err := scimx.NewServer(&scimx.MemStore{}, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"t": "a"})})
	if err != nil {
		t.Fatal(err)
	}
	app := http.NewServeMux()
	app.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	ts := httptest.NewServer(scimx.Mount("/scim/", srv, app))
	defer ts.Close()
	tests := []struct {
		name, path, token string
		status            int
		reason            string
	}{
		{name: "R16 SCIM without a credential", path: "/scim/v2/Groups", status: 401,
			reason: "every path under the prefix goes to the service, which authenticates it"},
		{name: "R18 dot segments before authentication", path: "/scim/v2/Groups/..", status: 401,
			reason: "a ServeMux would redirect it before authentication; Mount hands it to the service as it is"},
		{name: "R18 dot segments after authentication", path: "/scim/v2/Groups/..", token: "t", status: 404,
			reason: "an id that is not one path segment is a SCIM 404"},
		{name: "SCIM list", path: "/scim/v2/Groups", token: "t", status: 200,
			reason: "the prefix is stripped: the service sees /v2/Groups"},
		{name: "the app's route", path: "/health", status: 200,
			reason: "every other path goes to the app's own handler"},
		{name: "the prefix without its slash", path: "/scimx", status: 404,
			reason: "a path that only starts with the prefix's letters is not under it"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, err := http.DefaultTransport.RoundTrip(req) // no redirect is followed
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("GET %s = %d, want %d: %s", tt.path, res.StatusCode, tt.status, tt.reason)
			}
		})
	}
}
