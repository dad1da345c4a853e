package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/database"
	"github.com/groupsync/groupsync/internal/tabletest"
)

// R18 against the running example server: the attacks of issue 9 get an
// error or a closed connection in bounded time, and the process lives on.

// host is the server's host:port.
func (p *process) host() string {
	return strings.TrimSuffix(strings.TrimPrefix(p.base, "http://"), "/scim/v2")
}

// alive fails the test unless the process still runs and serves.
func (p *process) alive(t *testing.T) {
	t.Helper()
	status, _, err := p.call("GET", "/Groups?startIndex=1&count=1", "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("the server no longer serves: status %d, %v", status, err)
	}
}

// One authenticated GET with 100,000 nested not( … ), a valid filter,
// overflowed the filter parser's stack: a fatal error that killed the
// process for every tenant.
func TestR18DeepFilterDoesNotKillTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	p := start(t, "memory")
	eq := `displayName%20eq%20%22x%22`
	tests := []struct{ name, reason, query string }{
		{"R18 100,000 nested nots", "the parser recursed once per level, and 64,000 levels were enough to kill the process",
			strings.Repeat("not(", 100_000) + eq + strings.Repeat(")", 100_000)},
		{"R18 200,000 open parentheses", "grouping recursed the same way",
			strings.Repeat("(", 200_000) + eq},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", p.base+"/Groups", nil)
		req.URL.RawQuery = "filter=" + tt.query
		req.Header.Set("Authorization", "Bearer crash-token")
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v (%s)", tt.name, err, tt.reason)
		}
		var body struct{ ScimType string }
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || body.ScimType != "invalidFilter" || time.Since(start) > 2*time.Second {
			t.Errorf("%s: status %d %s after %v, want 400 invalidFilter at once", tt.name, res.StatusCode, body.ScimType, time.Since(start))
		}
		p.alive(t)
	}
}

// A refusal waited for the body: an unauthenticated POST whose body of
// 1,000 bytes trickled in got no 401 within 5 s. It gets one at once now,
// on the SCIM service and on the admin API, and the connection closes.
func TestR18RefusalsDoNotWaitForTheBody(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	p := start(t, "memory")
	for _, path := range []string{"/scim/v2/Groups", "/admin/groups"} {
		conn, err := net.Dial("tcp", p.host())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path)
		done := make(chan struct{})
		go func() { // one byte every half second
			for {
				select {
				case <-done:
					return
				case <-time.After(time.Second / 2):
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			close(done)
			t.Fatalf("POST %s: no answer within 2 s while the body trickles in: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if _, err := br.ReadByte(); res.StatusCode != http.StatusUnauthorized || !res.Close || err == nil {
			t.Errorf("POST %s: status %d, Connection: close %v, then %v; want 401, close and the connection closed", path, res.StatusCode, res.Close, err)
		}
		close(done)
	}
	p.alive(t)
}

// An idle kept-alive connection stayed open indefinitely: the server had
// no IdleTimeout. It closes one after -idle-timeout now (a minute unless
// the flag says otherwise).
func TestR18IdleConnectionsAreClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	const idle = time.Second
	p := start(t, "memory", "-idle-timeout", idle.String())
	conn, err := net.Dial("tcp", p.host())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /scim/v2/Groups?count=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer crash-token\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Close {
		t.Fatalf("status %d, Connection: close %v; want 200, kept alive", res.StatusCode, res.Close)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(idle + 5*time.Second))
	_, err = br.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() || err == nil {
		t.Fatalf("an idle connection is still open %v after its last answer (%v)", time.Since(start), err)
	}
	if elapsed := time.Since(start); elapsed < idle/2 {
		t.Errorf("the idle connection was closed after %v, before the idle timeout of %v", elapsed, idle)
	}
	p.alive(t)
}

// The SQLite store opened connections without bound: after bursts of 80
// concurrent clients the process kept 80 descriptors on the database file
// and 70 OS threads. The pool is bounded now (database.SQLiteConns).
func TestR18PoolIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("counts descriptors and threads in /proc")
	}
	db := filepath.Join(t.TempDir(), "groupsync.db")
	p := start(t, db)
	status, m, err := p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Burst"}`)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST: %d %v %v", status, m, err)
	}
	id := m["id"].(string)
	const clients, rounds = 80, 3
	for round := range rounds {
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u-` +
					strconv.Itoa(round) + "-" + strconv.Itoa(c) + `"}]}]}`
				if status, _, err := p.call("PATCH", "/Groups/"+id, body); err != nil || status != http.StatusNoContent {
					t.Errorf("PATCH in a burst: %d %v", status, err)
				}
				if status, _, err := p.call("GET", "/Groups?filter=members%20eq%20%22u-0-1%22", ""); err != nil || status != http.StatusOK {
					t.Errorf("GET in a burst: %d %v", status, err)
				}
			}()
		}
		wg.Wait()
	}
	pid := p.cmd.Process.Pid
	files, threads := descriptorsOn(t, pid, db), threadsOf(t, pid)
	t.Logf("after %d bursts of %d clients: %d descriptors on the database file, %d threads", rounds, clients, files, threads)
	if files > database.SQLiteConns {
		t.Errorf("%d descriptors on the database file, more than the pool's %d connections", files, database.SQLiteConns)
	}
	// The Go runtime keeps a thread per connection that blocked in a
	// file write, beside a dozen of its own.
	if max := database.SQLiteConns + 24; threads > max {
		t.Errorf("%d threads, more than the pool's %d connections and the runtime's own allow (%d)", threads, database.SQLiteConns, max)
	}
	if got := len(p.members(t, id)); got != clients*rounds {
		t.Errorf("the group has %d members after %d PATCHes", got, clients*rounds)
	}
}

// descriptorsOn counts the descriptors of process pid open on path.
func descriptorsOn(t *testing.T, pid int, path string) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// threadsOf returns the number of threads of process pid.
func threadsOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/PID/status")
	return 0
}
