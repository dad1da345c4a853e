package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/scimx"
)

// -h prints the synopsis, the source file's format, every flag and the
// exit codes, on stdout, and exits 0.
func TestPushHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runIn(context.Background(), []string{"-h"}, env{stdout: &out, stderr: &errOut, now: time.Now})
	if code := exitCode(err); code != 0 {
		t.Fatalf("-h: exit %d (%v), want 0", code, err)
	}
	help := out.String()
	want := []string{"Usage: push -target URL -source FILE", `"groups"`, `"users"`, "Exit status:",
		"0  done", "1  a group failed", "2  usage error", "3  too many deletes", "-allow-deletes", "4  the target is not connected or unavailable"}
	var o options
	flags(&o).VisitAll(func(f *flag.Flag) { want = append(want, "-"+f.Name) })
	for _, w := range want {
		if !strings.Contains(help, w) {
			t.Errorf("-h output lacks %q:\n%s", w, help)
		}
	}
	if strings.Contains(help, "flag: help requested") || errOut.Len() != 0 {
		t.Errorf("-h printed an error: %q %q", help, errOut.String())
	}
}

// -diagnose exits 0 with no problem and 1 with one, which it prints once.
func TestPushDiagnoseExitCodes(t *testing.T) {
	f := newFixture(t)
	src := f.source(t, "Engineering", "Sales")
	if _, code := f.push(t, "-source", src); code != 0 {
		t.Fatalf("push: exit %d", code)
	}
	out, code := f.push(t, "-source", src, "-diagnose")
	if code != 0 || !strings.Contains(out, "No problems found.") {
		t.Errorf("diagnose after a clean push: exit %d, output:\n%s", code, out)
	}
	// A group the app refuses (400 on create) is a problem, printed once.
	f.fail = "Refused"
	src = f.source(t, "Engineering", "Sales", "Refused")
	if _, code := f.push(t, "-source", src); code != 1 {
		t.Fatalf("push with a refused group: exit %d, want 1", code)
	}
	out, code = f.push(t, "-source", src, "-diagnose")
	if code != 1 || strings.Count(out, `! "Refused"`) != 1 || strings.Count(out, "fix:") != 1 {
		t.Errorf("diagnose with a refused group: exit %d, want 1 and the problem once; output:\n%s", code, out)
	}
	if !strings.Contains(out, "400") || strings.Contains(out, "run a force sync") {
		t.Errorf("diagnosis of a 400: want the app's status, not a force sync; output:\n%s", out)
	}
}

// A too-many-deletes refusal prints a short summary and says how to allow
// it: no plan of every group, no line per blocked group.
func TestPushTooManyDeletesIsShort(t *testing.T) {
	f := newFixture(t)
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("Group %d", i))
	}
	if _, code := f.push(t, "-source", f.source(t, names...)); code != 0 {
		t.Fatalf("setup push: exit %d", code)
	}
	out, code := f.push(t, "-source", f.source(t))
	if code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	if lines := strings.Count(out, "\n"); lines > 5 || !strings.Contains(out, "-allow-deletes") || strings.Contains(out, "blocked:") {
		t.Errorf("refusal output of %d lines, want a short summary naming -allow-deletes:\n%s", lines, out)
	}
	if _, code := f.push(t, "-source", f.source(t), "-allow-deletes"); code != 0 || f.groups(t) != 40 {
		t.Errorf("-allow-deletes: exit %d, %d groups on the app; want 0 and the groups left in the app", code, f.groups(t))
	}
}

// Progress: plain lines, without carriage returns, off a terminal; one
// redrawn line with the rate on a terminal; nothing with -quiet.
func TestPushProgress(t *testing.T) {
	f := newFixture(t)
	var names []string
	for i := range 30 {
		names = append(names, fmt.Sprintf("Group %d", i))
	}
	src := f.source(t, names...)
	push := func(terminal bool, extra ...string) string {
		var out, progress bytes.Buffer
		args := append([]string{"-target", f.url, "-token", "tok", "-db", "memory", "-source", src, "-concurrency", "1"}, extra...)
		if err := runIn(context.Background(), args, env{stdout: &out, stderr: &progress, terminal: terminal, now: time.Now}); err != nil {
			t.Fatalf("push: %v", err)
		}
		return progress.String()
	}
	plain := push(false)
	for _, want := range []string{"push: listing", "push: applying 30/30 groups"} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain progress lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(plain, "\r") {
		t.Errorf("plain progress has carriage returns: %q", plain)
	}
	tty := push(true, "-force")
	if !strings.Contains(tty, "\r\033[K") || !strings.Contains(tty, "/s") {
		t.Errorf("terminal progress = %q, want redrawn lines with a rate", tty)
	}
	if q := push(false, "-quiet"); q != "" {
		t.Errorf("-quiet printed progress: %q", q)
	}
}

// A target that goes down: exit 4, the groups not attempted reported, the
// next run resumes.
func TestPushUnavailableExits4(t *testing.T) {
	store := &scimx.MemStore{}
	h, err := app.New(app.Config{Tokens: map[string]string{"tok": "acme"}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	defer s.Close()
	f := &fixture{dir: t.TempDir(), url: s.URL + "/scim/v2", store: store}
	if _, code := f.push(t, "-source", f.source(t, "A")); code != 0 {
		t.Fatalf("setup: exit %d", code)
	}
	s.Listener.Close()
	s.CloseClientConnections()
	start := time.Now()
	out, code := f.push(t, "-source", f.source(t, "A", "B"), "-unavailable-after", "1s")
	if code != 4 {
		t.Errorf("push to a target that is down: exit %d, want 4; output:\n%s", code, out)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("push to a target that is down took %v", took)
	}
}

// -only pushes just the named group and unlinks no other.
func TestPushOnly(t *testing.T) {
	f := newFixture(t)
	if _, code := f.push(t, "-source", f.source(t, "Engineering", "Sales")); code != 0 {
		t.Fatal("setup push failed")
	}
	out, code := f.push(t, "-source", f.source(t, "Engineering", "Sales", "Support"), "-only", "00g2")
	if code != 0 || f.groups(t) != 3 || !strings.Contains(out, "1 to create") {
		t.Errorf("-only 00g2: exit %d, %d groups; output:\n%s", code, f.groups(t), out)
	}
	st := f.state(t)
	if len(st.Links) != 3 {
		t.Errorf("after -only: %d links, want 3", len(st.Links))
	}
}
