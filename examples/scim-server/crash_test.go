package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/internal/sqltest"
)

// binDir holds the server built for the tests, removed by TestMain.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the server once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "scim-server-bin")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "scim-server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// process is a running server.
type process struct {
	cmd  *exec.Cmd
	base string
}

// start runs the server on db, with the token crash-token and any extra
// flags.
func start(t *testing.T, db string, extra ...string) *process {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-token", "crash-token", "-quiet", "-db", db}, extra...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "SCIM base URL: "); ok {
			p.base = url
			break
		}
	}
	if p.base == "" {
		t.Fatal("the server printed no base URL")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return p
}

func (p *process) call(method, path, body string) (int, map[string]any, error) {
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer crash-token")
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, nil
}

func (p *process) members(t *testing.T, id string) map[string]bool {
	t.Helper()
	status, m, err := p.call("GET", "/Groups/"+id, "")
	if err != nil || status != 200 {
		t.Fatalf("GET group: %d %v %v", status, m, err)
	}
	out := map[string]bool{}
	ms, _ := m["members"].([]any)
	for _, x := range ms {
		out[x.(map[string]any)["value"].(string)] = true
	}
	return out
}

func databases(t *testing.T) map[string]string {
	dbs := map[string]string{"SQLite": filepath.Join(t.TempDir(), "groupsync.db")}
	if url := os.Getenv("GROUPSYNC_POSTGRES_URL"); url != "" {
		dbs["PostgreSQL"] = url
	} else {
		t.Log("set GROUPSYNC_POSTGRES_URL to run these with PostgreSQL too")
	}
	return dbs
}

func TestRestartKeepsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			p := start(t, db)
			group := fmt.Sprintf("Restart %d", time.Now().UnixNano())
			status, m, err := p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+group+`","members":[{"value":"u1"},{"value":"u2"}]}`)
			if err != nil || status != 201 {
				t.Fatalf("POST: %d %v %v", status, m, err)
			}
			id := m["id"].(string)
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
			q := start(t, db)
			if got := q.members(t, id); !got["u1"] || !got["u2"] || len(got) != 2 {
				t.Errorf("after a restart the group has %v, want u1 and u2", got)
			}
		})
	}
}

// killMidStream PATCHes the group of id from four clients, adding a new
// member each time, kills the server with SIGKILL in the middle of the
// stream and returns the members whose PATCH was acknowledged.
func killMidStream(t *testing.T, p *process, id string) []string {
	t.Helper()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				member := fmt.Sprintf("u-%d-%d", c, i)
				body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + member + `"}]}]}`
				status, _, err := p.call("PATCH", "/Groups/"+id, body)
				if err != nil {
					return // the server is gone
				}
				if status == 204 {
					mu.Lock()
					acked = append(acked, member)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once the stream is well under way: at least 10 PATCHes and
	// 700 ms, whichever comes later, within 30 s.
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 10 && time.Since(start) >= 700*time.Millisecond {
			break
		}
	}
	_ = p.cmd.Process.Kill() // SIGKILL, mid-stream
	close(stop)
	wg.Wait()
	_ = p.cmd.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d PATCHes were acknowledged before the kill", len(acked))
	}
	return acked
}

// TestKillLosesNothingAcknowledged kills the server with SIGKILL during a
// stream of PATCHes and checks that every change it acknowledged is there
// after a restart.
func TestKillLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			p := start(t, db)
			group := fmt.Sprintf("Crash %d", time.Now().UnixNano())
			status, m, err := p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+group+`"}`)
			if err != nil || status != 201 {
				t.Fatalf("POST: %d %v %v", status, m, err)
			}
			id := m["id"].(string)

			acked := killMidStream(t, p, id)
			got := start(t, db).members(t, id)
			var lost []string
			for _, m := range acked {
				if !got[m] {
					lost = append(lost, m)
				}
			}
			if len(lost) > 0 {
				t.Errorf("%d of %d acknowledged changes lost: %v", len(lost), len(acked), lost)
			}
			t.Logf("%d acknowledged PATCHes before SIGKILL, all found after the restart (%d members)", len(acked), len(got))
		})
	}
}

// feedDatabases are the databases of the change feed's crash test: a new
// SQLite file, and a throwaway PostgreSQL schema when
// GROUPSYNC_POSTGRES_URL is set, so that the feed starts at 1.
func feedDatabases(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"SQLite":     func(t *testing.T) string { return filepath.Join(t.TempDir(), "groupsync.db") },
		"PostgreSQL": func(t *testing.T) string { return sqltest.PostgresDSN(t) },
	}
}

// feed reads the whole change feed of the test's tenant through
// /admin/events, page by page.
func (p *process) feed(t *testing.T) []app.Event {
	t.Helper()
	admin := strings.TrimSuffix(p.base, "/scim/v2") + "/admin/events"
	var all []app.Event
	for after := int64(0); ; {
		req, _ := http.NewRequest("GET", admin+"?after="+strconv.FormatInt(after, 10)+"&limit=1000", nil)
		req.Header.Set("Authorization", "Bearer crash-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page app.Events
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET /admin/events: %d %v", res.StatusCode, err)
		}
		if len(page.Events) == 0 {
			return all
		}
		all = append(all, page.Events...)
		after = page.Next
	}
}

// hookReceiver records the events a webhook POSTs.
type hookReceiver struct {
	mu  sync.Mutex
	got []app.Event
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e app.Event
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, e)
	h.mu.Unlock()
}

func (h *hookReceiver) seqs() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, len(h.got))
	for i, e := range h.got {
		out[i] = e.Seq
	}
	return out
}

// TestKillKeepsTheFeed kills the server with SIGKILL in the middle of a
// stream of PATCHes from several clients, with a webhook whose receiver is
// down, and restarts it: every acknowledged change has its event, the
// feed's sequence has no gap or repeat, and once the receiver is up it
// gets every event, at least once and in order (R17).
func TestKillKeepsTheFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	for name, open := range feedDatabases(t) {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			// The receiver's address, with nothing listening on it yet.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hookAddr := ln.Addr().String()
			ln.Close()
			flags := []string{"-webhook", "http://" + hookAddr + "/events", "-webhook-max-backoff", "200ms"}

			p := start(t, db, flags...)
			status, m, err := p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Feed"}`)
			if err != nil || status != 201 {
				t.Fatalf("POST: %d %v %v", status, m, err)
			}
			id := m["id"].(string)
			acked := killMidStream(t, p, id)

			q := start(t, db, flags...)
			events := q.feed(t)
			added := map[string]int64{}
			for i, e := range events {
				if e.Seq != int64(i+1) {
					t.Fatalf("event %d of the feed has seq %d: the sequence has a gap or a repeat", i+1, e.Seq)
				}
				if e.Group == id {
					for _, a := range e.Added {
						added[a] = e.Seq
					}
				}
			}
			var missing []string
			for _, a := range acked {
				if added[a] == 0 {
					missing = append(missing, a)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d of %d acknowledged PATCHes have no event: %v", len(missing), len(acked), missing)
			}
			if len(events) == 0 || events[0].Kind != "created" || events[0].Group != id {
				t.Errorf("the feed does not start with the group's creation: %+v", events)
			}

			// The receiver comes up; the restarted server delivers the feed.
			rc := &hookReceiver{}
			var hl net.Listener
			for try := 0; ; try++ {
				if hl, err = net.Listen("tcp", hookAddr); err == nil {
					break
				}
				if try == 50 {
					t.Fatalf("listen on the receiver's address again: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			hs := &http.Server{Handler: rc}
			go func() { _ = hs.Serve(hl) }()
			defer hs.Close()
			deadline := time.Now().Add(60 * time.Second)
			for {
				// Every event, its first delivery in order; a repeat only
				// redelivers an event already received (at least once).
				seen, next := map[int64]bool{}, int64(1)
				for _, s := range rc.seqs() {
					switch {
					case s == next:
						seen[s], next = true, next+1
					case !seen[s]:
						t.Fatalf("the webhook delivered seq %d before seq %d: out of order (%v)", s, next, rc.seqs())
					}
				}
				if next > int64(len(events)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60 s the receiver has %d of %d events", next-1, len(events))
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%d acknowledged PATCHes before SIGKILL, %d events in the feed, all delivered to the webhook once it was up (%d deliveries)",
				len(acked), len(events), len(rc.seqs()))
		})
	}
}
