package sync

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Problem is a row of the troubleshooting table (R13).
type Problem uint8

// The problems, with what to check and how to fix each.
const (
	// ChangesPending: group changes are not on the target yet. Check:
	// changes are pending since before the last attempt. Fix: run a force
	// sync.
	ChangesPending Problem = iota + 1
	// ReadOnlyInSource: the group is read-only in the source. Check: the
	// source asked to change an app-created group. Fix: manage the group in
	// the app.
	ReadOnlyInSource
	// DuplicateCreated: a push created a duplicate instead of updating
	// membership. Check: a near-miss pair of names exists on the target.
	// Fix: delete the duplicate, correct the source name to match exactly,
	// push again.
	DuplicateCreated
	// ForceSyncFailed: a force sync did not resolve the delay. Fix: contact
	// the app's support with the group name and the timestamp of the last
	// sync attempt, which the Diagnosis carries.
	ForceSyncFailed
)

// problemText holds the rows of the troubleshooting table (R13).
var problemText = [...]struct{ issue, check, fix string }{
	ChangesPending: {"group changes are not on the target yet",
		"changes pending since before the last attempt", "run a force sync"},
	ReadOnlyInSource: {"group is read-only in the source",
		"the source asked to change an unlinked group created in the app", "manage the group in the app; it cannot be edited from the source"},
	DuplicateCreated: {"pushing the group created a duplicate instead of updating membership",
		"a pair of groups whose names differ only in case, white space or Unicode form exists on the target",
		"delete the duplicate, correct the source group name to match exactly, and push again"},
	ForceSyncFailed: {"force sync did not resolve the delay",
		"the last attempt was forced and failed or left changes pending",
		"contact the app's support with the group name and the timestamp of the last sync attempt"},
}

// String says what the problem is, as the troubleshooting table's issue
// column does.
func (p Problem) String() string {
	if p.valid() {
		return problemText[p].issue
	}
	return fmt.Sprintf("Problem(%d)", p)
}

// Check says what to check, as the troubleshooting table does.
func (p Problem) Check() string {
	if p.valid() {
		return problemText[p].check
	}
	return ""
}

// Fix says how to fix the problem.
func (p Problem) Fix() string {
	if p.valid() {
		return problemText[p].fix
	}
	return ""
}

func (p Problem) valid() bool { return int(p) < len(problemText) && problemText[p].issue != "" }

// Diagnosis is one problem of one group.
type Diagnosis struct {
	// Problem is the row of the troubleshooting table.
	Problem Problem
	// SourceID and Name identify the source group.
	SourceID string
	Name     string
	// Since is when the changes started pending (ChangesPending), when
	// known.
	Since time.Time
	// LastAttempt is the timestamp of the last sync attempt: what a
	// ForceSyncFailed support request needs, with Name.
	LastAttempt time.Time
	// Detail is the finding or error behind the diagnosis.
	Detail string
}

// String renders d in one line: the group, the problem, the evidence and the
// fix.
func (d Diagnosis) String() string {
	s := fmt.Sprintf("group %q (source %s): %s", d.Name, d.SourceID, d.Problem)
	switch {
	case d.Problem == ForceSyncFailed:
		return fmt.Sprintf("%s: %s: group %q, last sync attempt %s", s, d.Problem.Fix(), d.Name, d.LastAttempt.UTC().Format(time.RFC3339))
	case d.Problem == ChangesPending && !d.Since.IsZero():
		s += fmt.Sprintf(" (pending since %s)", d.Since.UTC().Format(time.RFC3339))
	}
	if d.Detail != "" {
		s += " (" + d.Detail + ")"
	}
	return s + ": " + d.Problem.Fix()
}

// Diagnose turns a store's state (statuses and last plan) and a plan of the
// current state into the troubleshooting findings of R13, one per group and
// problem, sorted by name, source id, then problem. current may be the zero
// Plan; a force-sync plan shows drift that a normal one cannot see.
//
//   - ChangesPending: a status whose changes have been pending since before
//     its last attempt, or a group the current plan would change after an
//     attempt, unless a force sync failed for it already.
//   - ReadOnlyInSource: a read-only finding of the last or current plan.
//   - DuplicateCreated: a near-duplicate finding of a group that a push
//     created (not one it would create, nor one the policy blocked).
//   - ForceSyncFailed: a status whose last attempt was forced and failed or
//     left changes pending.
func Diagnose(st State, current Plan) []Diagnosis {
	seen := map[[2]string]int{} // (problem, source id) -> index in out
	var out []Diagnosis
	add := func(d Diagnosis) {
		k := [2]string{d.Problem.String(), d.SourceID}
		if i, ok := seen[k]; ok {
			if out[i].Detail == "" {
				out[i].Detail = d.Detail
			}
			return
		}
		seen[k] = len(out)
		out = append(out, d)
	}
	statuses := map[string]Status{}
	forceFailed := map[string]bool{} // the force sync row supersedes "run a force sync"
	for _, s := range st.Statuses {
		statuses[s.SourceID] = s
		pending := !s.PendingSince.IsZero() && s.PendingSince.Before(s.LastAttempt)
		switch {
		case s.Forced && (s.Outcome == Failed || !s.PendingSince.IsZero()):
			forceFailed[s.SourceID] = true
			add(Diagnosis{Problem: ForceSyncFailed, SourceID: s.SourceID, Name: s.Name,
				LastAttempt: s.LastAttempt, Detail: s.Error})
		case pending:
			add(Diagnosis{Problem: ChangesPending, SourceID: s.SourceID, Name: s.Name,
				Since: s.PendingSince, LastAttempt: s.LastAttempt, Detail: s.Error})
		}
	}
	// A group the current plan would change has changes that are not on the
	// target, once a push has been attempted for it.
	creates := map[string]bool{}
	for _, g := range current.Groups {
		if len(g.Ops) > 0 && g.Ops[0].Kind == OpCreate {
			creates[g.SourceID] = true
		}
		s, attempted := statuses[g.SourceID]
		if len(g.Ops) > 0 && attempted && !s.LastAttempt.IsZero() && !forceFailed[g.SourceID] {
			add(Diagnosis{Problem: ChangesPending, SourceID: g.SourceID, Name: g.Name,
				Since: s.PendingSince, LastAttempt: s.LastAttempt,
				Detail: fmt.Sprintf("%s on the next push", plural(len(g.Ops), "operation"))})
		}
	}
	// A near miss is a duplicate on the target once the push created it:
	// in the current plan, for a group it does not create; in the last plan,
	// for a group whose status says it was created.
	duplicate := func(f Finding, created bool) {
		if f.Kind == NearDuplicate && !f.Blocked && created {
			add(Diagnosis{Problem: DuplicateCreated, SourceID: f.SourceID, Name: f.Name,
				Detail: "near miss of " + targets(f)})
		}
	}
	for _, f := range current.Findings {
		duplicate(f, !creates[f.SourceID])
	}
	readOnly := func(f Finding) {
		if f.Kind == ReadOnly {
			add(Diagnosis{Problem: ReadOnlyInSource, SourceID: f.SourceID, Name: f.Name,
				Detail: fmt.Sprintf("app group %s: %s", targets(f), f.Detail)})
		}
	}
	for _, f := range current.Findings {
		readOnly(f)
	}
	if st.LastPlan != nil {
		for _, f := range st.LastPlan.Findings {
			readOnly(f)
			s := statuses[f.SourceID]
			duplicate(f, s.TargetID != "" && s.Outcome != Failed && s.Outcome != Blocked)
		}
	}
	slices.SortFunc(out, func(a, b Diagnosis) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID), cmp.Compare(a.Problem, b.Problem))
	})
	return out
}
