package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/examples/internal/article/articletest"
	"github.com/groupsync/groupsync/internal/tabletest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// serve serves the demo app, behind wrap when it is not nil, with the
// tenants of the tokens t1 and t2.
func serve(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h, err := app.New(app.Config{Tokens: map[string]string{"t1": "tenant-1", "t2": "tenant-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// check runs the command against the app at base with args, and returns
// its output, the URL replaced by a fixed one.
func check(t *testing.T, base string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"-target", base + "/scim/v2", "-token", "t1"}, args...), &out)
	return strings.ReplaceAll(out.String(), base, "http://127.0.0.1:8080"), err
}

// The demo app passes every check, with its admin API for the hooks, and
// the checks leave nothing behind.
func TestRunPassesTheExampleApp(t *testing.T) {
	base := serve(t, nil)
	out, err := check(t, base, "-token2", "t2", "-admin", base+"/admin", "-default-type", "Groups")
	if err != nil {
		t.Errorf("run: %v\n%s", err, out)
	}
	articletest.Golden(t, filepath.Join("testdata", "example-app.golden"), []byte(out), *update)
	for _, token := range []string{"t1", "t2"} {
		req, _ := http.NewRequest("GET", base+"/admin/groups", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var left []map[string]any
		err = json.NewDecoder(res.Body).Decode(&left)
		res.Body.Close()
		if err != nil || len(left) > 0 {
			t.Errorf("the checks left %d groups behind in the tenant of %s (%v): %v", len(left), token, err, left)
		}
	}
}

// Without a second tenant or the admin API the checks that need them are
// skipped, each with the flag that would let it run, and the run passes.
func TestRunSkipsWhatItCannotCheck(t *testing.T) {
	out, err := check(t, serve(t, nil))
	if err != nil {
		t.Errorf("run: %v\n%s", err, out)
	}
	articletest.Golden(t, filepath.Join("testdata", "skips.golden"), []byte(out), *update)
}

// A fault in front of the demo app fails the run, on the line of the check
// made for it, and the summary names the clients that break.
func TestRunCatchesABrokenApp(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		wrap   func(http.Handler) http.Handler
		lines  []string // in the output
	}{
		{"projection dropped", "a proxy that drops excludedAttributes sends Entra ID every member list",
			func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					q.Del("excludedAttributes")
					r.URL.RawQuery = q.Encode()
					next.ServeHTTP(w, r)
				})
			},
			[]string{"FAIL  SCIM projection", "Entra ID, OneLogin: Entra ID's reads cost the whole member list", "Entra ID                           BREAKS"}},
		{"404 for no match", "a filter with no match answered 404 puts Entra ID's job in quarantine",
			func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					if r.URL.Query().Has("filter") && strings.Contains(rec.Body.String(), `"totalResults":0`) {
						w.Header().Set("Content-Type", "application/scim+json")
						w.WriteHeader(http.StatusNotFound)
						_, _ = io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no group matches"}`)
						return
					}
					for k, v := range rec.Header() {
						w.Header()[k] = v
					}
					w.WriteHeader(rec.Code)
					_, _ = w.Write(rec.Body.Bytes())
				})
			},
			[]string{"FAIL  SCIM filters", "FAIL  Entra ID", "FAIL  Okta catalog apps", "Okta catalog apps                  BREAKS"}},
		{"no /Users", "a proxy that passes only /Groups on keeps Okta from saving provisioning and fails Entra ID's Test Connection",
			func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/scim/v2/Users") {
						http.NotFound(w, r)
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			[]string{"FAIL  Okta and Entra ID connect: the Users reads",
				"Okta: provisioning cannot be saved: GET /Users?startIndex=1&count=2 answered 404",
				"Entra ID: Test Connection fails: GET /Users?filter=userName+eq+%22<random uuid>%22 answered 404",
				"Okta wizard apps                   BREAKS", "Entra ID with aadOptscim062020     BREAKS"}},
	}
	tabletest.Check(t, tests)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := check(t, serve(t, tc.wrap))
			if !errors.Is(err, errFailed) {
				t.Errorf("run = %v, want errFailed (%s)", err, tc.reason)
			}
			for _, l := range tc.lines {
				if !strings.Contains(out, l) {
					t.Errorf("the output has no line %q (%s):\n%s", l, tc.reason, out)
				}
			}
		})
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		name, reason string
		args         []string
		ok           bool
	}{
		{"help", "-h prints the flags and succeeds", []string{"-h"}, true},
		{"no target", "-target is required", []string{"-token", "x"}, false},
		{"no token", "a token is required (SCIM_TOKEN is empty in the test)", []string{"-target", "http://127.0.0.1:1/scim/v2"}, false},
		{"unknown flag", "the command takes only its flags", []string{"-target", "http://127.0.0.1:1/scim/v2", "-token", "x", "-nope"}, false},
		{"extra argument", "the command takes no arguments", []string{"-target", "http://127.0.0.1:1/scim/v2", "-token", "x", "extra"}, false},
		{"bad URL", "the target must be an http or https URL", []string{"-target", "ftp://example.com", "-token", "x"}, false},
	}
	tabletest.Check(t, tests)
	t.Setenv("SCIM_TOKEN", "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard)
			if (err == nil) != tc.ok || errors.Is(err, errFailed) {
				t.Errorf("run(%q) = %v; want ok %v (%s)", tc.args, err, tc.ok, tc.reason)
			}
		})
	}
}

// A target that does not answer fails the first check and skips the rest.
func TestRunUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	base := ts.URL
	ts.Close()
	out, err := check(t, base)
	if !errors.Is(err, errFailed) {
		t.Errorf("run = %v, want errFailed", err)
	}
	if !strings.Contains(out, "FAIL  SCIM connection") || !strings.Contains(out, "0 passed, 1 failed, 23 skipped") {
		t.Errorf("output:\n%s", out)
	}
}
