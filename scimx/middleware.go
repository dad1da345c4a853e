package scimx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// An Authenticator maps a request to the tenant its credentials belong to.
// [BearerTokens], [BasicAuth] and [HeaderTokens] are the usual ones; an app
// with other credentials writes its own.
type Authenticator interface {
	// Authenticate returns the tenant of r's credentials, or ok false when
	// they are missing or wrong. It reads r's header, never its body.
	Authenticate(r *http.Request) (tenant string, ok bool)
}

// Credential is the password of a [BasicAuth] user and the tenant it
// belongs to.
type Credential struct {
	// Password is compared in constant time; an empty one never matches.
	Password string
	// Tenant is the tenant the user's requests belong to.
	Tenant string
}

// BearerTokens returns an [Authenticator] of the header
// "Authorization: Bearer <token>" (the scheme in any case), which maps each
// token of tokens to its tenant. It copies tokens; an empty token never
// matches.
func BearerTokens(tokens map[string]string) Authenticator {
	return bearerTokens{tokenSecrets(tokens)}
}

// BasicAuth returns an [Authenticator] of HTTP Basic authentication, which
// maps each user name of users to its credential's tenant when the password
// matches. It copies users; an empty password never matches.
func BasicAuth(users map[string]Credential) Authenticator {
	s := make(secrets, 0, len(users))
	for user, c := range users {
		if c.Password != "" {
			s = append(s, secret{sum: basicSum(user, c.Password), tenant: c.Tenant})
		}
	}
	return basicAuth{s}
}

// HeaderTokens returns an [Authenticator] of the header name, such as
// X-API-Key, whose whole value is the token: it maps each token of tokens to
// its tenant. With name Authorization it serves clients that send the token
// without a scheme. It copies tokens; an empty token never matches. It
// panics if name is empty.
func HeaderTokens(name string, tokens map[string]string) Authenticator {
	if name == "" {
		panic("scimx: HeaderTokens needs a header name")
	}
	return headerTokens{name: http.CanonicalHeaderKey(name), s: tokenSecrets(tokens)}
}

type bearerTokens struct{ s secrets }

func (a bearerTokens) Authenticate(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimLeft(token, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return a.s.match(sha256.Sum256([]byte(token)))
}

func (bearerTokens) challenge() string { return `Bearer realm="scim"` }

type basicAuth struct{ s secrets }

func (a basicAuth) Authenticate(r *http.Request) (string, bool) {
	user, password, ok := r.BasicAuth()
	if !ok || password == "" {
		return "", false
	}
	return a.s.match(basicSum(user, password))
}

func (basicAuth) challenge() string { return `Basic realm="scim", charset="UTF-8"` }

// basicSum hashes a user name and password together; the length prefix
// keeps ("ab", "c") apart from ("a", "bc").
func basicSum(user, password string) [sha256.Size]byte {
	return sha256.Sum256([]byte(strconv.Itoa(len(user)) + ":" + user + ":" + password))
}

type headerTokens struct {
	name string
	s    secrets
}

func (a headerTokens) Authenticate(r *http.Request) (string, bool) {
	token := r.Header.Get(a.name)
	if token == "" {
		return "", false
	}
	return a.s.match(sha256.Sum256([]byte(token)))
}

func (a headerTokens) challenge() string {
	return `ApiKey realm="scim", header=` + strconv.Quote(a.name)
}

// secret is the SHA-256 sum of a credential and the tenant it maps to.
type secret struct {
	sum    [sha256.Size]byte
	tenant string
}

// secrets are the credentials an authenticator knows.
type secrets []secret

func tokenSecrets(tokens map[string]string) secrets {
	s := make(secrets, 0, len(tokens))
	for token, tenant := range tokens {
		if token != "" {
			s = append(s, secret{sum: sha256.Sum256([]byte(token)), tenant: tenant})
		}
	}
	return s
}

// match returns the tenant of the secret whose sum is sum. It compares sum
// with every secret in constant time and selects the match without a
// branch, so the time it takes tells neither which secret matched nor how
// much of one did; comparing sums rather than the secrets also hides their
// lengths.
func (s secrets) match(sum [sha256.Size]byte) (string, bool) {
	found, at := 0, 0
	for i := range s {
		eq := subtle.ConstantTimeCompare(sum[:], s[i].sum[:])
		at = subtle.ConstantTimeSelect(eq, i, at)
		found |= eq
	}
	if found == 0 {
		return "", false
	}
	return s[at].tenant, true
}

// challenger is an authenticator that names its scheme in the
// WWW-Authenticate header of a 401 answer.
type challenger interface{ challenge() string }

// Authenticate calls next with the tenant of the request's credentials in
// the request context ([WithTenant]); it answers a request that a refuses
// with a 401 SCIM error and a WWW-Authenticate header, without reading its
// body. When the request has a body, the answer says Connection: close and
// the connection is closed after it, so that the HTTP server does not read
// the body of a request it refused, however slowly it arrives. It panics
// if a is nil.
func Authenticate(a Authenticator, next http.Handler) http.Handler {
	if a == nil {
		panic("scimx: Authenticate needs an Authenticator")
	}
	challenge := `Bearer realm="scim"`
	if c, ok := a.(challenger); ok {
		challenge = c.challenge()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, ok := a.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", challenge)
			refuse(w, r, http.StatusUnauthorized, "", "missing or invalid credentials")
			return
		}
		ctx := r.Context()
		if t, ok := ctx.Value(logKey{}).(*atomic.Pointer[string]); ok {
			t.Store(&tenant)
		}
		next.ServeHTTP(w, r.WithContext(WithTenant(ctx, tenant)))
	})
}

// DefaultMaxBody is the body limit of [LimitBody] when it is given none:
// 16 MiB.
const DefaultMaxBody int64 = 16 << 20

// LimitBody reads the request body, up to max bytes, before it calls next
// with the body in memory, so that next sees the whole body or is not
// called. A larger body is answered with a 413 SCIM error, at once when the
// Content-Length says so; a body that cannot be read with a 400 SCIM error
// (invalidSyntax), or a 408 when the connection's read deadline passed. A
// refusal closes the connection, whose body is left unread. A max of zero
// or less means [DefaultMaxBody]. Requests without a body, as GET, HEAD
// and DELETE ones usually are, pass straight through. The memory it takes
// grows with the bytes that arrive, not with the Content-Length a client
// declares.
func LimitBody(max int64, next http.Handler) http.Handler {
	if max <= 0 {
		max = DefaultMaxBody
	}
	if max == math.MaxInt64 {
		max-- // so that max+1 bytes can be asked for
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			tooLarge(w, max)
			return
		}
		body, err := readBody(r.Body, r.ContentLength, max)
		var mbe *http.MaxBytesError
		switch {
		case int64(len(body)) > max || errors.As(err, &mbe):
			tooLarge(w, max)
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, "", "the request body did not arrive in time")
			leaveBody(w)
			return
		case err != nil:
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusBadRequest, "invalidSyntax", "the request body could not be read")
			leaveBody(w)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &memBody{Reader: bytes.NewReader(body), b: body}
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, "",
		"the request body exceeds the limit of "+strconv.FormatInt(max, 10)+" bytes")
	leaveBody(w)
}

// preallocate caps the buffer readBody sizes by a declared Content-Length:
// a client that declares 16 MiB and sends a byte does not hold 16 MiB.
const preallocate = 1 << 20

// readBody reads r to its end, but no more than max+1 bytes, into a slice
// sized by the Content-Length size when the request gives one (size <= max),
// up to preallocate bytes.
func readBody(r io.Reader, size, max int64) ([]byte, error) {
	if size <= 0 {
		size = 512
	}
	size = min(size, preallocate)
	b := make([]byte, 0, size+1) // +1: the read that meets EOF needs room
	lr := io.LimitReader(r, max+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// Recover answers a request whose handler panics with a 500 SCIM error
// whose detail does not repeat the panic, and logs the panic value and the
// stack to logger unless it is nil. When the handler has already begun its
// answer, the answer is cut off instead, with [http.ErrAbortHandler]; a
// panic with http.ErrAbortHandler passes through. Put Recover outermost.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if logger != nil {
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
			}
			if sw.status != 0 {
				panic(http.ErrAbortHandler)
			}
			h := w.Header()
			for _, k := range []string{"Content-Encoding", "ETag", "Location"} {
				h.Del(k)
			}
			writeError(w, http.StatusInternalServerError, "", "internal error")
		}()
		next.ServeHTTP(sw, r)
	})
}

// logKey is the context key under which [LogRequests] leaves an
// *atomic.Pointer[string] for [Authenticate] to note the tenant in.
type logKey struct{}

// LogRequests logs one record per request to logger: method, path, status,
// bytes written, duration, tenant (when [Authenticate] or an outer
// [WithTenant] names one), remote address and user agent; at level Info,
// or Error for statuses of 500 and more. A request whose handler panics
// before it answers is logged with status 500 and aborted true. With a nil
// logger, LogRequests returns next.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	if logger == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		tenant := new(atomic.Pointer[string])
		if t, ok := TenantFrom(ctx); ok {
			tenant.Store(&t)
		}
		sw := &statusWriter{ResponseWriter: w}
		done := false
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
				if !done {
					status = http.StatusInternalServerError
				}
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			attrs := make([]slog.Attr, 0, 9)
			attrs = append(attrs,
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)))
			if t := tenant.Load(); t != nil {
				attrs = append(attrs, slog.String("tenant", *t))
			}
			attrs = append(attrs,
				slog.String("remote", r.RemoteAddr),
				slog.String("user_agent", r.UserAgent()))
			if !done {
				attrs = append(attrs, slog.Bool("aborted", true))
			}
			logger.LogAttrs(ctx, level, "http request", attrs...)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, logKey{}, tenant)))
		done = true
	})
}

// statusWriter notes the status and the number of body bytes of a
// response.
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if http.NewResponseController(w.ResponseWriter).Flush() == nil && w.status == 0 {
		w.status = http.StatusOK
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// errorBody is a SCIM error response (RFC 7644, section 3.12), with the
// status as a string as the elimity server writes it.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
	Status   string   `json:"status"`
}

// writeError answers with a SCIM error: status, the scimType when it is
// not empty, and detail, which clients see.
func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	body, _ := json.Marshal(errorBody{
		Schemas:  []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		ScimType: scimType,
		Detail:   detail,
		Status:   strconv.Itoa(status),
	})
	h := w.Header()
	h.Set("Content-Type", "application/scim+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
