package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/examples/internal/article"
	"github.com/groupsync/groupsync/examples/internal/article/articletest"
	"github.com/groupsync/groupsync/internal/tabletest"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// fixed is the start of the walk-through in the golden file.
var fixed = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// setNow makes the walk-through start at t for the rest of the test.
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

// TestRun compares the walk-through with testdata/plan.golden. Run
// `go test ./examples/plan -update` to rewrite it, and read the diff: it must
// still retell the article.
func TestRun(t *testing.T) {
	setNow(t, fixed)
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	articletest.Golden(t, filepath.Join("testdata", "plan.golden"), out.Bytes(), *update)
}

// TestRunWallClock runs the walk-through at another time: its own checks
// must hold whatever the clock says.
func TestRunWallClock(t *testing.T) {
	setNow(t, time.Date(2031, 2, 28, 23, 58, 30, 0, time.FixedZone("X", -7*3600)))
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "last sync attempt 2031-03-01T07:07:00Z") {
		t.Errorf("got output without the expected support timestamp:\n%s", out.String())
	}
}

func TestRunArgs(t *testing.T) {
	articletest.Args(t, "plan", run)
}

// broken is a target that departs from the sync.Target contract, or from
// an app built with this library, in one way.
type broken struct {
	*targettest.Target
	list   func() error                          // replaces List's answer when set
	create func(*groupsync.Change)               // edits each create before it is sent
	update func(id string, c *groupsync.Change)  // edits each update before it is sent
	after  func(t *targettest.Target, id string) // runs after each update
}

func (b *broken) List(ctx context.Context) ([]groupsync.TargetGroup, error) {
	if b.list != nil {
		return nil, b.list()
	}
	return b.Target.List(ctx)
}

func (b *broken) Create(ctx context.Context, c groupsync.Change) (groupsync.TargetGroup, error) {
	if b.create != nil {
		b.create(&c)
	}
	return b.Target.Create(ctx, c)
}

func (b *broken) Update(ctx context.Context, id string, c groupsync.Change) error {
	if b.update != nil {
		b.update(id, &c)
	}
	err := b.Target.Update(ctx, id, c)
	if b.after != nil {
		b.after(b.Target, id)
	}
	return err
}

// TestRunCatchesDepartures breaks 15Five as Okta reaches it, one way per
// row, and checks that the walk-through fails at the step whose claim the
// break falsifies: the program checks what it prints.
func TestRunCatchesDepartures(t *testing.T) {
	setNow(t, fixed)
	tests := []struct {
		name     string
		target   func(*broken)
		wantStep int
		reason   string
	}{
		{"R1 not connected", func(b *broken) {
			b.list = func() error { return groupsync.ErrNotConnected }
		}, 1, "step 1 needs 15Five to answer Okta's list of groups"},
		{"R3 created without members", func(b *broken) {
			b.create = func(c *groupsync.Change) { c.Add = nil }
		}, 2, "step 2 confirms the pushed group's members"},
		{"R4 type reset by an update", func(b *broken) {
			b.after = func(t *targettest.Target, id string) {
				g, _ := t.Group(id)
				g.Type = targettest.DefaultType
				t.Put(g)
			}
		}, 3, "step 3 says the group keeps the type it was moved to"},
		{"R8 members never removed", func(b *broken) {
			b.update = func(_ string, c *groupsync.Change) { c.Remove = nil }
		}, 3, "step 3 says u-bob was replaced with u-grace"},
		{"R8 updates ignored", func(b *broken) {
			b.update = func(_ string, c *groupsync.Change) { *c = groupsync.Change{} }
		}, 3, "the first update is step 3's, whose members must follow Okta's"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tell(context.Background(), io.Discard, func(tgt *targettest.Target) groupsync.Target {
				b := &broken{Target: tgt}
				tt.target(b)
				return b
			})
			var se *article.StepError
			if !errors.As(err, &se) {
				t.Fatalf("got error %v, want a failed step (%s)", err, tt.reason)
			}
			if se.Step != tt.wantStep {
				t.Errorf("got step %d failing (%v), want step %d (%s)", se.Step, se.Err, tt.wantStep, tt.reason)
			}
		})
	}
}
