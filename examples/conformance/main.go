// Command conformance checks a running SCIM 2.0 service's /Groups endpoint,
// any app's, against what Okta, Entra ID, JumpCloud, authentik and OneLogin
// send (WIRE.md) and the target-side rules of SPEC.md, before the first
// real push does:
//
//	go run ./examples/conformance -target URL -token T [-token2 T2] [-admin URL] [-user ID]... [-default-type T] [-v]
//
// -target is the SCIM base URL (the one given to Okta, ending in /scim/v2
// for the demo app); -token the bearer token of the tenant to check in,
// -token2 that of a second tenant, for the checks of R16. -admin is the
// base URL of the demo app's admin API (examples/scim-server serves it
// under /admin), which the checks use for what only the app can do: create
// a group in the app, move it to another type, read its type. -user names
// a user of the tenant that groups may hold (repeat it, at least 5 times),
// for an app that refuses unknown member values; without -user the checks
// make up ids. -default-type is the type the app gives pushed groups.
//
// It prints one line per check, PASS, FAIL with what breaks for which
// client, or SKIP with the reason, then a summary by client. It deletes
// the groups it created where the endpoint allows. Exit status: 0 when no
// check failed, 1 when one did, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/groupsync/groupsync/scimx/scimxtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, errFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
}

// errFailed is run's answer when a check failed.
var errFailed = errors.New("a check failed")

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// run checks the endpoint the flags in args name and prints the results
// to stdout. It returns errFailed when a check failed.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stdout)
	target := fs.String("target", "", "the SCIM base URL, such as http://127.0.0.1:8080/scim/v2 (required)")
	token := fs.String("token", "", "the bearer token of the tenant to check in (required; SCIM_TOKEN if empty)")
	token2 := fs.String("token2", "", "the bearer token of a second tenant, for the checks of R16")
	admin := fs.String("admin", "", "the base URL of the demo app's admin API, such as http://127.0.0.1:8080/admin")
	defaultType := fs.String("default-type", "", "the type the app gives pushed groups, as the admin API shows it")
	var users list
	fs.Var(&users, "user", "a user id of the tenant that groups may hold; repeat, at least 5 times")
	timeout := fs.Duration("timeout", 30*time.Second, "the longest wait for one answer")
	verbose := fs.Bool("v", false, "print what each check left out or behind")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *token == "" {
		*token = os.Getenv("SCIM_TOKEN")
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	case *target == "":
		return errors.New("-target is required")
	case *token == "":
		return errors.New("-token (or SCIM_TOKEN) is required")
	}
	e := scimxtest.Endpoint{URL: *target, Tenant: scimxtest.Bearer(*token), Users: users, DefaultType: *defaultType, Timeout: *timeout}
	if *token2 != "" {
		e.OtherTenant = scimxtest.Bearer(*token2)
	}
	if *admin != "" {
		a := &adminAPI{base: strings.TrimSuffix(*admin, "/"), token: *token, client: &http.Client{Timeout: *timeout}}
		e.CreateAppGroup, e.DeleteAppGroup, e.SetGroupType, e.GroupType = a.create, a.delete, a.setType, a.groupType
	}
	fmt.Fprintf(stdout, "Checking %s\n\n", *target)
	results, err := scimxtest.CheckEndpoint(ctx, e, func(r scimxtest.Result) { printResult(stdout, r, *verbose) })
	if err != nil {
		return err
	}
	printSummary(stdout, results)
	for _, r := range results {
		if r.Outcome == scimxtest.Failed {
			return errFailed
		}
	}
	return nil
}

// printResult prints one check's line, its failures below it.
func printResult(w io.Writer, r scimxtest.Result, verbose bool) {
	switch r.Outcome {
	case scimxtest.Skipped:
		fmt.Fprintf(w, "SKIP  %s: %s%s\n", r.Check, r.Reason, hint(r.Reason))
	default:
		fmt.Fprintf(w, "%s  %s\n", r.Outcome, r.Check)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "      %s\n", f)
	}
	if verbose {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "      note: %s\n", n)
		}
	}
}

// hint names the flag that would let a skipped check run.
func hint(reason string) string {
	switch {
	case strings.Contains(reason, "OtherTenant"):
		return "; give -token2"
	case strings.Contains(reason, "hook"):
		return "; give -admin (the demo app's admin API)"
	}
	return ""
}

// printSummary prints how the checks went for each client, then the
// totals.
func printSummary(w io.Writer, results []scimxtest.Result) {
	fmt.Fprintln(w, "\nBy client:")
	for _, s := range scimxtest.Summarize(results) {
		name := s.Client
		if name == "" {
			name = "SPEC.md, no client in particular"
		}
		line := fmt.Sprintf("%d passed", len(s.Passed))
		if len(s.Failed) > 0 {
			line = fmt.Sprintf("BREAKS: %d failed (%s), %s", len(s.Failed), strings.Join(s.Failed, ", "), line)
		}
		if len(s.Skipped) > 0 {
			line += fmt.Sprintf(", %d skipped", len(s.Skipped))
		}
		fmt.Fprintf(w, "  %-34s %s\n", name, line)
	}
	var n [4]int
	for _, r := range results {
		n[r.Outcome]++
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", n[scimxtest.Passed], n[scimxtest.Failed], n[scimxtest.Skipped])
}
