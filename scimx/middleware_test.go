package scimx_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

// mwUnreadable is a request body that fails the test when anything reads it.
type mwUnreadable struct{ t *testing.T }

func (b mwUnreadable) Read([]byte) (int, error) {
	b.t.Helper()
	b.t.Error("the request body was read")
	return 0, io.ErrUnexpectedEOF
}

func (mwUnreadable) Close() error { return nil }

// mwCheckError checks that res is a SCIM error with status and scimType and
// a detail for clients that does not contain hidden.
func mwCheckError(t *testing.T, res *http.Response, status int, scimType, hidden string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status %d, want %d", res.StatusCode, status)
	}
	if got, want := res.Header.Get("Content-Type"), "application/scim+json"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, raw)
	}
	want := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  fmt.Sprint(status),
	}
	if scimType != "" {
		want["scimType"] = scimType
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "detail" })); diff != "" {
		t.Errorf("error body mismatch (-want +got):\n%s", diff)
	}
	detail, _ := got["detail"].(string)
	if detail == "" {
		t.Errorf("error body %s has no detail", raw)
	}
	if hidden != "" && strings.Contains(string(raw), hidden) {
		t.Errorf("error body %s reveals %q", raw, hidden)
	}
}

// mwTenantHandler answers 204 and notes the request's tenant.
func mwTenantHandler(tenant *string, ok *bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*tenant, *ok = scimx.TenantFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
}

func mwBasic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestMiddlewareAuthenticators(t *testing.T) {
	bearer := scimx.BearerTokens(map[string]string{"tok-a": "a", "tok-b": "b", "": "nobody"})
	basic := scimx.BasicAuth(map[string]scimx.Credential{
		"alice": {Password: "pw-a", Tenant: "a"},
		"bob":   {Password: "pw-b", Tenant: "b"},
		"eve":   {Password: "", Tenant: "nobody"},
	})
	apiKey := scimx.HeaderTokens("X-API-Key", map[string]string{"key-a": "a", "key-b": "b", "": "nobody"})
	plain := scimx.HeaderTokens("Authorization", map[string]string{"key-a": "a", "key-b": "b"})

	tests := []struct {
		name   string
		reason string
		auth   scimx.Authenticator
		header []string // name, value pairs
		tenant string   // "" for a 401
	}{
		{
			name: "R16 bearer token of tenant a", reason: "each token maps to its own tenant",
			auth: bearer, header: []string{"Authorization", "Bearer tok-a"}, tenant: "a",
		},
		{
			name: "R16 bearer token of tenant b", reason: "each token maps to its own tenant",
			auth: bearer, header: []string{"Authorization", "Bearer tok-b"}, tenant: "b",
		},
		{
			name: "bearer scheme in lower case", reason: "auth schemes are case-insensitive (RFC 9110, 11.1)",
			auth: bearer, header: []string{"Authorization", "bearer tok-a"}, tenant: "a",
		},
		{
			name: "bearer scheme in upper case with two spaces", reason: "schemes are case-insensitive and spaces before the token are not part of it",
			auth: bearer, header: []string{"Authorization", "BEARER  tok-b"}, tenant: "b",
		},
		{
			name: "bearer without header", reason: "a missing credential is 401",
			auth: bearer,
		},
		{
			name: "bearer with a wrong token", reason: "an unknown token is 401",
			auth: bearer, header: []string{"Authorization", "Bearer tok-c"},
		},
		{
			name: "bearer with a prefix of a token", reason: "only the whole token matches",
			auth: bearer, header: []string{"Authorization", "Bearer tok"},
		},
		{
			name: "bearer with a token and more", reason: "only the whole token matches",
			auth: bearer, header: []string{"Authorization", "Bearer tok-ab"},
		},
		{
			name: "bearer with an empty token", reason: "an empty token never matches, even if the map has one",
			auth: bearer, header: []string{"Authorization", "Bearer "},
		},
		{
			name: "bearer scheme alone", reason: "no token is given",
			auth: bearer, header: []string{"Authorization", "Bearer"},
		},
		{
			name: "bearer token without the scheme", reason: "BearerTokens asks for the Bearer scheme",
			auth: bearer, header: []string{"Authorization", "tok-a"},
		},
		{
			name: "bearer token under the Basic scheme", reason: "the scheme must be Bearer",
			auth: bearer, header: []string{"Authorization", "Basic tok-a"},
		},
		{
			name: "bearer token in another header", reason: "BearerTokens reads Authorization only",
			auth: bearer, header: []string{"X-API-Key", "tok-a"},
		},
		{
			name: "R16 basic user of tenant a", reason: "each user maps to its credential's tenant",
			auth: basic, header: []string{"Authorization", mwBasic("alice", "pw-a")}, tenant: "a",
		},
		{
			name: "R16 basic user of tenant b", reason: "each user maps to its credential's tenant",
			auth: basic, header: []string{"Authorization", mwBasic("bob", "pw-b")}, tenant: "b",
		},
		{
			name: "basic scheme in lower case", reason: "auth schemes are case-insensitive",
			auth: basic, header: []string{"Authorization", "basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw-a"))}, tenant: "a",
		},
		{
			name: "basic user with another user's password", reason: "the password must be the user's own",
			auth: basic, header: []string{"Authorization", mwBasic("alice", "pw-b")},
		},
		{
			name: "basic user with a wrong password", reason: "a wrong password is 401",
			auth: basic, header: []string{"Authorization", mwBasic("alice", "pw-x")},
		},
		{
			name: "basic user and password split elsewhere", reason: "user and password are hashed apart, not as one string",
			auth: basic, header: []string{"Authorization", mwBasic("alicep", "w-a")},
		},
		{
			name: "basic unknown user", reason: "an unknown user is 401",
			auth: basic, header: []string{"Authorization", mwBasic("mallory", "pw-a")},
		},
		{
			name: "basic user with an empty password", reason: "an empty password never matches, even if configured",
			auth: basic, header: []string{"Authorization", mwBasic("eve", "")},
		},
		{
			name: "basic without header", reason: "a missing credential is 401",
			auth: basic,
		},
		{
			name: "basic with a bearer token", reason: "BasicAuth asks for the Basic scheme",
			auth: basic, header: []string{"Authorization", "Bearer pw-a"},
		},
		{
			name: "R16 header token of tenant a", reason: "each token maps to its own tenant",
			auth: apiKey, header: []string{"X-API-Key", "key-a"}, tenant: "a",
		},
		{
			name: "R16 header token of tenant b", reason: "each token maps to its own tenant",
			auth: apiKey, header: []string{"x-api-key", "key-b"}, tenant: "b",
		},
		{
			name: "header with a wrong token", reason: "an unknown token is 401",
			auth: apiKey, header: []string{"X-API-Key", "key-c"},
		},
		{
			name: "header with an empty token", reason: "an empty token never matches, even if the map has one",
			auth: apiKey, header: []string{"X-API-Key", ""},
		},
		{
			name: "header token missing", reason: "a missing credential is 401",
			auth: apiKey,
		},
		{
			name: "header token as a bearer token", reason: "HeaderTokens reads its own header only",
			auth: apiKey, header: []string{"Authorization", "Bearer key-a"},
		},
		{
			name: "Authorization header without scheme", reason: "with name Authorization the whole value is the token",
			auth: plain, header: []string{"Authorization", "key-b"}, tenant: "b",
		},
		{
			name: "Authorization header with a scheme", reason: "the scheme is part of the value, so it does not match",
			auth: plain, header: []string{"Authorization", "Bearer key-b"},
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tenant string
			var called bool
			h := scimx.Authenticate(tt.auth, mwTenantHandler(&tenant, &called))
			req := httptest.NewRequest(http.MethodPost, "/Groups", mwUnreadable{t})
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if tt.tenant == "" {
				if called {
					t.Errorf("next was called with tenant %q, want a 401 (%s)", tenant, tt.reason)
				}
				mwCheckError(t, res, http.StatusUnauthorized, "", "")
				if res.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 answer without WWW-Authenticate")
				}
				return
			}
			if res.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, http.StatusNoContent, tt.reason)
			}
			if tenant != tt.tenant {
				t.Errorf("tenant %q, want %q (%s)", tenant, tt.tenant, tt.reason)
			}
		})
	}
}

// TestMiddlewareAuthenticatorsEveryEntry checks that the branch-free
// selection over all entries finds each entry, whatever its position.
func TestMiddlewareAuthenticatorsEveryEntry(t *testing.T) {
	const n = 64
	tokens := map[string]string{}
	users := map[string]scimx.Credential{}
	for i := range n {
		tokens[fmt.Sprintf("token-%d", i)] = fmt.Sprintf("tenant-%d", i)
		users[fmt.Sprintf("user-%d", i)] = scimx.Credential{Password: fmt.Sprintf("pw-%d", i), Tenant: fmt.Sprintf("tenant-%d", i)}
	}
	bearer, apiKey, basic := scimx.BearerTokens(tokens), scimx.HeaderTokens("X-API-Key", tokens), scimx.BasicAuth(users)
	for i := range n {
		want := fmt.Sprintf("tenant-%d", i)
		req := httptest.NewRequest(http.MethodGet, "/Groups", nil)
		req.Header.Set("Authorization", fmt.Sprintf("Bearer token-%d", i))
		req.Header.Set("X-API-Key", fmt.Sprintf("token-%d", i))
		if got, ok := bearer.Authenticate(req); !ok || got != want {
			t.Errorf("bearer token %d: got %q, %v, want %q, true", i, got, ok, want)
		}
		if got, ok := apiKey.Authenticate(req); !ok || got != want {
			t.Errorf("header token %d: got %q, %v, want %q, true", i, got, ok, want)
		}
		req.SetBasicAuth(fmt.Sprintf("user-%d", i), fmt.Sprintf("pw-%d", i))
		if got, ok := basic.Authenticate(req); !ok || got != want {
			t.Errorf("basic user %d: got %q, %v, want %q, true", i, got, ok, want)
		}
	}
}

func TestMiddlewareAuthenticatorsCopyTheirMaps(t *testing.T) {
	tokens := map[string]string{"tok-a": "a"}
	users := map[string]scimx.Credential{"alice": {Password: "pw-a", Tenant: "a"}}
	bearer, apiKey, basic := scimx.BearerTokens(tokens), scimx.HeaderTokens("X-API-Key", tokens), scimx.BasicAuth(users)
	tokens["tok-a"], tokens["tok-b"] = "b", "b"
	users["alice"], users["bob"] = scimx.Credential{Password: "pw-a", Tenant: "b"}, scimx.Credential{Password: "pw-b", Tenant: "b"}

	tests := []struct {
		name   string
		auth   scimx.Authenticator
		header []string
		tenant string
		ok     bool
		reason string
	}{
		{"bearer keeps the old tenant", bearer, []string{"Authorization", "Bearer tok-a"}, "a", true,
			"BearerTokens copied the map it was given: moving tok-a to tenant b afterwards must not move its requests to b"},
		{"bearer ignores an added token", bearer, []string{"Authorization", "Bearer tok-b"}, "", false,
			"tok-b was added to the caller's map after BearerTokens was built, so it is no credential"},
		{"header keeps the old tenant", apiKey, []string{"X-API-Key", "tok-a"}, "a", true,
			"HeaderTokens copied the map it was given: moving tok-a to tenant b afterwards must not move its requests to b"},
		{"header ignores an added token", apiKey, []string{"X-API-Key", "tok-b"}, "", false,
			"tok-b was added to the caller's map after HeaderTokens was built, so it is no credential"},
		{"basic keeps the old tenant", basic, []string{"Authorization", mwBasic("alice", "pw-a")}, "a", true,
			"BasicAuth copied the map it was given: moving alice to tenant b afterwards must not move her requests to b"},
		{"basic ignores an added user", basic, []string{"Authorization", mwBasic("bob", "pw-b")}, "", false,
			"bob was added to the caller's map after BasicAuth was built, so he is no user"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/Groups", nil)
			req.Header.Set(tt.header[0], tt.header[1])
			tenant, ok := tt.auth.Authenticate(req)
			if tenant != tt.tenant || ok != tt.ok {
				t.Errorf("got %q, %v, want %q, %v: a change to the map after construction must not count (%s)", tenant, ok, tt.tenant, tt.ok, tt.reason)
			}
		})
	}
}

func TestMiddlewareTenantFrom(t *testing.T) {
	ctx := context.Background()
	if tenant, ok := scimx.TenantFrom(ctx); ok {
		t.Errorf("TenantFrom(Background) = %q, true; want no tenant", tenant)
	}
	ctx = scimx.WithTenant(ctx, "a")
	if tenant, ok := scimx.TenantFrom(ctx); !ok || tenant != "a" {
		t.Errorf("TenantFrom = %q, %v; want %q, true", tenant, ok, "a")
	}
	if tenant, ok := scimx.TenantFrom(scimx.WithTenant(ctx, "b")); !ok || tenant != "b" {
		t.Errorf("TenantFrom after a second WithTenant = %q, %v; want %q, true", tenant, ok, "b")
	}
}

// mwEcho answers 200 with the body it reads and notes its Content-Length.
func mwEcho(t *testing.T, contentLength *int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("next: reading the body: %v", err)
		}
		*contentLength = r.ContentLength
		_, _ = w.Write(b)
	})
}

func TestMiddlewareLimitBody(t *testing.T) {
	const max = 16
	full := strings.Repeat("x", max)
	tests := []struct {
		name   string
		reason string
		body   io.Reader
		length int64 // the declared Content-Length; -1 for unknown (chunked)
		status int
		scimT  string
	}{
		{
			name: "exactly max bytes", reason: "the limit is inclusive",
			body: strings.NewReader(full), length: max, status: http.StatusOK,
		},
		{
			name: "max+1 bytes", reason: "one byte over the limit",
			body: strings.NewReader(full + "y"), length: max + 1, status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "Content-Length over max", reason: "refused at once, without reading the body",
			body: mwUnreadable{t}, length: max + 1, status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "chunked, exactly max bytes", reason: "an unknown length within the limit passes",
			body: strings.NewReader(full), length: -1, status: http.StatusOK,
		},
		{
			name: "chunked, max+1 bytes", reason: "one byte over the limit, found by reading",
			body: strings.NewReader(full + "y"), length: -1, status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "chunked, over max", reason: "the limit holds for bodies of unknown length",
			body: strings.NewReader(full + full), length: -1, status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "Content-Length lies low", reason: "what is read counts, not what is declared",
			body: strings.NewReader(full + "y"), length: 4, status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "Content-Length lies high", reason: "next gets the bytes that were there and their true length",
			body: strings.NewReader("abc"), length: max, status: http.StatusOK,
		},
		{
			name: "empty body", reason: "nothing to limit",
			body: strings.NewReader(""), length: -1, status: http.StatusOK,
		},
		{
			name: "body read fails", reason: "a body that cannot be read is a syntax error, answered before next runs",
			body: iotest.TimeoutReader(strings.NewReader(full)), length: -1, status: http.StatusBadRequest, scimT: "invalidSyntax",
		},
		{
			name: "outer MaxBytesReader trips", reason: "a smaller limit further out is still a 413",
			body: http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(full)), 4), length: -1,
			status: http.StatusRequestEntityTooLarge,
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var contentLength int64
			req := httptest.NewRequest(http.MethodPost, "/Groups", tt.body)
			req.ContentLength = tt.length
			rec := httptest.NewRecorder()
			scimx.LimitBody(max, mwEcho(t, &contentLength)).ServeHTTP(rec, req)
			res := rec.Result()
			if tt.status != http.StatusOK {
				mwCheckError(t, res, tt.status, tt.scimT, "")
				return
			}
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tt.status, tt.reason)
			}
			if got := rec.Body.Len(); int64(got) != contentLength {
				t.Errorf("next saw Content-Length %d for a body of %d bytes (%s)", contentLength, got, tt.reason)
			}
		})
	}
}

func TestMiddlewareLimitBodyPassesBodylessRequests(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodDelete} {
		req := httptest.NewRequest(method, "/Groups", nil)
		var body io.ReadCloser
		h := scimx.LimitBody(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body = r.Body
			w.WriteHeader(http.StatusNoContent)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			t.Errorf("%s: status %d, want %d", method, rec.Code, http.StatusNoContent)
		}
		if body != http.NoBody {
			t.Errorf("%s: next got body %T, want the request's own http.NoBody", method, body)
		}
	}
}

func TestMiddlewareLimitBodyDefault(t *testing.T) {
	var contentLength int64
	h := scimx.LimitBody(0, mwEcho(t, &contentLength))

	req := httptest.NewRequest(http.MethodPost, "/Groups", mwUnreadable{t})
	req.ContentLength = scimx.DefaultMaxBody + 1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	mwCheckError(t, rec.Result(), http.StatusRequestEntityTooLarge, "", "")

	req = httptest.NewRequest(http.MethodPost, "/Groups", bytes.NewReader(make([]byte, scimx.DefaultMaxBody)))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || int64(rec.Body.Len()) != scimx.DefaultMaxBody {
		t.Errorf("a body of DefaultMaxBody bytes: status %d with %d bytes, want %d with %d", rec.Code, rec.Body.Len(), http.StatusOK, scimx.DefaultMaxBody)
	}
}

// TestMiddlewareLimitBodyOverHTTP sends bodies over a real connection, where
// the server enforces Content-Length and decodes chunks.
func TestMiddlewareLimitBodyOverHTTP(t *testing.T) {
	const max = 1 << 10
	var contentLength int64
	ts := httptest.NewServer(scimx.LimitBody(max, mwEcho(t, &contentLength)))
	t.Cleanup(ts.Close)

	post := func(t *testing.T, body io.Reader) *http.Response {
		t.Helper()
		res, err := http.Post(ts.URL+"/Groups", "application/scim+json", body)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	t.Run("chunked over max", func(t *testing.T) {
		// A reader of unknown length makes the client send chunks.
		res := post(t, io.MultiReader(strings.NewReader(strings.Repeat("x", 3*max))))
		if res.Request.ContentLength != 0 {
			t.Fatalf("the request has Content-Length %d, want it unknown", res.Request.ContentLength)
		}
		mwCheckError(t, res, http.StatusRequestEntityTooLarge, "", "")
	})
	t.Run("chunked within max", func(t *testing.T) {
		res := post(t, io.MultiReader(strings.NewReader(strings.Repeat("x", max))))
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || len(got) != max || contentLength != max {
			t.Errorf("got status %d, %d bytes echoed, Content-Length %d; want %d, %d, %d", res.StatusCode, len(got), contentLength, http.StatusOK, max, max)
		}
	})
	t.Run("Content-Length longer than the body", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "POST /Groups HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"displayName\":")
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		mwCheckError(t, res, http.StatusBadRequest, "invalidSyntax", "")
	})
}

// mwPanicMux panics in several ways; /ok answers 200.
func mwPanicMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"7"`)
		panic("secret internal text")
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) {
		panic(errors.New("secret internal text"))
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/partial", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"partial":`)
		panic("secret internal text")
	})
	return mux
}

func TestMiddlewareRecover(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	for _, path := range []string{"/panic", "/error"} {
		t.Run(path, func(t *testing.T) {
			logs.Reset()
			rec := httptest.NewRecorder()
			scimx.Recover(logger, mwPanicMux()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			res := rec.Result()
			mwCheckError(t, res, http.StatusInternalServerError, "", "secret")
			if etag := res.Header.Get("ETag"); etag != "" {
				t.Errorf("ETag %q of the failed handler kept, want none", etag)
			}
			var record map[string]any
			if err := json.Unmarshal(logs.Bytes(), &record); err != nil {
				t.Fatalf("log is not one JSON record: %v\n%s", err, logs.Bytes())
			}
			if got, want := record["panic"], "secret internal text"; got != want {
				t.Errorf("logged panic %v, want %q", got, want)
			}
			if stack, _ := record["stack"].(string); !strings.Contains(stack, "mwPanicMux") {
				t.Errorf("logged stack does not show the panicking function:\n%s", stack)
			}
			if got, want := record["level"], "ERROR"; got != want {
				t.Errorf("level %v, want %v", got, want)
			}
		})
	}
	t.Run("nil logger", func(t *testing.T) {
		rec := httptest.NewRecorder()
		scimx.Recover(nil, mwPanicMux()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
		mwCheckError(t, rec.Result(), http.StatusInternalServerError, "", "secret")
	})
	for _, path := range []string{"/abort", "/partial"} {
		t.Run(path+" aborts", func(t *testing.T) {
			defer func() {
				if v := recover(); v != http.ErrAbortHandler {
					t.Errorf("recovered %v, want http.ErrAbortHandler", v)
				}
			}()
			scimx.Recover(nil, mwPanicMux()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		})
	}
}

func TestMiddlewareRecoverKeepsServing(t *testing.T) {
	ts := httptest.NewServer(scimx.Recover(nil, mwPanicMux()))
	t.Cleanup(ts.Close)
	get := func(path string) (*http.Response, error) {
		res, err := http.Get(ts.URL + path)
		if err == nil {
			t.Cleanup(func() { res.Body.Close() })
		}
		return res, err
	}
	for _, path := range []string{"/panic", "/abort", "/partial", "/panic"} {
		res, err := get(path)
		switch path {
		case "/panic":
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			mwCheckError(t, res, http.StatusInternalServerError, "", "secret")
		default: // the connection is cut: no answer, or a truncated one
			if err == nil {
				if _, err = io.ReadAll(res.Body); err == nil {
					t.Errorf("GET %s: a whole answer, want the connection cut", path)
				}
			}
		}
		res, err = get("/ok")
		if err != nil {
			t.Fatalf("GET /ok after %s: %v", path, err)
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /ok after %s: status %d, want %d", path, res.StatusCode, http.StatusOK)
		}
	}
}

func TestMiddlewareLogRequests(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	auth := scimx.BearerTokens(map[string]string{"tok-a": "a", "tok-b": "b"})
	app := http.NewServeMux()
	app.HandleFunc("/Groups", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created")
	})
	app.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	app.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	authenticated := scimx.Recover(nil, scimx.LogRequests(logger, scimx.Authenticate(auth, app)))

	tests := []struct {
		name    string
		reason  string
		handler http.Handler
		method  string
		path    string
		header  []string
		want    map[string]any
	}{
		{
			name: "R16 tenant a", reason: "the tenant Authenticate found further in is logged",
			handler: authenticated, method: http.MethodPost, path: "/Groups", header: []string{"Authorization", "Bearer tok-a"},
			want: map[string]any{"level": "INFO", "method": "POST", "path": "/Groups", "status": 201.0, "tenant": "a"},
		},
		{
			name: "R16 tenant b", reason: "each request logs its own tenant",
			handler: authenticated, method: http.MethodGet, path: "/Groups", header: []string{"Authorization", "Bearer tok-b"},
			want: map[string]any{"level": "INFO", "method": "GET", "path": "/Groups", "status": 201.0, "tenant": "b"},
		},
		{
			name: "refused", reason: "a refused request has no tenant",
			handler: authenticated, method: http.MethodGet, path: "/Groups", header: []string{"Authorization", "Bearer tok-x"},
			want: map[string]any{"level": "INFO", "method": "GET", "path": "/Groups", "status": 401.0},
		},
		{
			name: "server error", reason: "statuses of 500 and more are logged as errors",
			handler: authenticated, method: http.MethodGet, path: "/down", header: []string{"Authorization", "Bearer tok-a"},
			want: map[string]any{"level": "ERROR", "method": "GET", "path": "/down", "status": 503.0, "tenant": "a"},
		},
		{
			name: "panic", reason: "a panic on its way to Recover is logged as a 500",
			handler: authenticated, method: http.MethodDelete, path: "/panic", header: []string{"Authorization", "Bearer tok-a"},
			want: map[string]any{"level": "ERROR", "method": "DELETE", "path": "/panic", "status": 500.0, "bytes": 0.0, "tenant": "a", "aborted": true},
		},
		{
			name: "tenant from an outer context", reason: "a tenant set before LogRequests is logged too",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				scimx.LogRequests(logger, http.NotFoundHandler()).ServeHTTP(w, r.WithContext(scimx.WithTenant(r.Context(), "c")))
			}),
			method: http.MethodGet, path: "/nothing",
			want: map[string]any{"level": "INFO", "method": "GET", "path": "/nothing", "status": 404.0, "tenant": "c"},
		},
		{
			name: "implicit 200", reason: "a handler that writes nothing answers 200",
			handler: scimx.LogRequests(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})),
			method:  http.MethodGet, path: "/",
			want: map[string]any{"level": "INFO", "method": "GET", "path": "/", "status": 200.0},
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest(tt.method, tt.path+"?filter=secret", nil)
			req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, req)

			var got map[string]any
			if err := json.Unmarshal(logs.Bytes(), &got); err != nil {
				t.Fatalf("log is not one JSON record: %v\n%s", err, logs.Bytes())
			}
			if d, ok := got["duration"].(float64); !ok || d < 0 {
				t.Errorf("duration %v, want a number of nanoseconds", got["duration"])
			}
			want := map[string]any{
				"msg": "http request", "remote": "192.0.2.1:1234", "user_agent": "Okta SCIM Client 1.0.0",
				"bytes": float64(rec.Body.Len()),
			}
			for k, v := range tt.want {
				want[k] = v
			}
			ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "time" || k == "duration" })
			if diff := cmp.Diff(want, got, ignore); diff != "" {
				t.Errorf("log record mismatch (-want +got), %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func TestMiddlewareLogRequestsNilLogger(t *testing.T) {
	var called bool
	h := scimx.LogRequests(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		if _, ok := w.(*httptest.ResponseRecorder); !ok {
			t.Errorf("next got a %T, want the ResponseWriter unwrapped", w)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !called {
		t.Error("next was not called")
	}
}
