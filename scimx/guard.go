package scimx

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"
)

// DefaultBodyTimeout is how long [NewServer] waits for a request's body,
// from the moment its credentials are accepted, unless
// [ServerOptions.BodyTimeout] says otherwise: 16 MiB arrive in that time at
// 560 KB/s.
const DefaultBodyTimeout = 30 * time.Second

// DefaultTimeout is how long a request may take once its credentials are
// accepted, its body included, unless [ServerOptions.Timeout] says
// otherwise. Okta gives up on an answer after 60 seconds.
const DefaultTimeout = 60 * time.Second

// writeAllowance is how long, past its timeout, a request may take to
// write its answer.
const writeAllowance = 30 * time.Second

// guard makes the checks of an authenticated request that need no body,
// before the SCIM library sees it, and bounds its time (R18):
//
//   - a group id in the path that is not one path segment (a dot segment,
//     an encoded slash), that is longer than any stored value or that holds
//     a control character or invalid UTF-8 names no group: 404, without
//     asking the store;
//   - a filter over the length or depth limits, not valid UTF-8 or with a
//     lone surrogate escape is 400 invalidFilter (the filter parser would
//     exhaust the stack on deep nesting, and costs microseconds a byte);
//   - the request's context ends after timeout, the body must arrive
//     within bodyTimeout, and the answer be written within writeAllowance
//     of the timeout.
//
// It also mends what the SCIM library gets wrong: its filter parser refuses
// \u escapes with lower-case hex, which JSON encoders write, and it decodes
// the id of a path twice, so that /Groups/%2541 would name the group "A".
//
// The id checks apply to every endpoint of endpoints (/Groups and the
// app's resource types).
func guard(lim Limits, bodyTimeout, timeout time.Duration, endpoints []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if endpoint, id, ok := resourceID(r, endpoints); ok {
			if detail, ok := checkID(endpoint, id); !ok {
				refuse(w, r, http.StatusNotFound, "", detail)
				return
			}
			// The SCIM library unescapes the path it is given: give it the
			// id escaped, so that it sees the id itself.
			u := *r.URL
			u.Path = strings.TrimSuffix(r.URL.Path, id) + url.PathEscape(id)
			u.RawPath = ""
			r = r.Clone(r.Context())
			r.URL = &u
		}
		if q := r.URL.Query(); q.Has("filter") {
			f := strings.TrimSpace(q.Get("filter"))
			if detail, ok := checkExpression("the filter", f, lim.FilterLength, lim.FilterDepth); !ok {
				refuse(w, r, http.StatusBadRequest, string(scimerrors.ScimTypeInvalidFilter), detail)
				return
			}
			q.Set("filter", upperHexEscapes(q.Get("filter")))
			u := *r.URL
			u.RawQuery = q.Encode()
			r = r.Clone(r.Context())
			r.URL = &u
		}
		ctx, cancel := context.WithDeadline(r.Context(), start.Add(timeout))
		defer cancel()
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(start.Add(timeout + writeAllowance))
		if hasBody(r) {
			_ = rc.SetReadDeadline(start.Add(min(bodyTimeout, timeout)))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// groupID returns the id part of a request for /Groups/{id} (or
// /v2/Groups/{id}), as the SCIM library reads it: everything after the
// slash, decoded.
func groupID(r *http.Request) (string, bool) {
	_, id, ok := resourceID(r, []string{"/Groups"})
	return id, ok
}

// resourceID returns the endpoint and the id part of a request for
// {endpoint}/{id} (or /v2{endpoint}/{id}) of one of endpoints, as the SCIM
// library reads it: everything after the slash, decoded.
func resourceID(r *http.Request, endpoints []string) (endpoint, id string, ok bool) {
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	for _, e := range endpoints {
		if id, ok := strings.CutPrefix(p, e+"/"); ok && id != ".search" {
			return e, id, true
		}
	}
	return "", "", false
}

// checkID refuses an id no resource of endpoint can have.
func checkID(endpoint, id string) (detail string, ok bool) {
	what := "no group"
	if endpoint != "/Groups" {
		what = "no resource of " + endpoint
	}
	switch {
	case strings.ContainsRune(id, '/') || id == "." || id == "..":
		return what + " has the id " + shortQuote(id) + ": an id is one path segment", false
	case len(id) > maxValue:
		return what + " has the id " + shortQuote(id) + ", which is " + strconv.Itoa(len(id)) + " bytes long", false
	case !utf8.ValidString(id) || strings.IndexFunc(id, unicode.IsControl) >= 0:
		return what + " has the id " + shortQuote(id), false
	}
	return "", true
}

// shortQuote quotes at most the first 64 bytes of s, so that an answer
// never echoes much of what it was sent.
func shortQuote(s string) string {
	const show = 64
	if len(s) <= show {
		return strconv.Quote(s)
	}
	cut := show
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// hasBody reports whether r may carry a body that has not been read.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// refuse answers with a SCIM error before the body is read; when the
// request has a body, the answer closes the connection, so that the HTTP
// server does not read the body first, which a client can send as slowly
// as it likes.
func refuse(w http.ResponseWriter, r *http.Request, status int, scimType, detail string) {
	if !hasBody(r) {
		writeError(w, status, scimType, detail)
		return
	}
	w.Header().Set("Connection", "close")
	writeError(w, status, scimType, detail)
	leaveBody(w)
}

// leaveBody makes the HTTP server close the connection of an answer it
// has sent without reading the rest of the body, which it would otherwise
// try to, for up to 256 KiB, before closing: the read deadline passes at
// once.
func leaveBody(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// checkBody checks the body of a POST, PUT or PATCH, in memory after
// [LimitBody], in one pass before the SCIM library decodes it (R18): it
// must be strict JSON ([CheckJSON]) within lim, and a PATCH's paths within
// the path limits. A POST or PUT of a group without schemas, as an AWS sync
// tool sends it (WIRE.md), is given the core Group schema. Once the body is
// in, the connection's read deadline is lifted: the request's context
// bounds the rest.
func checkBody(lim Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasBody(r) || r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		body, err := bodyBytes(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, string(scimerrors.ScimTypeInvalidSyntax), "the request body cannot be read")
			return
		}
		facts, err := scanJSON(body, lim.JSONDepth)
		if err != nil {
			writeError(w, http.StatusBadRequest, string(scimerrors.ScimTypeInvalidSyntax), "the request body is not strict JSON: "+err.Error())
			return
		}
		if facts.members > lim.Members {
			writeError(w, http.StatusRequestEntityTooLarge, "",
				"the request holds "+strconv.Itoa(facts.members)+" member values, over the limit of "+strconv.Itoa(lim.Members))
			return
		}
		if r.Method == http.MethodPatch {
			if status, scimType, detail, ok := checkPatch(facts, lim); !ok {
				writeError(w, status, scimType, detail)
				return
			}
		}
		_, isGroup := groupID(r)
		isGroup = isGroup && r.Method == http.MethodPut ||
			r.Method == http.MethodPost && strings.TrimPrefix(r.URL.Path, "/v2") == "/Groups"
		if isGroup && facts.object && !facts.schemas {
			body = withGroupSchema(body, facts.keys)
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &memBody{Reader: bytes.NewReader(body), b: body}
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}

// checkPatch checks the operations and paths of a PATCH body.
func checkPatch(f jsonFacts, lim Limits) (status int, scimType, detail string, ok bool) {
	if f.operations > lim.Operations {
		return http.StatusRequestEntityTooLarge, "",
			"the request holds " + strconv.Itoa(f.operations) + " operations, over the limit of " + strconv.Itoa(lim.Operations), false
	}
	total := 0
	for i, p := range f.paths {
		what := "the path of operation " + strconv.Itoa(i+1)
		if detail, ok := checkExpression(what, p, lim.PathLength, lim.FilterDepth); !ok {
			return http.StatusBadRequest, string(scimerrors.ScimTypeInvalidPath), detail, false
		}
		total += len(p)
	}
	if total > lim.PathBytes {
		return http.StatusRequestEntityTooLarge, "",
			"the paths of the request add up to " + strconv.Itoa(total) + " bytes, over the limit of " + strconv.Itoa(lim.PathBytes), false
	}
	return 0, "", "", true
}

// coreGroupSchemas is what withGroupSchema adds to a body.
const coreGroupSchemas = `"schemas":["` + GroupSchema + `"]`

// withGroupSchema returns a copy of body, a JSON object with keys keys,
// that lists the core Group schema first.
func withGroupSchema(body []byte, keys int) []byte {
	open := bytes.IndexByte(body, '{')
	out := make([]byte, 0, len(body)+len(coreGroupSchemas)+1)
	out = append(out, body[:open+1]...)
	out = append(out, coreGroupSchemas...)
	if keys > 0 {
		out = append(out, ',')
	}
	return append(out, body[open+1:]...)
}

// memBody is a request body in memory, as [LimitBody] leaves it, so that
// a later check reads it without a copy.
type memBody struct {
	*bytes.Reader
	b []byte
}

func (*memBody) Close() error { return nil }

// bodyBytes returns the body of r: without a copy when [LimitBody] read
// it.
func bodyBytes(r *http.Request) ([]byte, error) {
	if m, ok := r.Body.(*memBody); ok && m.Reader.Len() == len(m.b) {
		return m.b, nil
	}
	return io.ReadAll(r.Body)
}
