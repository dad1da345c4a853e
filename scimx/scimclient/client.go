// Package scimclient pushes groups to any SCIM 2.0 app: its [Client] is a
// [groupsync.Target], which a [groupsync.Applier] pushes through.
//
//	client, err := scimclient.New("https://app.example.com/scim/v2", scimclient.Options{
//		Auth: scimclient.Bearer(token),
//	})
//
// The client speaks to any server, not only to apps built with this module:
// it copes with the habits of real servers (WIRE.md, "Servers a pushing
// client meets"), makes the connection check of R1 before a push, retries
// transient failures as R15 says, and maps SCIM answers to the errors of
// package sync. It imports nothing of the SCIM server library.
//
// This package imports the standard library's sync as well, so it imports
// github.com/groupsync/groupsync/sync as groupsync.
package scimclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	groupsync "github.com/groupsync/groupsync/sync"
)

// Options configure a [Client]. The zero value is usable but for Auth.
type Options struct {
	// HTTPClient sends the requests, so OAuth2, mTLS and proxies work; nil
	// means http.DefaultClient.
	HTTPClient *http.Client
	// Auth authenticates each request: [Bearer], [Basic] or [Header].
	Auth Credentials
	// Timeout bounds each request attempt; zero means 60 seconds, the time
	// Okta gives a SCIM app to answer.
	Timeout time.Duration
	// MaxRetryWait bounds the time one request waits in retries of
	// transient failures (429, 500, 502, 503, 504, connection errors,
	// timeouts); zero means 5 minutes (R15). Past it, the request fails.
	MaxRetryWait time.Duration
	// UnavailableAfter is how long the target may go without answering
	// (no answer, or only 5xx answers) before the client stops retrying
	// (R19): once every request has failed for that long, a request that
	// fails again fails at once, with an error wrapping
	// [groupsync.ErrUnavailable], instead of waiting up to MaxRetryWait;
	// while the target is failing, each attempt's timeout is at most what
	// is left of that time (and at least 5 seconds). The first answer ends
	// the failing spell. Zero means 30 seconds. With the applier's
	// [groupsync.Applier.MaxUnavailable], a push to a target that went down
	// stops within about this time.
	UnavailableAfter time.Duration
	// RequestsPerSecond, when positive, caps the rate of requests.
	RequestsPerSecond float64
	// PageSize is the count asked for per list page; zero means 100.
	PageSize int
	// ListProgress, when set, is called after each page that List reads,
	// with the number of groups listed so far.
	ListProgress func(listed int)
	// Logger receives a record per retried request; nil discards them.
	Logger *slog.Logger
}

// checkRetryWait bounds the retries of the connection check.
const checkRetryWait = 10 * time.Second

// The SCIM schemas the client writes and reads.
const (
	groupSchema   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listSchema    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Credentials authenticate a request: they set its Authorization header, or
// another one.
type Credentials func(*http.Request)

// Bearer authenticates with "Authorization: Bearer token".
func Bearer(token string) Credentials {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Basic authenticates with HTTP Basic authentication.
func Basic(user, password string) Credentials {
	v := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	return func(r *http.Request) { r.Header.Set("Authorization", v) }
}

// Header authenticates with a named header, such as X-API-Key.
func Header(name, value string) Credentials {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// Client pushes groups to any SCIM 2.0 app: it is a [groupsync.Target]. It
// copes with the habits of real servers (answers without bodies or Location
// headers, string statuses in errors, duplicate members, name filters that
// ignore case), retries transient failures with backoff and jitter, and maps
// SCIM answers to the sync package's errors. It is safe for concurrent use.
type Client struct {
	base string
	opts Options

	limiter limiter
	health  health
	spc     gosync.Once
	patchOK bool // the server supports PATCH; read from ServiceProviderConfig
}

var (
	_ groupsync.Target       = (*Client)(nil)
	_ groupsync.TargetAnswer = (*HTTPError)(nil)
)

// New returns a client of the SCIM service at baseURL, such as
// "https://app.example.com/scim/v2". A baseURL that is not an absolute
// http or https URL is an error wrapping [groupsync.ErrNotConnected].
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("scimclient: base URL %q is not an http(s) URL: %w", baseURL, groupsync.ErrNotConnected)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 5 * time.Minute
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.UnavailableAfter <= 0 {
		opts.UnavailableAfter = 30 * time.Second
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), opts: opts}
	c.limiter.every = rateInterval(opts.RequestsPerSecond)
	return c, nil
}

// Check makes the connection check of R1: an authenticated
// GET /Groups?startIndex=1&count=1 that must answer a 200 ListResponse. It
// retries transient failures for at most ten seconds, so that a target that
// is down is reported soon. Its error wraps [groupsync.ErrNotConnected] and
// the cause.
func (c *Client) Check(ctx context.Context) error {
	var lr listResponse
	err := c.doWithin(ctx, min(c.opts.MaxRetryWait, checkRetryWait), http.MethodGet, "/Groups?startIndex=1&count=1", nil, &lr)
	if err == nil && !lr.isListResponse() {
		err = errors.New("the answer is not a SCIM ListResponse")
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w: %w", c.base, groupsync.ErrNotConnected, err)
	}
	return nil
}

// List implements [groupsync.Target]: after the connection check, it reads
// every page of groups without members. Paging follows totalResults and the
// resources received, never itemsPerPage.
func (c *Client) List(ctx context.Context) ([]groupsync.TargetGroup, error) {
	if err := c.Check(ctx); err != nil {
		return nil, err
	}
	var out []groupsync.TargetGroup
	seen := map[string]bool{}
	for start := 1; ; {
		var lr listResponse
		q := url.Values{"excludedAttributes": {"members"}, "startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(c.opts.PageSize)}}
		if err := c.do(ctx, http.MethodGet, "/Groups?"+q.Encode(), nil, &lr); err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		fresh := 0
		for _, g := range lr.Resources {
			if g.ID == "" {
				return nil, fmt.Errorf("list groups: the server answered a group without an id at index %d", start)
			}
			if !seen[g.ID] {
				seen[g.ID] = true
				fresh++
				out = append(out, g.target(false))
			}
		}
		if len(lr.Resources) > 0 && fresh == 0 {
			// A page of groups already listed: the server ignores
			// startIndex. Reading on would never end.
			return nil, fmt.Errorf("list groups: the page at index %d repeats groups already listed: the server ignores startIndex", start)
		}
		start += len(lr.Resources)
		if c.opts.ListProgress != nil {
			c.opts.ListProgress(len(out))
		}
		// A server that does not say how many there are (or says 0 while
		// answering some) is read until it answers an empty page.
		if len(lr.Resources) == 0 || lr.TotalResults != nil && *lr.TotalResults > 0 && start > int(*lr.TotalResults) {
			return out, nil
		}
	}
}

// Get implements [groupsync.Target]. A group answered without a members
// attribute (as AWS does) has MembersRead false.
func (c *Client) Get(ctx context.Context, id string) (groupsync.TargetGroup, error) {
	var g resource
	if err := c.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil, &g); err != nil {
		return groupsync.TargetGroup{}, err
	}
	return g.target(true), nil
}

// findByName returns the groups named exactly name: it asks the server's
// displayName filter and keeps the byte-equal results, whatever the filter
// does with case (R5).
func (c *Client) findByName(ctx context.Context, name string) ([]groupsync.TargetGroup, error) {
	return c.find(ctx, "displayName", name, func(g resource) bool { return g.DisplayName == name })
}

// findByExternalID returns the groups whose externalId is id.
func (c *Client) findByExternalID(ctx context.Context, id string) ([]groupsync.TargetGroup, error) {
	return c.find(ctx, "externalId", id, func(g resource) bool { return g.ExternalID == id })
}

func (c *Client) find(ctx context.Context, attr, value string, keep func(resource) bool) ([]groupsync.TargetGroup, error) {
	filter := fmt.Sprintf("%s eq %s", attr, quote(value))
	q := url.Values{"filter": {filter}, "excludedAttributes": {"members"}, "startIndex": {"1"}, "count": {strconv.Itoa(c.opts.PageSize)}}
	var lr listResponse
	if err := c.do(ctx, http.MethodGet, "/Groups?"+q.Encode(), nil, &lr); err != nil {
		return nil, fmt.Errorf("find group by %s: %w", attr, err)
	}
	var out []groupsync.TargetGroup
	for _, g := range lr.Resources {
		if keep(g) {
			out = append(out, g.target(false))
		}
	}
	return out, nil
}

// Create implements [groupsync.Target]. A 409 is resolved as R5 and R14 say:
// the one group of byte-equal name that is not linked elsewhere is taken
// over (its externalId set and its members replaced); several are an error
// wrapping [groupsync.ErrAmbiguousName], one linked elsewhere
// [groupsync.ErrConflict], none (the server matched a near name)
// [groupsync.ErrNearDuplicate]. A refused member is
// [groupsync.ErrMemberRefused].
func (c *Client) Create(ctx context.Context, ch groupsync.Change) (groupsync.TargetGroup, error) {
	body := map[string]any{
		"schemas":     []string{groupSchema},
		"displayName": ch.Name,
		"members":     memberObjects(ch.Add),
	}
	if ch.ExternalID != "" {
		body["externalId"] = ch.ExternalID
	}
	var g resource
	err := c.do(ctx, http.MethodPost, "/Groups", body, &g)
	switch {
	case errors.Is(err, groupsync.ErrConflict):
		return c.takeOver(ctx, ch)
	case err != nil:
		return groupsync.TargetGroup{}, memberRefusal(err, len(ch.Add))
	case g.ID == "":
		// No body: find what was created by its externalId.
		found, err := c.findByExternalID(ctx, ch.ExternalID)
		if err != nil || len(found) != 1 {
			return groupsync.TargetGroup{}, fmt.Errorf("create group %q: the server answered without the group, and its externalId finds %d: %v", ch.Name, len(found), err)
		}
		found[0].Origin = origin.Source
		return found[0], nil
	}
	t := g.target(false)
	if t.Origin == origin.Unknown {
		t.Origin = origin.Source // a fresh 201 from a server that does not say
	}
	return t, nil
}

// takeOver resolves a 409 on create by linking to the group of that exact
// name (R5, R14).
func (c *Client) takeOver(ctx context.Context, ch groupsync.Change) (groupsync.TargetGroup, error) {
	same, err := c.findByName(ctx, ch.Name)
	if err != nil {
		return groupsync.TargetGroup{}, err
	}
	switch {
	case len(same) == 0:
		return groupsync.TargetGroup{}, fmt.Errorf("create group %q: the server holds a group of a name that is not byte-equal: %w", ch.Name, groupsync.ErrNearDuplicate)
	case len(same) > 1:
		return groupsync.TargetGroup{}, fmt.Errorf("create group %q: %d groups carry the name: %w", ch.Name, len(same), groupsync.ErrAmbiguousName)
	}
	g := same[0]
	if g.ExternalID != "" && g.ExternalID != ch.ExternalID {
		return groupsync.TargetGroup{}, fmt.Errorf("create group %q: group %s is linked to externalId %q: %w", ch.Name, g.ID, g.ExternalID, groupsync.ErrConflict)
	}
	if c.supportsPatch(ctx) {
		ops := []patchOp{{Op: "replace", Path: "members", Value: memberObjects(ch.Add)}}
		if ch.ExternalID != "" && g.ExternalID != ch.ExternalID {
			ops = append(ops, patchOp{Op: "replace", Path: "externalId", Value: ch.ExternalID})
		}
		err = c.patch(ctx, g.ID, ops)
	} else {
		err = c.replace(ctx, g.ID, cmpOr(ch.ExternalID, g.ExternalID), g.Name, ch.Add)
	}
	if err != nil {
		return groupsync.TargetGroup{}, fmt.Errorf("take over group %q: %w", ch.Name, memberRefusal(err, len(ch.Add)))
	}
	if g.ExternalID == ch.ExternalID && ch.ExternalID != "" && g.Origin == origin.Unknown {
		// It carries our externalId: an earlier create of ours took effect
		// before its answer was lost (R14).
		g.Origin = origin.Source
	}
	g.ExternalID = ch.ExternalID
	return g, nil
}

// Update implements [groupsync.Target] with one PATCH: removals as
// members[value eq "…"] filters, additions as one value list. Where the
// server does not support PATCH, it reads the group and PUTs it whole.
func (c *Client) Update(ctx context.Context, id string, ch groupsync.Change) error {
	if !c.supportsPatch(ctx) {
		return c.put(ctx, id, ch)
	}
	var ops []patchOp
	if ch.ExternalID != "" {
		ops = append(ops, patchOp{Op: "replace", Path: "externalId", Value: ch.ExternalID})
	}
	if ch.Name != "" {
		ops = append(ops, patchOp{Op: "replace", Path: "displayName", Value: ch.Name})
	}
	for _, m := range ch.Remove {
		ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quote(m) + "]"})
	}
	if len(ch.Add) > 0 {
		ops = append(ops, patchOp{Op: "add", Path: "members", Value: memberObjects(ch.Add)})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := c.patch(ctx, id, ops); err != nil {
		return memberRefusal(err, len(ch.Add)+len(ch.Remove))
	}
	return nil
}

// put applies ch by GET then PUT, for servers without PATCH.
func (c *Client) put(ctx context.Context, id string, ch groupsync.Change) error {
	var g resource
	if err := c.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil, &g); err != nil {
		return err
	}
	if g.Members == nil && (len(ch.Add) > 0 || len(ch.Remove) > 0) {
		// Without the current members a PUT would replace them all.
		return fmt.Errorf("the server supports no PATCH and returns no members of group %s, so its members cannot be changed safely", id)
	}
	members := group.NewMembers(g.memberValues()...).Without(ch.Remove...).With(ch.Add...)
	err := c.replace(ctx, id, cmpOr(ch.ExternalID, g.ExternalID), cmpOr(ch.Name, g.DisplayName), members.Slice())
	if err != nil {
		return memberRefusal(err, len(ch.Add)+len(ch.Remove))
	}
	return nil
}

// replace PUTs a group whole.
func (c *Client) replace(ctx context.Context, id, externalID, name string, members []string) error {
	body := map[string]any{"schemas": []string{groupSchema}, "id": id, "displayName": name,
		"members": memberObjects(members)}
	if externalID != "" {
		body["externalId"] = externalID
	}
	return c.do(ctx, http.MethodPut, "/Groups/"+url.PathEscape(id), body, nil)
}

// Delete implements [groupsync.Target].
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/Groups/"+url.PathEscape(id), nil, nil)
}

// ResolveUsers maps user names to the target's user ids, by
// GET /Users?filter=userName eq "…", for sources that do not know the ids.
// It asks once per distinct name and keeps nothing between calls: users are
// provisioned, renamed and deleted on the target, and a run's answers are
// the caller's to keep. Names the target does not know are left out.
// userName compares without case (RFC 7643, section 4.1.1).
func (c *Client) ResolveUsers(ctx context.Context, userNames []string) (map[string]string, error) {
	out := make(map[string]string, len(userNames))
	asked := make(map[string]bool, len(userNames))
	for _, name := range userNames {
		if asked[name] {
			continue
		}
		asked[name] = true
		q := url.Values{"filter": {"userName eq " + quote(name)}, "attributes": {"id,userName"}}
		var lr struct {
			Resources []struct {
				ID       string `json:"id"`
				UserName string `json:"userName"`
			} `json:"Resources"`
		}
		if err := c.do(ctx, http.MethodGet, "/Users?"+q.Encode(), nil, &lr); err != nil {
			return nil, fmt.Errorf("resolve user %q: %w", name, err)
		}
		for _, u := range lr.Resources {
			if strings.EqualFold(u.UserName, name) && u.ID != "" {
				out[name] = u.ID
				break
			}
		}
	}
	return out, nil
}

func (c *Client) patch(ctx context.Context, id string, ops []patchOp) error {
	body := map[string]any{"schemas": []string{patchOpSchema}, "Operations": ops}
	return c.do(ctx, http.MethodPatch, "/Groups/"+url.PathEscape(id), body, nil)
}

// supportsPatch reads the ServiceProviderConfig once; a server that does not
// answer it is assumed to support PATCH.
func (c *Client) supportsPatch(ctx context.Context) bool {
	c.spc.Do(func() {
		c.patchOK = true
		var spc struct {
			Patch *struct {
				Supported flexBool `json:"supported"`
			} `json:"patch"`
		}
		if err := c.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, &spc); err == nil && spc.Patch != nil {
			c.patchOK = bool(spc.Patch.Supported)
		}
	})
	return c.patchOK
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

func memberObjects(ids []string) []map[string]string {
	out := make([]map[string]string, len(ids))
	for i, id := range ids {
		out[i] = map[string]string{"value": id}
	}
	return out
}

// quote quotes a filter value as a JSON string (RFC 7644 section 3.4.2.2),
// escaping only what JSON requires: some servers' filter parsers do not
// decode the escapes a Go encoder adds for HTML.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// memberRefusal marks a 400 on a request that carried member values as a
// possible refused member (R8): the applier then retries member by member.
func memberRefusal(err error, values int) error {
	var he *HTTPError
	if values > 0 && errors.As(err, &he) && he.Status == http.StatusBadRequest && he.ScimType != "mutability" {
		return fmt.Errorf("%w: %w", groupsync.ErrMemberRefused, err)
	}
	return err
}

// resource is a group as a server answers it.
type resource struct {
	ID          string           `json:"id"`
	ExternalID  string           `json:"externalId"`
	DisplayName string           `json:"displayName"`
	Members     *[]memberObject  `json:"members"`
	Extension   *extensionFields `json:"urn:ietf:params:scim:schemas:extension:groupsync:2.0:Group"`
}

type memberObject struct {
	Value string `json:"value"`
}

type extensionFields struct {
	Origin string `json:"origin"`
}

func (g resource) memberValues() []string {
	if g.Members == nil {
		return nil
	}
	out := make([]string, 0, len(*g.Members))
	for _, m := range *g.Members {
		if m.Value != "" {
			out = append(out, m.Value)
		}
	}
	return out
}

// target converts g; with members, the members are de-duplicated, since
// some servers store duplicates.
func (g resource) target(members bool) groupsync.TargetGroup {
	t := groupsync.TargetGroup{ID: g.ID, ExternalID: g.ExternalID, Name: g.DisplayName}
	if g.Extension != nil {
		_ = t.Origin.UnmarshalText([]byte(g.Extension.Origin))
	}
	if members && g.Members != nil {
		t.Members, t.MembersRead = group.NewMembers(g.memberValues()...), true
	}
	return t
}

type listResponse struct {
	Schemas      []string   `json:"schemas"`
	TotalResults *flexInt   `json:"totalResults"`
	Resources    []resource `json:"Resources"`
}

func (lr listResponse) isListResponse() bool {
	for _, s := range lr.Schemas {
		if s == listSchema {
			return true
		}
	}
	return false
}

// flexInt decodes a JSON number or a numeric string.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = flexInt(v)
	return nil
}

// flexBool decodes a JSON boolean or "true"/"false" in any case.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(string(b), `"`))
	*v = s == "true"
	return nil
}

// HTTPError is a SCIM error answer. Its chain holds the sync package's
// sentinel for its status: 404 [groupsync.ErrNotFound], 409
// [groupsync.ErrConflict], 400 mutability [origin.ErrReadOnly], 401 and 403
// [groupsync.ErrNotConnected].
type HTTPError struct {
	// Method and Path are the request's, Path relative to the base URL.
	Method, Path string
	// Status is the answer's HTTP status.
	Status int
	// ScimType and Detail are the error body's, when it has them.
	ScimType string
	Detail   string
}

// Error names the request, the status and the server's detail.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.ScimType != "" {
		s += " (" + e.ScimType + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// AnswerStatus returns Status: an HTTPError is a [groupsync.TargetAnswer].
func (e *HTTPError) AnswerStatus() int { return e.Status }

// AnswerDetail returns Detail, with ScimType before it when there is one.
func (e *HTTPError) AnswerDetail() string {
	switch {
	case e.ScimType == "":
		return e.Detail
	case e.Detail == "":
		return e.ScimType
	}
	return e.ScimType + ": " + e.Detail
}

// Unwrap returns the sentinel of package sync for the status, or nil.
func (e *HTTPError) Unwrap() error {
	switch {
	case e.Status == http.StatusNotFound:
		return groupsync.ErrNotFound
	case e.Status == http.StatusConflict:
		return groupsync.ErrConflict
	case e.Status == http.StatusBadRequest && e.ScimType == "mutability":
		return origin.ErrReadOnly
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return groupsync.ErrNotConnected
	}
	return nil
}

// transient reports whether a failed attempt is worth retrying (R15): an
// answer of 429, 500, 502, 503 or 504, or no answer because of a timeout, a
// connection reset, refused or cut short, or a temporary DNS failure.
// Anything else is permanent: a certificate the client does not trust, a
// token its transport could not get, a refused redirect.
func transient(status int, err error) bool {
	if status != 0 {
		switch status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return true
	case errors.As(err, &dns):
		return dns.IsTimeout || dns.IsTemporary
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return isReset(err)
}

func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") ||
		strings.Contains(s, "server closed idle connection")
}

// do sends one request, retrying transient failures for up to
// MaxRetryWait, and decodes a JSON answer into out when out is non-nil and
// the answer has a body.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.doWithin(ctx, c.opts.MaxRetryWait, method, path, in, out)
}

// doWithin is do with a retry budget of its own. A transient failure that
// would wait past the budget, or past the end of the target's failing
// spell (see UnavailableAfter), fails with an error wrapping
// [groupsync.ErrUnavailable].
func (c *Client) doWithin(ctx context.Context, budget time.Duration, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		started := time.Now()
		status, header, data, err := c.attempt(ctx, method, path, body)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && status < 300 {
			c.health.answered()
			if out != nil && len(bytes.TrimSpace(data)) > 0 {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
				}
			}
			return nil
		}
		if err == nil {
			err = httpError(method, path, status, data)
		}
		if !transient(status, err) {
			if status != 0 {
				c.health.answered()
			}
			return err
		}
		var since time.Time
		if status == http.StatusTooManyRequests {
			c.health.answered() // busy, not down
		} else {
			since = c.health.failed(started)
		}
		wait := backoff(attempt, retryAfter(header, time.Now()))
		if waited+wait > budget {
			return unavailable(err, fmt.Sprintf("retrying would wait more than %s", budget))
		}
		if !since.IsZero() && time.Now().Add(wait).After(since.Add(c.opts.UnavailableAfter)) {
			return unavailable(err, fmt.Sprintf("the target has not answered for %s", time.Since(since).Round(time.Second)))
		}
		if c.opts.Logger != nil {
			c.opts.Logger.WarnContext(ctx, "retrying scim request", slog.String("method", method),
				slog.String("path", path), slog.Int("status", status), slog.Any("error", err), slog.Duration("wait", wait))
		}
		waited += wait
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// unavailableError is the last failure of a request whose retries gave
// up: its chain holds the failure and [groupsync.ErrUnavailable].
type unavailableError struct {
	err error
	why string
}

func unavailable(err error, why string) error { return &unavailableError{err: err, why: why} }

func (e *unavailableError) Error() string   { return fmt.Sprintf("%v (gave up: %s)", e.err, e.why) }
func (e *unavailableError) Unwrap() []error { return []error{e.err, groupsync.ErrUnavailable} }

// health tracks the target's failing spell: since when every attempt has
// failed with no answer or a 5xx.
type health struct {
	mu       gosync.Mutex
	since    time.Time // zero while the target answers
	answerAt time.Time // the last answer
}

// answered ends the failing spell.
func (h *health) answered() {
	h.mu.Lock()
	h.since, h.answerAt = time.Time{}, time.Now()
	h.mu.Unlock()
}

// failed records a failed attempt that started at started and returns when
// the spell began: at the earliest failed attempt that started after the
// last answer.
func (h *health) failed(started time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answerAt.After(started) {
		started = h.answerAt
	}
	if h.since.IsZero() || started.Before(h.since) {
		h.since = started
	}
	return h.since
}

// failingSince returns when the failing spell began, or zero.
func (h *health) failingSince() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.since
}

// minFailingTimeout is the least time an attempt gets while the target is
// failing, so that a slow target that comes back can answer.
const minFailingTimeout = 5 * time.Second

// attempt sends one attempt under the per-request timeout.
func (c *Client) attempt(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	if err := c.limiter.wait(ctx); err != nil {
		return 0, nil, nil, err
	}
	timeout := c.opts.Timeout
	if since := c.health.failingSince(); !since.IsZero() {
		left := time.Until(since.Add(c.opts.UnavailableAfter))
		timeout = min(timeout, max(left, minFailingTimeout))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	if c.opts.Auth != nil {
		c.opts.Auth(req)
	}
	res, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	limit := int64(maxAnswer)
	if res.StatusCode >= 300 {
		limit = maxErrorAnswer // an error body says little; read no more of it
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if int64(len(data)) > limit {
		if res.StatusCode < 300 {
			return 0, nil, nil, fmt.Errorf("%s %s: the answer is larger than %d MiB: %w", method, path, maxAnswer>>20, errTooLarge)
		}
		data = data[:limit]
	}
	return res.StatusCode, res.Header, data, nil
}

// The most the client reads of an answer: a page of groups, or a group
// with its members; and of an error answer.
const (
	maxAnswer      = 64 << 20
	maxErrorAnswer = 64 << 10
	maxDetail      = 1 << 10 // of an error's detail, kept in statuses
)

// errTooLarge: an answer exceeded maxAnswer. It is not retried.
var errTooLarge = errors.New("answer too large")

// httpError decodes a SCIM error body; status may be a number or a string.
func httpError(method, path string, status int, data []byte) *HTTPError {
	e := &HTTPError{Method: method, Path: path, Status: status}
	var body struct {
		ScimType string `json:"scimType"`
		Detail   string `json:"detail"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.ScimType, e.Detail = clip(body.ScimType, 64), clip(body.Detail, maxDetail)
	}
	return e
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// backoff returns the wait before retry attempt+1: the server's Retry-After
// when it gives one, else exponential from 500 ms with full jitter, capped
// at a minute.
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	ceil := min(500*time.Millisecond<<min(attempt, 7), time.Minute)
	return ceil/2 + time.Duration(rand.Int64N(int64(ceil/2)+1))
}

// retryAfter parses a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiter spaces request starts at least every apart.
type limiter struct {
	every time.Duration
	mu    gosync.Mutex
	next  time.Time
}

func rateInterval(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / perSecond)
}

func (l *limiter) wait(ctx context.Context) error {
	if l.every == 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}
