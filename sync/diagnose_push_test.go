package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

// answerError is a target's refusal, as scimclient's HTTPError carries it.
type answerError struct {
	status int
	detail string
	is     error
}

func (e answerError) Error() string        { return fmt.Sprintf("%d: %s", e.status, e.detail) }
func (e answerError) AnswerStatus() int    { return e.status }
func (e answerError) AnswerDetail() string { return e.detail }
func (e answerError) Unwrap() error        { return e.is }

// problems returns the diagnoses' problems by group name.
func problems(ds []sync.Diagnosis) map[string][]sync.Problem {
	m := map[string][]sync.Problem{}
	for _, d := range ds {
		m[d.Name] = append(m[d.Name], d.Problem)
	}
	return m
}

func diagnose(t *testing.T, f *fixture) []sync.Diagnosis {
	t.Helper()
	ds, err := f.a.Diagnose(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// R13: right after a successful push, Applier.Diagnose reports no problem:
// it diagnoses the store, with no plan to get wrong.
func TestR13DiagnoseAfterASuccessfulPush(t *testing.T) {
	f := newFixture(sync.Policy{})
	in := sync.Input{Desired: desiredN(20)}
	f.sync(t, in)
	in.Desired[3].Members = []string{"u2"}
	in.Desired[4].Name = "Renamed"
	f.sync(t, in)
	if ds := diagnose(t, f); len(ds) != 0 {
		t.Errorf("Diagnose right after a successful push = %v, want no problem", ds)
	}
}

// R13: a 409 from the target is a name clash with the target's detail and
// a fix that names the name; it is never "run a force sync", not even
// after a forced attempt, which cannot mend it.
func TestR13DiagnoseAfterANameClash(t *testing.T) {
	f := newFixture(sync.Policy{})
	in := sync.Input{Desired: desiredN(2)}
	f.sync(t, in)
	clash := answerError{409, "uniqueness: a group named \"Taken\" exists", sync.ErrConflict}
	f.tgt.Fail = func(method, id string) error {
		if method == "Update" {
			return clash
		}
		return nil
	}
	in.Desired[1].Name = "Taken"
	for _, force := range []bool{false, true} {
		in.Force = force
		if _, _, err := f.a.Sync(context.Background(), in); !errors.Is(err, sync.ErrConflict) {
			t.Fatalf("push into a clash = %v, want the conflict", err)
		}
		ds := diagnose(t, f)
		if len(ds) != 1 || ds[0].Problem != sync.NameClash || ds[0].Name != "Taken" {
			t.Fatalf("Diagnose after a 409 (force %v) = %v, want one name clash of Taken", force, ds)
		}
		d := ds[0]
		if !strings.Contains(d.Detail, "409") || !strings.Contains(d.Detail, clash.detail) {
			t.Errorf("detail %q, want the target's status and detail", d.Detail)
		}
		if want := `another group on the target is named "Taken": rename one of them`; d.Fix() != want || !strings.HasSuffix(d.String(), want) {
			t.Errorf("fix %q, line %q; want %q", d.Fix(), d.String(), want)
		}
	}
}

// R13: the planner reports a rename into a name another target group
// holds before anything is written; the members are still pushed, the
// group is blocked, not updated, and Diagnose says how to fix it.
func TestR13PlannerReportsARenameIntoATakenName(t *testing.T) {
	f := newFixture(sync.Policy{})
	in := sync.Input{Desired: desiredN(2)}
	f.sync(t, in)
	appID := f.tgt.Put(group.Group{Name: "Taken", Origin: origin.Target})
	in.Desired[1].Name = "Taken"
	in.Desired[1].Members = []string{"u1", "u2"}
	p, err := f.a.Plan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var found []sync.Finding
	for _, fd := range p.Findings {
		if fd.Kind == sync.NameTaken {
			found = append(found, fd)
		}
	}
	if len(found) != 1 || found[0].Name != "Taken" || len(found[0].TargetIDs) != 1 || found[0].TargetIDs[0] != appID || !errors.Is(found[0], sync.ErrConflict) {
		t.Fatalf("findings %v, want a name-taken finding naming the app group %s", p.Findings, appID)
	}
	for _, op := range p.Groups[1].Ops {
		if op.Kind == sync.OpRename {
			t.Errorf("the plan renames into a taken name:\n%s", p)
		}
	}
	f.rec.writes = nil
	sts, err := f.a.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if s := sts[1]; len(f.rec.writes) != 1 || s.Name != "Taken" || s.Outcome != sync.Blocked || !s.LastSuccess.Before(s.LastAttempt) {
		t.Errorf("writes %v, status %+v; want the members pushed, the group blocked, no new last success", f.rec.writes, sts[1])
	}
	ds := diagnose(t, f)
	if got := problems(ds); len(ds) != 1 || len(got["Taken"]) != 1 || got["Taken"][0] != sync.NameClash {
		t.Errorf("Diagnose = %v, want one name clash of Taken", ds)
	}
}

// R13: a refused rename of an associated app group is blocked, not
// updated, and has no new last success; Diagnose says the group is
// read-only in the source, once.
func TestR13RefusedRenameIsNotUpdated(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Put(group.Group{Name: "Sales", Origin: origin.Target})
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Sales", "u1")}}
	_, sts := f.sync(t, in)
	if sts[0].Outcome != sync.Linked {
		t.Fatalf("association: %+v", sts[0])
	}
	in.Desired[0].Name = "Sales EMEA"
	in.Desired[0].Members = []string{"u1", "u2"}
	_, sts = f.sync(t, in)
	if s := sts[0]; s.Outcome != sync.Blocked || !s.LastSuccess.Before(s.LastAttempt) || s.PendingSince.IsZero() {
		t.Errorf("status after a refused rename = %+v, want blocked, pending, and the old last success", s)
	}
	if g := f.one(t, "Sales"); !g.Members.Equal(group.NewMembers("u1", "u2")) {
		t.Errorf("members %v, want the source's pushed all the same", members(g))
	}
	ds := diagnose(t, f)
	if len(ds) != 1 || ds[0].Problem != sync.ReadOnlyInSource {
		t.Errorf("Diagnose = %v, want the read-only problem alone", ds)
	}
}

// R13: members skipped as unprovisioned are in the group's Status and in
// Diagnose, as are members the target refused.
func TestR13SkippedMembersAreDiagnosed(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Accept = func(m string) bool { return m != "t-refused" }
	in := sync.Input{
		Desired: []sync.SourceGroup{src("00g1", "Engineering", "alice", "bob", "refused")},
		Users:   map[string]string{"alice": "t-alice", "refused": "t-refused"},
	}
	_, sts := f.sync(t, in)
	if s := sts[0]; len(s.Skipped) != 1 || s.Skipped[0] != "bob" || len(s.Refused) != 1 || s.Refused[0] != "t-refused" {
		t.Fatalf("status %+v, want bob skipped and t-refused refused", s)
	}
	ds := diagnose(t, f)
	if len(ds) != 1 || ds[0].Problem != sync.MembersSkipped || !strings.Contains(ds[0].Detail, "bob") || !strings.Contains(ds[0].Detail, "t-refused") {
		t.Errorf("Diagnose = %v, want one members-skipped problem naming bob and t-refused", ds)
	}
}

// R19: after an outage, Diagnose reports the groups the run did not
// attempt and the ones that failed as the target being unavailable, with
// the fix to push again, not "contact support".
func TestR19DiagnoseAfterAnOutage(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Fail = func(method, id string) error {
		if method == "Create" && id >= "G005" {
			return answerError{503, "maintenance", sync.ErrUnavailable}
		}
		return nil
	}
	f.a.MaxUnavailable = 2
	if _, _, err := f.a.Sync(context.Background(), sync.Input{Desired: desiredN(10)}); !errors.Is(err, sync.ErrUnavailable) {
		t.Fatalf("Sync = %v, want ErrUnavailable", err)
	}
	ds := diagnose(t, f)
	if len(ds) != 5 {
		t.Errorf("Diagnose = %v, want the 5 groups not pushed", ds)
	}
	for _, d := range ds {
		if d.Problem != sync.TargetUnavailable || d.Name < "G005" {
			t.Errorf("diagnosis %v, want target unavailable for G005 on", d)
		}
	}
}
