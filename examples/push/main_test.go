package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
	groupsync "github.com/groupsync/groupsync/sync"
)

type fixture struct {
	dir   string
	url   string
	store *scimx.MemStore
	fail  string // a displayName whose POSTs answer 400
	files int
	// progress is what the last push wrote to stderr.
	progress string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), store: &scimx.MemStore{}}
	h, err := app.New(app.Config{Tokens: map[string]string{"tok": "acme"}, Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.fail != "" && r.Method == http.MethodPost && r.Body != nil {
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(r.Body)
			if strings.Contains(buf.String(), f.fail) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"refused"}`))
				return
			}
			r.Body = nopCloser{&buf}
		}
		h.ServeHTTP(w, r)
	})
	s := httptest.NewServer(fail)
	t.Cleanup(s.Close)
	f.url = s.URL + "/scim/v2"
	return f
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func (f *fixture) source(t *testing.T, groups ...string) string {
	t.Helper()
	var src struct {
		Groups []map[string]any `json:"groups"`
	}
	for i, name := range groups {
		src.Groups = append(src.Groups, map[string]any{"id": fmt.Sprintf("00g%d", i), "name": name, "members": []string{"u1", "u2"}})
	}
	data, _ := json.Marshal(src)
	f.files++
	path := filepath.Join(f.dir, fmt.Sprintf("source-%d.json", f.files))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *fixture) push(t *testing.T, extra ...string) (string, int) {
	t.Helper()
	var out, progress bytes.Buffer
	args := append([]string{"-target", f.url, "-token", "tok", "-db", filepath.Join(f.dir, "push.db")}, extra...)
	err := runIn(context.Background(), args, env{stdout: &out, stderr: &progress, now: time.Now})
	f.progress = progress.String()
	return out.String(), exitCode(err)
}

func (f *fixture) groups(t *testing.T) int {
	t.Helper()
	n := 0
	_ = f.store.View(context.Background(), "acme", func(tx scimx.Tx) error {
		gs, err := tx.Groups()
		n = len(gs)
		return err
	})
	return n
}

// state reads the push's database.
func (f *fixture) state(t *testing.T) groupsync.State {
	t.Helper()
	s, closeStore, err := openStore(context.Background(), filepath.Join(f.dir, "push.db"), f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPush(t *testing.T) {
	f := newFixture(t)
	src := f.source(t, "Engineering", "Sales")

	out, code := f.push(t, "-source", src, "-dry-run")
	if code != 0 || !strings.Contains(out, `+ create "Engineering"`) || f.groups(t) != 0 {
		t.Fatalf("dry run: exit %d, %d groups, output:\n%s", code, f.groups(t), out)
	}
	if st := f.state(t); len(st.Links) != 0 || st.LastPlan != nil {
		t.Errorf("dry run wrote state: %+v", st)
	}
	out, code = f.push(t, "-source", src)
	if code != 0 || f.groups(t) != 2 || !strings.Contains(out, "2 created") {
		t.Fatalf("push: exit %d, %d groups, output:\n%s", code, f.groups(t), out)
	}
	if st := f.state(t); len(st.Links) != 2 || len(st.Statuses) != 2 {
		t.Errorf("state after the push: %d links, %d statuses; want 2 and 2", len(st.Links), len(st.Statuses))
	}
	out, code = f.push(t, "-source", src)
	if code != 0 || !strings.Contains(out, "0 to create") {
		t.Errorf("second push: exit %d, output:\n%s", code, out)
	}
	out, code = f.push(t, "-source", src, "-diagnose")
	if code != 0 || !strings.Contains(out, "No problems found.") {
		t.Errorf("diagnose: exit %d, output:\n%s", code, out)
	}
}

func TestPushExitCodes(t *testing.T) {
	f := newFixture(t)
	var eleven []string
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf("Group %d", i))
	}
	if _, code := f.push(t, "-source", f.source(t, eleven...)); code != 0 {
		t.Fatalf("setup push: exit %d", code)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		reason string
	}{
		{"usage: no source", nil, 2,
			"without -source there is no desired set to push: a usage error, exit 2 as the command's doc says"},
		{"usage: unknown flag", []string{"-nope"}, 2,
			"an unknown flag is a usage error, exit 2"},
		{"R1 not connected: wrong token", []string{"-source", f.source(t, "A"), "-token", "wrong"}, 4,
			"R1: a wrong token fails the connection check before anything is written: not connected, exit 4, not a usage error"},
		{"usage: help", []string{"-h"}, 0,
			"-h asks for the help text, which is no error"},
		{"usage: bad duration", []string{"-source", f.source(t, "A"), "-deadline", "soon"}, 2,
			"a flag value that does not parse is a usage error"},
		{"R10 too many deletes", []string{"-source", f.source(t)}, 3,
			"R10: an empty source would unlink all 11 groups, over the default limit of 10, so the plan is refused whole: exit 3"},
		{"R15 a group failed", []string{"-source", f.source(t, append(eleven, "Refused")...)}, 1,
			"R15: the refused POST fails that one group, the others go on, and the run reports the failure: exit 1"},
	}
	tabletest.Check(t, tests)
	f.fail = "Refused"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := f.push(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (%s); output:\n%s", code, tt.code, tt.reason, out)
			}
		})
	}
}

// Two runs against one state never interleave: while another run holds the
// lease, a push waits, then fails.
func TestPushWaitsForTheLease(t *testing.T) {
	f := newFixture(t)
	s, closeStore, err := openStore(context.Background(), filepath.Join(f.dir, "push.db"), f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	release, err := s.Lease(context.Background(), "another run", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer release(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err = run(ctx, []string{"-target", f.url, "-token", "tok", "-db", filepath.Join(f.dir, "push.db"), "-source", f.source(t, "Engineering")}, &out)
	if err == nil || f.groups(t) != 0 {
		t.Errorf("push while another run holds the lease: %v, %d groups; want an error and nothing pushed", err, f.groups(t))
	}
}
