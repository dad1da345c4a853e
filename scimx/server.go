package scimx

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim"
)

// ServerOptions configure [NewServer]. The zero value but for Auth is
// usable.
type ServerOptions struct {
	// Auth maps each request to its tenant; required. The
	// ServiceProviderConfig document advertises its scheme when it is one
	// of [BearerTokens], [BasicAuth] and [HeaderTokens].
	Auth Authenticator
	// MaxBody caps request bodies; zero means [DefaultMaxBody].
	MaxBody int64
	// BaseURL, when set, makes meta.location absolute, for instance
	// "https://app.example.com/scim/v2".
	BaseURL string
	// DefaultType is the type of groups created by a push; empty means
	// [DefaultType].
	DefaultType string
	// Members, when set, says which member values a tenant knows: it
	// returns those of ids that are not users of the tenant. A request
	// adding any of them is refused with 400 invalidValue naming them, and
	// nothing changes. Values that are ids of the tenant's groups are
	// accepted without asking.
	Members func(ctx context.Context, tenant string, ids []string) (unknown []string, err error)
	// OnChange, when set, is called after every committed change with what
	// changed, for in-process reactions. It is best effort: it runs after
	// the commit, before the answer is sent, in the request's goroutine,
	// so a crash between the two loses the call, a slow OnChange delays
	// the answer, and a panic in it is logged and recovered. An app that
	// must not miss a change (a revoked membership) reads the change feed
	// instead ([Tx.Events], [Consumer]), which the same transaction as the
	// change writes (R17).
	OnChange func(ctx context.Context, e Event)
	// Resources are the app's other SCIM resource types, such as Users,
	// served beside Groups behind the same authentication, tenancy,
	// limits and request checks. The library does not provision them.
	Resources []ResourceType
	// Logger receives request logs, recovered panics and internal errors;
	// nil discards them.
	Logger *slog.Logger
	// Limits bound what one request may ask of the service; the zero
	// value means the defaults of [Limits].
	Limits Limits
	// BodyTimeout bounds the time a request's body may take to arrive,
	// from the moment its credentials are accepted; a slower body is
	// answered 408 and its connection closed. Zero means
	// [DefaultBodyTimeout]. It needs a ResponseWriter that can set read
	// deadlines, as net/http's can ([http.ResponseController]).
	BodyTimeout time.Duration
	// Timeout bounds the time a request may take once its credentials
	// are accepted, its body included: its context ends then, and a
	// request still working fails with 503 and changes nothing. Zero
	// means [DefaultTimeout].
	Timeout time.Duration
}

// NewServer returns a SCIM 2.0 service for groups: the elimity server with
// the Groups resource over store, behind panic recovery, request logs,
// authentication (before the body is read), the body limit and the request
// checks the elimity server lacks, with the response fixes it needs. It
// serves paths relative to the SCIM base, such as /Groups or /v2/Groups;
// mount it with [Mount]. It is the one way to build the service: every
// request goes through the same checks.
//
// Bad input is refused whole, within stated limits (R18): before the SCIM
// library parses anything, a request is checked against opts.Limits, its
// body must be strict JSON ([CheckJSON]), its time is bounded by
// opts.BodyTimeout and opts.Timeout, and a refusal before the body is read
// closes the connection instead of waiting for the body. Serve it with
// the settings of [NewHTTPServer]. An http.ServeMux in front of it
// redirects paths with dot segments, such as /scim/v2/Groups/.., before
// any handler runs (and before authentication): [Mount] routes the SCIM
// prefix to the service ahead of the app's other routes, so that such
// paths are answered with a SCIM 404.
//
// A POST or PUT of a group without schemas (an AWS sync tool sends one) is
// taken as the core Group schema; one whose schemas names another resource
// is 400.
//
// The service answers GET /ServiceProviderConfig with what it supports:
// PATCH, filters (up to 1,000 results a page), ETags with If-Match, no
// bulk, sort or password change, and the authentication scheme of
// opts.Auth.
//
// opts.Resources adds the app's own resource types, such as Users, each at
// its endpoint and behind the same checks; see [ResourceType].
//
// It returns an error when opts.Auth is nil, or when a resource type of
// opts.Resources lacks a name or a handler, names an unknown schema, or
// shares an endpoint with another.
func NewServer(store Store, opts ServerOptions) (http.Handler, error) {
	return newServer(store, opts, true)
}

// newServer is [NewServer], with the fast path of the Groups requests
// real clients send ([fastGroups]) when fast is true; without it, every
// request's parsing is the elimity server's, as the differential tests
// need.
func newServer(store Store, opts ServerOptions, fast bool) (http.Handler, error) {
	if opts.Auth == nil {
		return nil, errNoAuth
	}
	lim := opts.Limits.withDefaults()
	bodyTimeout, timeout := opts.BodyTimeout, opts.Timeout
	if bodyTimeout <= 0 {
		bodyTimeout = DefaultBodyTimeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	h := newHandler(store, opts)
	types := []scim.ResourceType{h.resourceType()}
	endpoints := []string{"/Groups"}
	answer := func(ctx context.Context, err error) error { return toSCIM(ctx, opts.Logger, err) }
	for _, rt := range opts.Resources {
		t, err := rt.elimityType(answer)
		if err != nil {
			return nil, err
		}
		for _, e := range endpoints {
			if strings.EqualFold(e, rt.Endpoint) {
				return nil, fmt.Errorf("scimx: two resource types serve %s", rt.Endpoint)
			}
		}
		types = append(types, t)
		endpoints = append(endpoints, rt.Endpoint)
	}
	sopts := []scim.ServerOption{scim.WithLogger(slogAdapter{opts.Logger})}
	if opts.BaseURL != "" {
		sopts = append(sopts, scim.WithBaseURL(opts.BaseURL))
	}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			SupportFiltering: true,
			SupportPatch:     true,
			MaxResults:       maxResults,
		},
		ResourceTypes: types,
	}, sopts...)
	if err != nil {
		return nil, err
	}
	var next http.Handler = srv
	if fast {
		next = newFastGroups(h, opts.BaseURL, srv)
	}
	next = fixResponses(next)
	next = serviceProviderConfig(opts.Auth, next)
	next = entraValues(opts.Resources, next)
	next = checkBody(lim, next)
	next = LimitBody(opts.MaxBody, next)
	next = guard(lim, bodyTimeout, timeout, endpoints, next)
	next = Authenticate(opts.Auth, next)
	next = LogRequests(opts.Logger, next)
	return Recover(opts.Logger, next), nil
}

// upperHexEscapes rewrites the hex digits of every \u escape in a filter in
// upper case, leaving everything else as it is.
func upperHexEscapes(f string) string {
	b := []byte(f)
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) {
			for j := i + 2; j < i+6; j++ {
				if 'a' <= b[j] && b[j] <= 'f' {
					b[j] -= 'a' - 'A'
				}
			}
		}
		i++ // skip the escaped character
	}
	return string(b)
}

// maxResults is the page size cap: clients asking for more get this many.
const maxResults = 1000

var errNoAuth = errorString("scimx: ServerOptions.Auth is required")

type errorString string

func (e errorString) Error() string { return string(e) }

// slogAdapter lets the elimity server log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Error(args ...any) {
	if a.l == nil || len(args) == 0 {
		return
	}
	msg, _ := args[0].(string)
	a.l.Error("scim: "+msg, args[1:]...)
}

// hints carries, from the handler to fixResponses, what the elimity
// server cannot put in a response itself.
type hints struct {
	etag     string // of a 204 PATCH
	listSize int    // resources on a list page, or -1
	// outOfTime: the request's context ended. The elimity server turns
	// the 503 this deserves into a 500, which fixResponses turns back.
	outOfTime bool
}

type hintsKey struct{}

func noteETag(ctx context.Context, etag string) {
	if h, ok := ctx.Value(hintsKey{}).(*hints); ok {
		h.etag = etag
	}
}

func noteOutOfTime(ctx context.Context) {
	if h, ok := ctx.Value(hintsKey{}).(*hints); ok {
		h.outOfTime = true
	}
}

// outOfTime answers a request whose context ended.
func outOfTime(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "", "the request took longer than the server allows; nothing changed")
}

func noteList(ctx context.Context, n int) {
	if h, ok := ctx.Value(hintsKey{}).(*hints); ok {
		h.listSize = n
	}
}

// fixResponses completes what the elimity server leaves out of responses of
// the handler's requests: the ETag of a 204 PATCH answer, an itemsPerPage
// equal to the number of resources on a list page (the server writes the
// requested count), and the 503 of a request that ran out of time (the
// server allows no 503).
func fixResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := &hints{listSize: -1}
		r = r.WithContext(context.WithValue(r.Context(), hintsKey{}, h))
		if r.Method != http.MethodGet {
			next.ServeHTTP(&etagWriter{ResponseWriter: w, h: h}, r)
			return
		}
		// A list page is buffered to correct itemsPerPage.
		bw := &bufferWriter{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(bw, r)
		body := bw.body.Bytes()
		if h.listSize >= 0 && bw.status == http.StatusOK {
			body = setItemsPerPage(body, h.listSize)
		}
		if h.outOfTime && bw.status == http.StatusInternalServerError {
			outOfTime(w)
			return
		}
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(bw.status)
		_, _ = w.Write(body)
	})
}

// setItemsPerPage replaces the value of the top-level itemsPerPage of a list
// response. The server encodes the response from a map, so its keys are
// sorted and itemsPerPage follows the Resources array: its last occurrence
// is the top-level one.
func setItemsPerPage(body []byte, n int) []byte {
	key := []byte(`"itemsPerPage":`)
	i := bytes.LastIndex(body, key)
	if i < 0 {
		return body
	}
	start := i + len(key)
	end := start
	for end < len(body) && body[end] >= '0' && body[end] <= '9' {
		end++
	}
	if end == start {
		return body
	}
	out := make([]byte, 0, len(body)+8)
	out = append(out, body[:start]...)
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, body[end:]...)
}

type etagWriter struct {
	http.ResponseWriter
	h        *hints
	replaced bool // the answer was replaced: drop what the server writes
}

func (w *etagWriter) WriteHeader(status int) {
	if w.replaced {
		return
	}
	if status == http.StatusInternalServerError && w.h.outOfTime {
		w.replaced = true
		for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Location"} {
			w.Header().Del(k)
		}
		outOfTime(w.ResponseWriter)
		return
	}
	if status == http.StatusNoContent && w.h.etag != "" && w.Header().Get("ETag") == "" {
		w.Header().Set("ETag", w.h.etag)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *etagWriter) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *etagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (w *bufferWriter) Header() http.Header { return w.header }

func (w *bufferWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *bufferWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.body.Write(p)
}

// Mount returns a handler that serves srv, a service of [NewServer], under
// prefix (such as "/scim", so that the SCIM base is /scim/v2), with the
// prefix stripped, and every other path with next. Unlike an
// http.ServeMux, it routes a path as it comes: /scim/v2/Groups/.. reaches
// srv, which authenticates it and answers a SCIM 404, where a ServeMux
// would redirect it, before any authentication, to /scim/v2. A nil next
// answers every other path with a 404.
func Mount(prefix string, srv, next http.Handler) http.Handler {
	prefix = strings.TrimSuffix(prefix, "/")
	scim := http.StripPrefix(prefix, srv)
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/") {
			scim.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
