package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/scimx"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/sqlstore"
)

// helperTarget is what a helper process pushes: a target URL and its
// source file.
type helperTarget struct {
	URL, Source string
}

// TestPushHelperProcess is not a test: it is the body of the push processes
// that TestR20TwoProcessesPushTwentyTargets starts, each pushing every
// target the environment names, one after another.
func TestPushHelperProcess(t *testing.T) {
	if os.Getenv("GROUPSYNC_PUSH_HELPER") != "1" {
		t.Skip("run by TestR20TwoProcessesPushTwentyTargets")
	}
	var targets []helperTarget
	if err := json.Unmarshal([]byte(os.Getenv("PUSH_TARGETS")), &targets); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		var out, progress bytes.Buffer
		args := []string{"-target", tg.URL, "-token", os.Getenv("PUSH_TOKEN"), "-db", os.Getenv("PUSH_DB"),
			"-source", tg.Source, "-concurrency", "2", "-lease-wait", "2m", "-quiet"}
		if err := runIn(context.Background(), args, env{stdout: &out, stderr: &progress, now: time.Now}); err != nil {
			t.Errorf("push %s: %v\n%s", tg.URL, err, out.String())
		}
	}
}

// recording is an app that records, per request, which process sent it
// (by its token).
type recording struct {
	h   http.Handler
	mu  sync.Mutex
	who []string
}

func (r *recording) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.who = append(r.who, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

// R20: two push processes each push the same 20 targets, in opposite
// orders, at the same time, through one database: each target's pushes run
// one at a time (the requests of one process to a target never interleave
// with the other's), nothing is lost, and every target converges.
func TestR20TwoProcessesPushTwentyTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	for _, db := range []struct {
		name string
		spec func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "push.db") }},
		{"Postgres", func(t *testing.T) string { return sqltest.PostgresDSN(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			spec := db.spec(t)
			const n, groups = 20, 5
			dir := t.TempDir()
			apps := make([]*recording, n)
			stores := make([]*scimx.MemStore, n)
			targets := make([]helperTarget, n)
			for i := range n {
				stores[i] = &scimx.MemStore{}
				h, err := app.New(app.Config{Tokens: map[string]string{"tok1": "acme", "tok2": "acme"}, Store: stores[i]})
				if err != nil {
					t.Fatal(err)
				}
				apps[i] = &recording{h: h}
				s := httptest.NewServer(apps[i])
				t.Cleanup(s.Close)
				var src source
				for g := range groups {
					src.Groups = append(src.Groups, struct {
						ID      string   `json:"id"`
						Name    string   `json:"name"`
						Members []string `json:"members"`
					}{fmt.Sprintf("00g%d", g), fmt.Sprintf("Team %d-%d", i, g), []string{"u1", fmt.Sprintf("u%d", 2+g)}})
				}
				data, _ := json.Marshal(src)
				path := filepath.Join(dir, fmt.Sprintf("source-%d.json", i))
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				targets[i] = helperTarget{URL: s.URL + "/scim/v2", Source: path}
			}
			// Migrate once, as a deployment does before starting workers.
			if _, closeStore, err := openStore(context.Background(), spec, "setup"); err != nil {
				t.Fatal(err)
			} else {
				closeStore()
			}
			backwards := slices.Clone(targets)
			slices.Reverse(backwards)
			var wg sync.WaitGroup
			for p, order := range [][]helperTarget{targets, backwards} {
				list, _ := json.Marshal(order)
				cmd := exec.Command(os.Args[0], "-test.run=^TestPushHelperProcess$")
				cmd.Env = append(os.Environ(), "GROUPSYNC_PUSH_HELPER=1", "PUSH_DB="+spec,
					fmt.Sprintf("PUSH_TOKEN=tok%d", p+1), "PUSH_TARGETS="+string(list))
				wg.Add(1)
				go func() {
					defer wg.Done()
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("push process %d: %v\n%s", p+1, err, out)
					}
				}()
			}
			wg.Wait()

			s, closeStore, err := openStore(context.Background(), spec, "")
			if err != nil {
				t.Fatal(err)
			}
			defer closeStore()
			names, err := s.(*sqlstore.Store).Targets(context.Background())
			if err != nil || len(names) != n {
				t.Errorf("targets in the store: %v (%v), want %d", names, err, n)
			}
			for i, tg := range targets {
				a := apps[i]
				a.mu.Lock()
				switches := 0
				for j := 1; j < len(a.who); j++ {
					if a.who[j] != a.who[j-1] {
						switches++
					}
				}
				both := slices.Contains(a.who, "tok1") && slices.Contains(a.who, "tok2")
				a.mu.Unlock()
				if switches != 1 || !both {
					t.Errorf("target %d: the processes' requests switched %d times (both pushed: %v), want once: one push at a time", i, switches, both)
				}
				var got []string
				_ = stores[i].View(context.Background(), "acme", func(tx scimx.Tx) error {
					gs, err := tx.Groups()
					for _, g := range gs {
						full, err := tx.Group(g.ID, true)
						if err != nil {
							return err
						}
						got = append(got, fmt.Sprintf("%s %v", full.Name, full.Members.Slice()))
					}
					return err
				})
				slices.Sort(got)
				var want []string
				for g := range groups {
					want = append(want, fmt.Sprintf("Team %d-%d [u1 u%d]", i, g, 2+g))
				}
				if !slices.Equal(got, want) {
					t.Errorf("target %d holds %v, want %v", i, got, want)
				}
				st, closeTarget, err := openStore(context.Background(), spec, tg.URL)
				if err != nil {
					t.Fatal(err)
				}
				state, err := st.Load(context.Background())
				closeTarget()
				if err != nil || len(state.Links) != groups || len(state.Statuses) != groups {
					t.Errorf("store of target %d: %v, %d links, %d statuses; want %d of each", i, err, len(state.Links), len(state.Statuses), groups)
				}
				for _, x := range state.Statuses {
					if x.Outcome != groupsync.Unchanged && x.Outcome != groupsync.Created {
						t.Errorf("target %d: group %s was %v", i, x.Name, x.Outcome)
					}
				}
			}
		})
	}
}
