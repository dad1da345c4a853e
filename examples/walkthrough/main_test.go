package main

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/examples/internal/article/articletest"
)

var update = flag.Bool("update", false, "rewrite testdata/walkthrough.golden")

// TestRun runs the walk-through twice at once, each against its own app on
// its own port, and compares both outputs with testdata/walkthrough.golden:
// the output depends on neither the port, the jitter of the client's
// retries, nor the other run. Run `go test ./examples/walkthrough -update`
// to rewrite the golden file, and read the diff: it must still retell the
// article.
func TestRun(t *testing.T) {
	var outs [2]bytes.Buffer
	var errs [2]error
	done := make(chan int)
	for i := range outs {
		go func() {
			errs[i] = run(context.Background(), nil, &outs[i])
			done <- i
		}()
	}
	for range outs {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v\noutput:\n%s", i+1, err, outs[i].String())
		}
	}
	if diff := cmp.Diff(outs[0].String(), outs[1].String()); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
	// Two runs agree, so no time measured at run time is printed; the
	// address would differ between runs on other machines too.
	if s := outs[0].String(); strings.Contains(s, "127.0.0.1") {
		t.Errorf("got output with an address:\n%s", s)
	}
	articletest.Golden(t, filepath.Join("testdata", "walkthrough.golden"), outs[0].Bytes(), *update)
}

// TestRunCanceled checks that a canceled context stops the walk-through
// with an error rather than a claim it could not check.
func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := run(ctx, nil, &out); err == nil {
		t.Fatalf("run with a canceled context = nil, want an error; output:\n%s", out.String())
	}
}

func TestRunArgs(t *testing.T) {
	articletest.Args(t, "walkthrough", run)
}
