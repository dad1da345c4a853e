package scimx_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

// The ServiceProviderConfig document tells the truth: PATCH, filters and
// ETags are supported, bulk is not served (so it advertises no limits), and
// the one authentication scheme is the one configured.
func TestServiceProviderConfig(t *testing.T) {
	tests := []struct {
		name   string
		auth   scimx.Authenticator
		header []string // the credentials of a request the server accepts
		want   []any    // authenticationSchemes: their types
		reason string
	}{
		{name: "bearer", auth: scimx.BearerTokens(map[string]string{"t": "a"}),
			header: []string{"Authorization", "Bearer t"}, want: []any{"oauthbearertoken"},
			reason: "BearerTokens reads an RFC 6750 bearer token"},
		{name: "basic", auth: scimx.BasicAuth(map[string]scimx.Credential{"okta": {Password: "p", Tenant: "a"}}),
			header: []string{"Authorization", "Basic b2t0YTpw"}, want: []any{"httpbasic"},
			reason: "BasicAuth reads HTTP Basic credentials"},
		{name: "header", auth: scimx.HeaderTokens("X-API-Key", map[string]string{"t": "a"}),
			header: []string{"Authorization", "", "X-API-Key", "t"}, want: []any{"apikey"},
			reason: "HeaderTokens reads a token from a named header, which no RFC 7643 type names"},
		{name: "custom", auth: authFunc(func() (string, bool) { return "a", true }),
			want:   []any{},
			reason: "an authenticator of the app's own says nothing of its scheme, so none is advertised"},
	}
	features := []struct {
		name   string // the feature's attribute
		want   any    // its supported
		reason string
	}{
		{"patch", true, "the handler serves PATCH, which Okta's catalog apps and Entra ID send"},
		{"filter", true, "GET /Groups serves the filters clients send (displayName eq, externalId eq, members and more)"},
		{"etag", true, "groups are served with an ETag, and If-Match on a write is honoured"},
		{"bulk", false, "no /Bulk endpoint is served, so saying otherwise would invite requests that fail"},
		{"sort", false, "sortBy is ignored, so the server must not claim to sort"},
		{"changePassword", false, "this server serves groups only: it has no users and no passwords"},
	}
	tabletest.Check(t, tests)
	tabletest.Check(t, features)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, scimx.ServerOptions{Auth: tt.auth})
			r := s.do(t, "GET", "/ServiceProviderConfig", "", tt.header...).must(t, 200)
			var types []any
			for _, sc := range r.body["authenticationSchemes"].([]any) {
				types = append(types, sc.(map[string]any)["type"])
			}
			if d := cmp.Diff(tt.want, types, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("authentication scheme types (-want +got), %s:\n%s", tt.reason, d)
			}
			for _, c := range features {
				if got := r.body[c.name].(map[string]any)["supported"]; got != c.want {
					t.Errorf("%s.supported = %v, want %v: %s", c.name, got, c.want, c.reason)
				}
			}
			bulk := r.body["bulk"].(map[string]any)
			if bulk["maxOperations"] != float64(0) || bulk["maxPayloadSize"] != float64(0) {
				t.Errorf("bulk = %v, want no limits advertised: bulk is not served", bulk)
			}
			if got := r.body["filter"].(map[string]any)["maxResults"]; got != float64(1000) {
				t.Errorf("filter.maxResults = %v, want 1000", got)
			}
		})
	}
}

// authFunc is an Authenticator of an app's own.
type authFunc func() (string, bool)

func (f authFunc) Authenticate(*http.Request) (string, bool) { return f() }
