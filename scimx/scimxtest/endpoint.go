package scimxtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Endpoint is a running SCIM 2.0 service whose /Groups endpoint
// [CheckEndpoint] and [TestEndpoint] check, with the reads of /Users that
// Okta and Entra ID make to connect: any app's, built with scimx or not.
// The checks talk to it over HTTP only, as Okta, Entra ID and the other
// clients of WIRE.md do; what only the app can do (create a group in its own
// UI, move a group to another type, read that type) it does through the
// hooks, and a check that needs a hook that is nil is skipped, saying so.
//
// The checks create groups whose names start with "gsck-" and a run id, in
// the tenant of Tenant (and of OtherTenant), and delete them when they are
// done where the endpoint allows: pushed groups over SCIM, app groups with
// DeleteAppGroup.
type Endpoint struct {
	// URL is the SCIM base URL, such as "https://app.example.com/scim/v2":
	// groups are at URL + "/Groups", users at URL + "/Users". Required.
	URL string
	// Tenant authorizes the checks' requests, as the credentials configured
	// in Okta or Entra ID do. Required.
	Tenant Credential
	// OtherTenant authorizes requests as a second tenant of the same
	// service, for the checks of R16; nil skips them.
	OtherTenant Credential
	// Users are ids of users of Tenant that groups may hold as members:
	// at least 5, and the checks of Okta's batch sizes need 1,000. Nil
	// means made-up ids, for an endpoint that takes any member value.
	Users []string
	// OtherUsers are the same for OtherTenant: at least 2 when given.
	OtherUsers []string
	// DefaultType is the type the app gives a new pushed group (R3), as
	// GroupType reads it. Empty means the checks do not know it and check
	// only that pushed groups get the same type.
	DefaultType string
	// Client sends the requests; nil means a client of its own.
	Client *http.Client
	// Timeout bounds every request; zero means 30 seconds (Okta gives up
	// after 60).
	Timeout time.Duration

	// CreateAppGroup creates a group in the app of Tenant, as its own UI
	// does (Origin=Target), with those members, and returns its SCIM id.
	// It is called with the same name twice for the check of ambiguous
	// names; an app that refuses that returns an error, and that check is
	// skipped. Nil skips the checks of app groups (R5, R7, JumpCloud).
	CreateAppGroup func(ctx context.Context, name string, members []string) (id string, err error)
	// DeleteAppGroup deletes a group in the app of Tenant, as its own UI
	// does: the cleanup of app groups, which SCIM may not delete (R7). Nil
	// leaves them behind, noted in the results.
	DeleteAppGroup func(ctx context.Context, id string) error
	// SetGroupType moves a group of Tenant to another type in the app, or
	// changes whatever app-local attribute stands for it (R4). Nil skips
	// the checks of local attributes.
	SetGroupType func(ctx context.Context, id, groupType string) error
	// GroupType reads the type SetGroupType sets. Nil skips the checks of
	// local attributes and of the default type.
	GroupType func(ctx context.Context, id string) (string, error)
}

// Credential authorizes a request to an [Endpoint], as a SCIM client's
// configured credentials do: it sets a header.
type Credential func(*http.Request)

// Bearer returns the credential of a bearer token, the way Okta and Entra
// ID send it.
func Bearer(token string) Credential {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Basic returns the credential of HTTP Basic authentication.
func Basic(user, password string) Credential {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return func(r *http.Request) { r.Header.Set("Authorization", "Basic "+auth) }
}

// Header returns the credential of a token sent as the whole value of a
// header of that name, such as "X-API-Key".
func Header(name, value string) Credential {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// Outcome is how a check ended: it passed, failed, or was skipped.
type Outcome int

// The outcomes of a check.
const (
	Passed Outcome = iota + 1
	Failed
	Skipped
)

// String returns PASS, FAIL or SKIP, as the lines of examples/conformance
// start.
func (o Outcome) String() string {
	switch o {
	case Passed:
		return "PASS"
	case Failed:
		return "FAIL"
	case Skipped:
		return "SKIP"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// The clients whose request sequences the checks send, as WIRE.md
// describes them, in the order [Clients] returns them.
const (
	OktaCatalog = "Okta catalog apps"
	OktaWizard  = "Okta wizard apps"
	Entra       = "Entra ID"
	EntraFlag   = "Entra ID with aadOptscim062020"
	JumpCloud   = "JumpCloud"
	Authentik   = "authentik"
	OneLogin    = "OneLogin"
)

// Clients returns the clients whose pushes the checks stand for, in order.
func Clients() []string {
	return []string{OktaCatalog, OktaWizard, Entra, EntraFlag, JumpCloud, Authentik, OneLogin}
}

// Result is how one check went.
type Result struct {
	// Check names the check, such as "Okta catalog apps" or "R5 associate
	// by exact name".
	Check string
	// Clients are the clients whose pushes break when the check fails;
	// none for a check of SPEC.md that none of them relies on.
	Clients []string
	// Outcome is how the check ended.
	Outcome Outcome
	// Failures say, for a failed check, which client breaks and how, one
	// line each, such as "Okta catalog apps: membership pushes fail: remove
	// by filter answered 400 invalidPath".
	Failures []string
	// Reason says why the check was skipped.
	Reason string
	// Notes are what the check could not do or undo: steps it left out
	// and groups it could not delete.
	Notes []string
	// Elapsed is how long the check took.
	Elapsed time.Duration
}

// Checks returns the names of the checks, in the order they run.
func Checks() []string {
	names := make([]string, len(endpointChecks))
	for i, c := range endpointChecks {
		names[i] = c.name
	}
	return names
}

// ErrBadEndpoint is what [CheckEndpoint] returns, wrapped, for an
// [Endpoint] it cannot use.
var ErrBadEndpoint = errors.New("scimxtest: bad Endpoint")

// CheckEndpoint runs every check of the kit against e, one after another:
// every request sequence of WIRE.md (the reads of /Users with which Okta
// and Entra ID connect among them) and the target-side rules of SPEC.md
// (R2, R3, R4, R5, R7, R16, atomic PATCH, paging, projection, filters,
// ETags, bad input and limits). It calls report, when not nil, with each
// result as soon as it is known, and returns them all, in the order of
// [Checks]. When the endpoint does not answer the first check, an
// authenticated list request, the others are skipped; so are those not
// started when ctx ends.
//
// CheckEndpoint returns an error wrapping [ErrBadEndpoint], and runs
// nothing, when e has no http or https URL or no Tenant, or fewer Users or
// OtherUsers than it needs. Whatever the endpoint answers is a result, not
// an error.
func CheckEndpoint(ctx context.Context, e Endpoint, report func(Result)) ([]Result, error) {
	k, err := newKit(e)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range endpointChecks {
		r := k.run(ctx, c)
		if report != nil {
			report(r)
		}
		out = append(out, r)
	}
	return out, nil
}

// TestEndpoint runs the checks of [CheckEndpoint] against e as subtests of
// t, one per check and named after it, so that
// go test -run 'TestX/R5' runs the checks of R5. A failed check reports
// each of its failures with t.Error; a skipped one calls t.Skip with the
// reason; notes are logged. It fails t at once when e cannot be used.
func TestEndpoint(t *testing.T, e Endpoint) {
	t.Helper()
	k, err := newKit(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range endpointChecks {
		t.Run(c.name, func(t *testing.T) {
			r := k.run(t.Context(), c)
			for _, n := range r.Notes {
				t.Log(n)
			}
			switch r.Outcome {
			case Skipped:
				t.Skip(r.Reason)
			case Failed:
				for _, f := range r.Failures {
					t.Error(f)
				}
			}
		})
	}
}

// ClientSummary is how the checks went for one client.
type ClientSummary struct {
	// Client is one of [Clients], or "" for the checks that stand for no
	// client in particular.
	Client string
	// Passed, Failed and Skipped name the checks of the client by outcome.
	Passed, Failed, Skipped []string
}

// Summarize sums results up by client, in the order of [Clients], with the
// checks that stand for no client last, under "".
func Summarize(results []Result) []ClientSummary {
	var out []ClientSummary
	for _, client := range append(Clients(), "") {
		s := ClientSummary{Client: client}
		for _, r := range results {
			if client == "" && len(r.Clients) > 0 || client != "" && !slices.Contains(r.Clients, client) {
				continue
			}
			switch r.Outcome {
			case Passed:
				s.Passed = append(s.Passed, r.Check)
			case Failed:
				s.Failed = append(s.Failed, r.Check)
			case Skipped:
				s.Skipped = append(s.Skipped, r.Check)
			}
		}
		if len(s.Passed)+len(s.Failed)+len(s.Skipped) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// check is one check of the kit.
type check struct {
	name    string
	clients []string
	// who opens the check's failure lines: the clients that break.
	who string
	run func(p *probe)
}

// kit is one run of the checks against one endpoint.
type kit struct {
	e     Endpoint
	base  string
	runID string
	users []string // of Tenant, at least 5
	other []string // of OtherTenant, at least 2

	mu           sync.Mutex
	connected    error // the first check's failure, once it has run
	ran          int   // checks started, for unique names
	discoverOnce sync.Once
	extensions   []extAttr
}

func newKit(e Endpoint) (*kit, error) {
	u, err := url.Parse(e.URL)
	if err != nil || e.URL == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q is not an http or https URL", ErrBadEndpoint, e.URL)
	}
	if e.Tenant == nil {
		return nil, fmt.Errorf("%w: no Tenant credential", ErrBadEndpoint)
	}
	if e.Users != nil && len(e.Users) < 5 {
		return nil, fmt.Errorf("%w: %d Users, want at least 5", ErrBadEndpoint, len(e.Users))
	}
	if e.OtherUsers != nil && len(e.OtherUsers) < 2 {
		return nil, fmt.Errorf("%w: %d OtherUsers, want at least 2", ErrBadEndpoint, len(e.OtherUsers))
	}
	if e.Timeout <= 0 {
		e.Timeout = 30 * time.Second
	}
	if e.Client == nil {
		e.Client = &http.Client{}
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	k := &kit{e: e, base: strings.TrimSuffix(e.URL, "/"), runID: hex.EncodeToString(b)}
	k.users = e.Users
	if k.users == nil {
		for i := range 1000 {
			k.users = append(k.users, fmt.Sprintf("gsck-%s-user-%d", k.runID, i+1))
		}
	}
	k.other = e.OtherUsers
	if k.other == nil {
		k.other = []string{"gsck-" + k.runID + "-other-1", "gsck-" + k.runID + "-other-2"}
	}
	return k, nil
}

// run runs one check and returns its result.
func (k *kit) run(ctx context.Context, c check) Result {
	k.mu.Lock()
	k.ran++
	n, connected := k.ran, k.connected
	k.mu.Unlock()
	res := Result{Check: c.name, Clients: c.clients}
	start := time.Now()
	if connected != nil {
		res.Outcome, res.Reason = Skipped, "the endpoint failed the first check, "+endpointChecks[0].name
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Outcome, res.Reason = Skipped, "not run: "+err.Error()
		return res
	}
	p := &probe{k: k, ctx: ctx, who: c.who, res: &res, prefix: fmt.Sprintf("gsck-%s-%02d ", k.runID, n)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer p.cleanup()
		defer func() {
			if v := recover(); v != nil {
				p.record(fmt.Sprintf("%s: the check itself failed: panic: %v\n%s", c.who, v, debug.Stack()))
			}
		}()
		c.run(p)
	}()
	<-done
	res.Elapsed = time.Since(start)
	switch {
	case len(res.Failures) > 0:
		res.Outcome = Failed
	case res.Reason != "":
		res.Outcome = Skipped
	default:
		res.Outcome = Passed
	}
	return res
}

// probe is what a check runs with: the requests it sends, the failures it
// records, the groups it cleans up.
type probe struct {
	k      *kit
	ctx    context.Context
	who    string
	prefix string // of the names of the groups it creates
	query  string // on every read of a group, such as "?aadOptscim062020"
	// lostLink is set once a lost externalId has been reported.
	lostLink bool

	mu       sync.Mutex
	res      *Result
	pushed   []pushed // groups to delete over SCIM
	appGroup []string // app groups to delete with the hook
}

type pushed struct {
	cred Credential
	id   string
}

// record records a failure, once: a step a check repeats reports it once.
func (p *probe) record(failure string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.res.Failures, failure) {
		p.res.Failures = append(p.res.Failures, failure)
	}
}

// failf records that the check's clients break: effect is how ("membership
// pushes fail"), the rest what the endpoint did.
func (p *probe) failf(effect, format string, args ...any) {
	p.record(p.who + ": " + effect + ": " + fmt.Sprintf(format, args...))
}

// fatalf records a failure and ends the check.
func (p *probe) fatalf(effect, format string, args ...any) {
	p.failf(effect, format, args...)
	runtime.Goexit()
}

// skipf ends the check as skipped, unless it has failed already.
func (p *probe) skipf(format string, args ...any) {
	p.mu.Lock()
	p.res.Reason = fmt.Sprintf(format, args...)
	p.mu.Unlock()
	runtime.Goexit()
}

// notef records a note: a step left out, a group left behind.
func (p *probe) notef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Notes = append(p.res.Notes, fmt.Sprintf(format, args...))
}

// failed reports whether the check has failed so far.
func (p *probe) failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.res.Failures) > 0
}

// name returns a name for a group of the check, unique to the run.
func (p *probe) name(s string) string { return p.prefix + s }

// need skips the check unless every hook named is set.
func (p *probe) need(hooks ...string) {
	var missing []string
	for _, h := range hooks {
		var set bool
		switch h {
		case "CreateAppGroup":
			set = p.k.e.CreateAppGroup != nil
		case "SetGroupType":
			set = p.k.e.SetGroupType != nil
		case "GroupType":
			set = p.k.e.GroupType != nil
		case "OtherTenant":
			set = p.k.e.OtherTenant != nil
		default:
			panic("scimxtest: unknown hook " + h)
		}
		if !set {
			missing = append(missing, h)
		}
	}
	switch {
	case len(missing) == 0:
	case len(missing) == 1 && missing[0] == "OtherTenant":
		p.skipf("needs a second tenant's credentials (Endpoint.OtherTenant)")
	case len(missing) == 1:
		p.skipf("needs the app's hook Endpoint.%s", missing[0])
	default:
		p.skipf("needs the app's hooks Endpoint.%s", strings.Join(missing, " and Endpoint."))
	}
}

// cleanup deletes the groups the check created, with a context of its own
// so that it runs when the caller's has ended.
func (p *probe) cleanup() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), time.Minute)
	defer cancel()
	p.ctx = ctx
	for _, g := range slices.Backward(p.pushed) {
		r := p.send(g.cred, "DELETE", "/Groups/"+g.id, "")
		if r.err != nil || r.status >= 300 && r.status != http.StatusNotFound {
			p.notef("left group %s behind: DELETE %s", g.id, r.what())
		}
	}
	for _, id := range p.appGroup {
		if p.k.e.DeleteAppGroup == nil {
			p.notef("left app group %s behind: no DeleteAppGroup hook", id)
			continue
		}
		if err := p.k.e.DeleteAppGroup(ctx, id); err != nil {
			p.notef("left app group %s behind: DeleteAppGroup: %v", id, err)
		}
	}
}
