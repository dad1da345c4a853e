package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/groupsync/groupsync/scimx"
)

// maxRewrite bounds the bodies entraBooleans reads: a user's PATCH is a
// few hundred bytes.
const maxRewrite = 64 << 10

// entraBooleans passes on an authenticated POST, PUT or PATCH to /Users
// with the strings "True" and "False" (in any letter case) that Entra ID
// sends for active, such as {"op":"Replace","path":"active","value":"False"},
// written as the JSON booleans the User schema declares: the SCIM library
// refuses them otherwise with 400 invalidValue before the handler sees
// them, and its only switch for them is global to the process. It leaves
// every other request alone, and so any body that is not strict JSON
// (scimx.CheckJSON), larger than 64 KiB or without a Content-Length: the
// service checks and refuses those. It reads the body after the
// credentials are checked, within scimx.DefaultBodyTimeout.
func entraBooleans(auth scimx.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !usersWrite(r) || r.ContentLength <= 0 || r.ContentLength > maxRewrite {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := auth.Authenticate(r); !ok {
			next.ServeHTTP(w, r) // the service answers 401 without reading the body
			return
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(scimx.DefaultBodyTimeout))
		body, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		if err == nil && scimx.CheckJSON(body, 0) == nil {
			if fixed, ok := fixActive(body); ok {
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(fixed)), int64(len(fixed))
				r.Header.Set("Content-Length", strconv.Itoa(len(fixed)))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// usersWrite reports whether r writes a user.
func usersWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	// The path is the service's, relative to its mount point: /v2/Users
	// or /Users, as the SCIM library routes them.
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v2"), "/")
	return rest == "Users" || strings.HasPrefix(rest, "Users/")
}

// fixActive rewrites the string booleans of active in a user's body or a
// PATCH's operations, and reports whether it changed anything.
func fixActive(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	changed := fixActiveIn(doc)
	for k, v := range doc {
		if !strings.EqualFold(k, "Operations") {
			continue
		}
		ops, _ := v.([]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			var path any
			var hasPath bool
			for ok, ov := range op {
				if strings.EqualFold(ok, "path") {
					path, hasPath = ov, true
				}
			}
			for vk, vv := range op {
				if !strings.EqualFold(vk, "value") {
					continue
				}
				if p, _ := path.(string); hasPath && strings.EqualFold(p, "active") {
					if b, ok := stringBool(vv); ok {
						op[vk], changed = b, true
					}
				} else if m, ok := vv.(map[string]any); ok && (!hasPath || path == nil) {
					changed = fixActiveIn(m) || changed
				}
			}
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

// fixActiveIn rewrites m's active, in any letter case, when it is a string
// boolean.
func fixActiveIn(m map[string]any) bool {
	changed := false
	for k, v := range m {
		if strings.EqualFold(k, "active") {
			if b, ok := stringBool(v); ok {
				m[k], changed = b, true
			}
		}
	}
	return changed
}

func stringBool(v any) (bool, bool) {
	s, ok := v.(string)
	switch {
	case !ok:
		return false, false
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}
