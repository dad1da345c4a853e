package scimxtest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/scimx/scimxtest"
)

// TestEndpointSCIMMY points the kit at a SCIM server no one here wrote:
// SCIMMY and its express routers, from npm, with the glue their READMEs
// show (testdata/endpoint-scimmy). It is installed into a temporary
// directory when npm is on PATH. The kit must find the rules SCIMMY breaks
// and say so; the test log lists them. Without npm, or without the npm
// registry, it is skipped, saying why.
func TestEndpointSCIMMY(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH, so SCIMMY cannot be installed")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH, so SCIMMY cannot run")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	for _, f := range []string{"package.json", "server.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "endpoint-scimmy", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install of SCIMMY failed (is the npm registry reachable?): %v\n%s", err, out)
	}

	srv := exec.Command(node, "server.mjs", "scimmy-a", "scimmy-b")
	srv.Dir = dir
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	port := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if p, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
				port <- p
			}
		}
	}()
	var base string
	select {
	case p := <-port:
		base = "http://127.0.0.1:" + p + "/scim/v2"
	case <-time.After(30 * time.Second):
		t.Fatal("SCIMMY did not start within 30 seconds")
	}

	// 100 users: Okta's batches of 1,000 take SCIMMY over half a minute.
	var users []string
	for i := range 100 {
		users = append(users, fmt.Sprintf("scimmy-user-%d", i+1))
	}
	results, err := scimxtest.CheckEndpoint(ctx, scimxtest.Endpoint{
		URL: base, Tenant: scimxtest.Bearer("scimmy-a"), OtherTenant: scimxtest.Bearer("scimmy-b"), Users: users,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range results {
		t.Logf("%s  %s %s (%v)", r.Outcome, r.Check, r.Reason, r.Elapsed.Round(time.Millisecond))
		for _, f := range r.Failures {
			t.Logf("      %s", f)
		}
		if r.Outcome == scimxtest.Failed {
			failed = append(failed, r.Check)
		}
	}
	if results[0].Outcome != scimxtest.Passed {
		t.Fatalf("the kit could not talk to SCIMMY, so its failures say nothing about SCIMMY: %v", results[0].Failures)
	}
	// What SCIMMY with its README's glue leaves to the app or gets wrong:
	// no association by name, PATCH applied in part, paging fields that do
	// not follow the page, duplicate members, no If-Match.
	for _, check := range []string{"R5 associate by exact name", "SCIM atomic PATCH", "SCIM paging", scimxtest.Entra, "SCIM ETag"} {
		if !slices.Contains(failed, check) {
			t.Errorf("the kit passed SCIMMY on %q, which SCIMMY 1.3.5 breaks", check)
		}
	}
	t.Logf("SCIMMY breaks %d of %d checks: %s", len(failed), len(results), strings.Join(failed, ", "))
}
