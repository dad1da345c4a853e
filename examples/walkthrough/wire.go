package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	gosync "sync"

	"github.com/groupsync/groupsync/examples/internal/article"
)

// wire is the app as the network sees it: it records every SCIM write with
// its answer and, while a group id is set, answers 503 to PATCH requests on
// that group instead of the app.
type wire struct {
	next http.Handler

	mu      gosync.Mutex
	failing string     // the group id whose PATCH requests fail
	writes  []exchange // since the last take
}

// exchange is one SCIM write and its answer.
type exchange struct {
	method, path string
	body         map[string]any
	status       int
}

func (x *wire) fail(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.failing = id
}

// take returns and forgets the writes recorded so far.
func (x *wire) take() []exchange {
	x.mu.Lock()
	defer x.mu.Unlock()
	xs := x.writes
	x.writes = nil
	return xs
}

// show prints the SCIM writes since the last take and returns how many
// there were. It returns an error when one of them names an attribute other
// than ID, name and members (only those sync, R2), or was answered 503 and
// not sent again (transient errors are retried, R15).
func (x *wire) show(out *article.Printer) (int, error) {
	xs := x.take()
	if len(xs) == 0 {
		out.Printf("  > no SCIM write\n")
	}
	sent := map[string]int{}
	for _, ex := range xs {
		out.Printf("  > %s\n", ex)
		sent[ex.request()]++
	}
	for _, ex := range xs {
		if other := ex.otherAttributes(); len(other) > 0 {
			return len(xs), fmt.Errorf("%s %s sent attributes %v: only ID, name and members sync", ex.method, ex.path, other)
		}
		if ex.status == http.StatusServiceUnavailable && sent[ex.request()] < 2 {
			return len(xs), fmt.Errorf("%s %s was answered 503 and not retried", ex.method, ex.path)
		}
	}
	return len(xs), nil
}

func (x *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/scim/") || r.Method == http.MethodGet {
		x.next.ServeHTTP(rw, r)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(rw, "cannot read the request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	ex := exchange{method: r.Method, path: r.URL.Path}
	_ = json.Unmarshal(data, &ex.body)

	x.mu.Lock()
	failing := x.failing != "" && r.Method == http.MethodPatch && r.URL.Path == "/scim/v2/Groups/"+x.failing
	x.mu.Unlock()
	rec := &recorder{ResponseWriter: rw, record: func(status int) {
		ex.status = status
		x.mu.Lock()
		defer x.mu.Unlock()
		x.writes = append(x.writes, ex)
	}}
	if failing {
		rec.Header().Set("Content-Type", "application/scim+json")
		rec.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(rec, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],`+
			`"status":"503","detail":"the service is temporarily unavailable"}`)
		return
	}
	x.next.ServeHTTP(rec, r)
	rec.done()
}

// recorder records the status of an answer before any of it is sent, so
// that the client never sees an answer the wire has not recorded yet.
type recorder struct {
	http.ResponseWriter
	record   func(status int)
	recorded bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.recorded {
		r.recorded = true
		r.record(status)
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.recorded {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) done() {
	if !r.recorded {
		r.WriteHeader(http.StatusOK)
	}
}

// String renders the write as method, path, what it sets and the answer.
func (x exchange) String() string {
	s := x.method + " " + x.path
	if what := x.summary(); what != "" {
		s += ": " + what
	}
	return fmt.Sprintf("%s -> %d %s", s, x.status, http.StatusText(x.status))
}

// request renders the write without its answer.
func (x exchange) request() string { return x.method + " " + x.path + ": " + x.summary() }

// summary says what a POST or PUT sets, or what a PATCH's operations do.
func (x exchange) summary() string {
	var parts []string
	if ops, ok := x.body["Operations"].([]any); ok {
		for _, o := range ops {
			op, _ := o.(map[string]any)
			part := fmt.Sprint(op["op"])
			if p, ok := op["path"].(string); ok {
				part += " " + p
			}
			if v, ok := op["value"]; ok {
				part += " " + value(v)
			}
			parts = append(parts, part)
		}
		return strings.Join(parts, "; ")
	}
	for _, k := range attributes(x.body) {
		parts = append(parts, k+" "+value(x.body[k]))
	}
	return strings.Join(parts, ", ")
}

// otherAttributes returns the attributes the write names beyond externalId,
// displayName and members (and the id a PUT repeats): none, if only ID, name
// and members sync.
func (x exchange) otherAttributes() []string {
	var names []string
	if ops, ok := x.body["Operations"].([]any); ok {
		for _, o := range ops {
			op, _ := o.(map[string]any)
			if p, ok := op["path"].(string); ok {
				names = append(names, strings.SplitN(p, "[", 2)[0])
			} else if v, ok := op["value"].(map[string]any); ok {
				names = append(names, attributes(v)...)
			}
		}
	} else {
		names = attributes(x.body)
	}
	return slices.DeleteFunc(names, func(n string) bool {
		return n == "externalId" || n == "displayName" || n == "members" || n == "id"
	})
}

// attributes returns the attribute names of a SCIM body, sorted, without
// schemas.
func attributes(body map[string]any) []string {
	var ks []string
	for k := range body {
		if k != "schemas" {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// value renders an attribute value: a string quoted, a member list as its
// values.
func value(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []any:
		var vs []string
		for _, m := range v {
			if mo, ok := m.(map[string]any); ok {
				vs = append(vs, fmt.Sprint(mo["value"]))
			}
		}
		if len(vs) == 0 {
			return "(none)"
		}
		return strings.Join(vs, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}
