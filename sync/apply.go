package sync

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	gosync "sync"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// Applier runs syncs: it reads the target and the store, plans with its
// policy, and applies plans request by request. Its zero value is not
// usable: Target and Store are required.
type Applier struct {
	// Policy is how the applier plans.
	Policy Policy
	// Target is what it pushes to, such as a scimclient.Client.
	Target Target
	// Store keeps the links, snapshots, statuses, last plan and lease.
	Store Store
	// Now is the clock that stamps statuses; nil means [time.Now]. With
	// Concurrency above one it is called from several goroutines.
	Now func() time.Time
	// Logger, when set, receives a record per request and per group.
	Logger *slog.Logger
	// Concurrency is how many groups Apply pushes at once; zero means one.
	// Groups that leave the push go first, then linked groups, then new
	// ones, so that a name a delete or rename frees is free before a new
	// group takes it. Renames among linked groups run in one phase: on a
	// target that refuses duplicate names, a chain of renames (A takes B's
	// name as B takes C's) may need a second run, and a swap of two names
	// needs a third name in between.
	Concurrency int
	// Progress, when set, is called after each group with the number of
	// groups done, the total, and the group's status. Calls do not overlap.
	Progress func(done, total int, s Status)
	// ReadProgress, when set, is called by Plan after each live read of a
	// target group, with the number done and the total.
	ReadProgress func(done, total int)
	// LeaseWait is how long Sync waits for another push run's lease; zero
	// fails at once with an error wrapping [ErrLeaseHeld].
	LeaseWait time.Duration
	// LeaseTTL bounds the lease of one Sync, should the process die
	// holding it; zero means an hour.
	LeaseTTL time.Duration
	// MaxUnavailable is how many groups in a row may fail with the target
	// unavailable (an error wrapping [ErrUnavailable]: no answer, or only
	// 429 and 5xx answers until the retries gave up; see [CauseUnavailable])
	// before Apply stops the run (R19). Zero means 5; a negative value
	// never stops. Give the run a deadline with ctx.
	MaxUnavailable int
}

// Sync plans a sync of in.Desired with [Applier.Plan] and applies the plan
// with [Applier.Apply], holding the store's lease throughout (see
// [Applier.Lock]).
func (a *Applier) Sync(ctx context.Context, in Input) (Plan, []Status, error) {
	ctx, unlock, err := a.Lock(ctx)
	if err != nil {
		return Plan{}, nil, err
	}
	defer unlock()
	p, err := a.Plan(ctx, in)
	if err != nil {
		return Plan{}, nil, err
	}
	st, err := a.Apply(ctx, p)
	return p, st, err
}

// Lock takes the store's lease, so that two runs against one state never
// interleave: hold it from planning to applying. It waits up to LeaseWait
// for a lease another run holds, then fails with an error wrapping
// [ErrLeaseHeld]. While held, the lease is renewed every third of LeaseTTL;
// should a renewal fail, the returned context is cancelled, which stops the
// run before another one can start. unlock gives the lease back.
func (a *Applier) Lock(ctx context.Context) (_ context.Context, unlock func(), err error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	owner := fmt.Sprintf("push-%x", b)
	ttl := cmp.Or(a.LeaseTTL, time.Hour)
	deadline := time.Now().Add(a.LeaseWait)
	var release func(context.Context) error
	for {
		release, err = a.Store.Lease(ctx, owner, ttl)
		if err == nil || !errors.Is(err, ErrLeaseHeld) || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(min(time.Until(deadline), 200*time.Millisecond)):
		}
	}
	if err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancelCause(ctx)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-held.Done():
				return
			case <-t.C:
				if _, err := a.Store.Lease(held, owner, ttl); err != nil {
					cancel(fmt.Errorf("lost the store's lease: %w", err))
					return
				}
			}
		}
	}()
	return held, func() {
		close(done)
		<-exited // no renewal may follow the release
		cancel(nil)
		_ = release(context.WithoutCancel(ctx))
	}, nil
}

// Plan gathers the current state and plans a sync of in.Desired: it loads
// the links from the store, lists the target's groups, reads live the groups
// [Policy.Reads] names, and calls [Policy.Plan]. It ignores in.Current and
// in.Links and writes nothing. It returns the first error of the store or
// the target; a target that cannot be reached gives an error wrapping
// [ErrNotConnected].
func (a *Applier) Plan(ctx context.Context, in Input) (Plan, error) {
	state, err := a.Store.Load(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("load state: %w", err)
	}
	in.Links = state.Links
	in.Current, err = a.Target.List(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("list target groups: %w", err)
	}
	byID := make(map[string]int, len(in.Current))
	for i, t := range in.Current {
		byID[t.ID] = i
	}
	gone := map[string]bool{}
	reads := a.Policy.Reads(in)
	for i, id := range reads {
		t, err := a.Target.Get(ctx, id)
		if a.ReadProgress != nil {
			a.ReadProgress(i+1, len(reads))
		}
		switch {
		case errors.Is(err, ErrNotFound):
			gone[id] = true // deleted since the listing
		case err != nil:
			return Plan{}, fmt.Errorf("read target group %s: %w", id, err)
		default:
			in.Current[byID[id]] = t
		}
	}
	if len(gone) > 0 {
		in.Current = slices.DeleteFunc(in.Current, func(t TargetGroup) bool { return gone[t.ID] })
	}
	return a.Policy.Plan(in), nil
}

// Apply carries out p: group by group, request by request, recording each
// applied request in the store (links and last-pushed snapshots) and each
// group's [Status]. One group's failure does not stop the others (R15), but
// a target that is down stops the run (R19): once MaxUnavailable groups in
// a row have failed with the target unavailable (an error wrapping
// [ErrUnavailable], or no answer at all), or once ctx's deadline has
// passed, Apply starts no more groups. Every group it did not attempt keeps
// its pending changes and gets a status whose Outcome is [NotAttempted]
// with the reason; the next run resumes with them.
//
// When p.Err reports that the plan is refused as a whole, it writes nothing
// to the target, records the groups the plan would have changed as blocked,
// and returns that error, which wraps [ErrTooManyDeletes]. Otherwise it
// returns the statuses of the groups in plan order and, joined, a
// [*GroupError] per failed group and, when the run stopped, an error that
// says why: it wraps [ErrUnavailable] when the target was unavailable or
// the deadline passed (then also [context.DeadlineExceeded]), and ctx's
// cause when ctx was cancelled.
func (a *Applier) Apply(ctx context.Context, p Plan) ([]Status, error) {
	state, err := a.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	if err := a.Store.SavePlan(ctx, merged(state.LastPlan, p)); err != nil {
		return nil, fmt.Errorf("save plan: %w", err)
	}
	prev := make(map[string]Status, len(state.Statuses))
	for _, s := range state.Statuses {
		prev[s.SourceID] = s
	}
	links := make(map[string]Link, len(state.Links))
	for _, l := range state.Links {
		links[l.SourceID] = l
	}
	refusal := p.Err()
	blocked := blockers(p.Findings)
	skipped := skippedMembers(p.Findings)

	run, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	limit := a.maxUnavailable()
	var (
		mu       gosync.Mutex
		statuses = make([]Status, len(p.Groups))
		recorded = make([]bool, len(p.Groups))
		errs     []error
		done     int
		inARow   int   // groups in a row that failed with the target unavailable
		stopped  error // why the run stopped, once it has
	)
	// stop returns why no more groups start, or nil.
	stop := func() error {
		mu.Lock()
		defer mu.Unlock()
		if stopped == nil && ctx.Err() != nil {
			stopped = stopReason(ctx)
		}
		return stopped
	}
	one := func(i int) {
		gp := p.Groups[i]
		var (
			st     Status
			record bool
			err    error
		)
		if why := stop(); why != nil && refusal == nil && (len(gp.Ops) > 0 || gp.Base != nil) {
			st, record = a.notAttempted(gp, prev, why), true
		} else {
			st, record, err = a.applyOne(run, p, gp, refusal, prev, links, blocked, skipped[gp.SourceID])
			if err != nil && run.Err() != nil && ctx.Err() == nil {
				// The stop cut the group short: say why.
				err = fmt.Errorf("%w: %w", err, context.Cause(run))
				st.Error = err.Error()
			}
		}
		if !record {
			return
		}
		if serr := a.Store.SetStatus(keep(ctx), st); serr != nil {
			err = errors.Join(err, fmt.Errorf("save status of %s: %w", st.SourceID, serr))
		}
		mu.Lock()
		defer mu.Unlock()
		statuses[i], recorded[i] = st, true
		if err != nil {
			errs = append(errs, err)
		}
		switch {
		case st.Outcome == NotAttempted:
		case st.Outcome == Failed && st.Cause == CauseUnavailable:
			inARow++
			if limit > 0 && inARow >= limit && stopped == nil {
				stopped = fmt.Errorf("%w: %d groups in a row failed because the target did not answer: %w",
					errRunStopped, inARow, ErrUnavailable)
				stopRun(stopped)
				a.log(ctx, slog.LevelWarn, "push stopped: target unavailable", gp, slog.Any("error", err))
			}
		case st.Outcome != Failed || st.TargetStatus != 0:
			inARow = 0 // the target answered
		}
		done++
		if a.Progress != nil {
			a.Progress(done, len(p.Groups), st)
		}
	}
	for _, phase := range phases(p.Groups) {
		a.run(phase, one)
	}
	out := statuses[:0]
	for i, st := range statuses {
		if recorded[i] {
			out = append(out, st)
		}
	}
	if refusal != nil {
		return out, refusal
	}
	if why := stop(); why != nil {
		n := 0
		for _, st := range out {
			if st.Outcome == NotAttempted {
				n++
			}
		}
		errs = append(errs, fmt.Errorf("%w; %s not attempted, the next run resumes with them", why, plural(n, "group")))
	}
	return out, errors.Join(errs...)
}

// merged returns the plan to store as the last one once p is applied: p
// itself, or, when p covers only some groups (Input.Only), the last plan
// with p's groups and findings in place of theirs, so that the findings of
// the other groups stay known.
func merged(last *Plan, p Plan) Plan {
	if p.Only == nil || last == nil {
		return p
	}
	mine := make(map[string]bool, len(p.Only)+len(p.Groups))
	for _, id := range p.Only {
		mine[id] = true
	}
	for _, g := range p.Groups {
		mine[g.SourceID] = true
	}
	out := p
	out.Only = nil
	out.Groups = nil
	for _, g := range last.Groups {
		if !mine[g.SourceID] {
			out.Groups = append(out.Groups, g)
		}
	}
	out.Groups = append(out.Groups, p.Groups...)
	ph := phases(out.Groups)
	byName := func(a, b GroupPlan) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID))
	}
	sorted := make([]GroupPlan, 0, len(out.Groups))
	for _, idx := range ph {
		part := make([]GroupPlan, len(idx))
		for i, j := range idx {
			part[i] = out.Groups[j]
		}
		slices.SortStableFunc(part, byName)
		sorted = append(sorted, part...)
	}
	out.Groups = sorted
	out.Findings = nil
	for _, f := range last.Findings {
		if f.SourceID != "" && !mine[f.SourceID] {
			out.Findings = append(out.Findings, f)
		}
	}
	out.Findings = append(out.Findings, p.Findings...)
	slices.SortStableFunc(out.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID), cmp.Compare(a.Kind, b.Kind))
	})
	return out.clone()
}

// errRunStopped begins the error of a run that stopped early.
var errRunStopped = errors.New("push stopped")

// stopReason says why ctx stopped a run: its deadline passed (which counts
// as the target being unavailable, R19), or it was cancelled.
func stopReason(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the run's deadline passed: %w: %w", errRunStopped, ErrUnavailable, context.DeadlineExceeded)
	}
	return fmt.Errorf("%w: the run was cancelled: %w", errRunStopped, context.Cause(ctx))
}

// maxUnavailable returns the effective MaxUnavailable, or 0 for no limit.
func (a *Applier) maxUnavailable() int {
	switch {
	case a.MaxUnavailable == 0:
		return defaultMaxUnavailable
	case a.MaxUnavailable < 0:
		return 0
	}
	return a.MaxUnavailable
}

const defaultMaxUnavailable = 5

// notAttempted returns the status of a group the run stopped before: its
// last attempt stays as it was, its changes pending.
func (a *Applier) notAttempted(gp GroupPlan, prev map[string]Status, why error) Status {
	st := prev[gp.SourceID]
	st.SourceID, st.Name = gp.SourceID, gp.Name
	if gp.TargetID != "" {
		st.TargetID = gp.TargetID
	}
	st.Outcome, st.Error, st.Cause = NotAttempted, why.Error(), CauseInternal
	if errors.Is(why, ErrUnavailable) {
		st.Cause = CauseUnavailable
	}
	st.TargetStatus, st.TargetDetail = 0, ""
	if len(gp.Ops) > 0 && st.PendingSince.IsZero() {
		st.PendingSince = a.now()
	}
	return st
}

// applyOne applies one group's plan and returns its status, whether to
// record it, and the group's error. skipped holds the group's source users
// without a target user.
func (a *Applier) applyOne(ctx context.Context, p Plan, gp GroupPlan, refusal error,
	prev map[string]Status, links map[string]Link, blocked map[[2]string]Finding, skipped []string) (Status, bool, error) {
	st := prev[gp.SourceID]
	st.SourceID, st.Name, st.TargetID = gp.SourceID, gp.Name, gp.TargetID
	st.LastAttempt, st.Forced = a.now(), p.Force
	st.Cause, st.TargetStatus, st.TargetDetail, st.Skipped = 0, 0, "", skipped
	f, isBlocked := blocked[[2]string{gp.SourceID, gp.Name}]
	switch {
	case refusal != nil && len(gp.Ops) > 0: // the whole plan is refused
		st.Outcome, st.Error = Blocked, refusal.Error()
		return st, true, nil
	case refusal != nil:
		return st, false, nil
	case isBlocked && len(gp.Ops) == 0 && gp.Base == nil: // nothing to apply
		st.Outcome, st.Error = Blocked, f.Error()
		return st, true, nil
	}
	if len(gp.Ops) > 0 && st.PendingSince.IsZero() {
		st.PendingSince = st.LastAttempt
	}
	link, linked := links[gp.SourceID]
	res, err := a.applyGroup(ctx, p.MaxMembersPerRequest, gp, link, linked)
	if res.id != "" {
		st.TargetID = res.id
	}
	st.Refused = res.refused
	if len(res.refused) > 0 {
		a.log(ctx, slog.LevelWarn, "target refused members", gp, slog.Any("members", res.refused))
	}
	if err != nil {
		err = &GroupError{Op: gp.outcome().verb(), SourceID: gp.SourceID, Name: gp.Name, Err: err}
		st.Outcome, st.Error, st.Cause = Failed, err.Error(), causeOf(err)
		var ans TargetAnswer
		if errors.As(err, &ans) {
			st.TargetStatus, st.TargetDetail = ans.AnswerStatus(), ans.AnswerDetail()
		}
		a.log(ctx, slog.LevelWarn, "group push failed", gp, slog.Any("error", err))
		return st, true, err
	}
	if isBlocked {
		// What the source may change was applied; the rest (a refused
		// rename, a clash of names) is not, so the group is not where the
		// source wants it, and its changes stay pending.
		st.Outcome, st.Error = Blocked, f.Error()
		a.log(ctx, slog.LevelInfo, "group blocked", gp, slog.String("finding", f.Error()))
		return st, true, nil
	}
	st.Outcome, st.Error = cmp.Or(res.outcome, gp.outcome()), res.note
	st.LastSuccess, st.PendingSince = st.LastAttempt, time.Time{}
	if st.Outcome != Unchanged {
		a.log(ctx, slog.LevelInfo, "group "+st.Outcome.String(), gp)
	}
	return st, true, nil
}

// skippedMembers returns, per source id, the source users that a plan's
// findings say have no target user.
func skippedMembers(fs []Finding) map[string][]string {
	m := map[string][]string{}
	for _, f := range fs {
		if f.Kind == MemberNotProvisioned {
			m[f.SourceID] = append(m[f.SourceID], f.Members...)
		}
	}
	return m
}

// phases splits a plan's groups, in order, into the groups that leave the
// push, the linked (and imported) ones, and the unlinked ones: each phase
// may run concurrently, the phases one after the other.
func phases(groups []GroupPlan) [3][]int {
	var out [3][]int
	for i, g := range groups {
		ph := 1
		switch {
		case len(g.Ops) > 0 && (g.Ops[0].Kind == OpUnlink || g.Ops[0].Kind == OpDelete):
			ph = 0
		case g.TargetID == "" || len(g.Ops) > 0 && g.Ops[0].Kind == OpLink:
			ph = 2
		}
		out[ph] = append(out[ph], i)
	}
	return out
}

// run calls f for each index, at most Concurrency at a time.
func (a *Applier) run(indexes []int, f func(int)) {
	n := max(a.Concurrency, 1)
	if n == 1 {
		for _, i := range indexes {
			f(i)
		}
		return
	}
	work := make(chan int)
	var wg gosync.WaitGroup
	for range min(n, len(indexes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f(i)
			}
		}()
	}
	for _, i := range indexes {
		work <- i
	}
	close(work)
	wg.Wait()
}

// blockers returns, per source group (id and name, since an invalid
// duplicate shares the id of a valid group), the first finding that
// explains why the plan does nothing for it.
func blockers(fs []Finding) map[[2]string]Finding {
	m := map[[2]string]Finding{}
	for _, f := range fs {
		switch f.Kind {
		case Invalid, AmbiguousName, LinkedElsewhere, ReadOnly, MissingOnTarget, NearDuplicate, NameTaken:
			if f.Kind == NearDuplicate && !f.Blocked {
				continue
			}
			k := [2]string{f.SourceID, f.Name}
			if _, ok := m[k]; !ok {
				m[k] = f
			}
		}
	}
	return m
}

// applied is what applying a group's operations did.
type applied struct {
	id      string   // the target id, which a create assigns
	refused []string // member values the target refused (R8)
	outcome Outcome  // when it differs from the plan's
	note    string   // why it differs
}

// applyGroup applies gp's operations request by request. link is the
// group's stored link, if linked.
func (a *Applier) applyGroup(ctx context.Context, size int, gp GroupPlan, link Link, linked bool) (res applied, err error) {
	res.id = gp.TargetID
	linking := len(gp.Ops) > 0 && gp.Ops[0].Kind == OpLink
	work := len(gp.Ops) > 0 || gp.Base != nil
	if work && !linking && gp.TargetID != "" && (!linked || link.TargetID != gp.TargetID) {
		return res, fmt.Errorf("source group %s is no longer linked to %s: %w", gp.SourceID, gp.TargetID, ErrNotLinked)
	}
	if gp.Base != nil && !linking {
		link.Pushed = gp.Base
		if err := a.Store.Link(keep(ctx), link); err != nil {
			return res, fmt.Errorf("record snapshot: %w", err)
		}
	}
	for _, r := range pack(gp.Ops, size) {
		var skipped []string
		switch {
		case r.create:
			res.id, skipped, err = a.create(ctx, gp.SourceID, r.change)
		case r.delete:
			err = a.Target.Delete(ctx, res.id)
			if errors.Is(err, origin.ErrReadOnly) {
				// The app owns the group after all (R10): only unlink.
				res.outcome, res.note = Unlinked, err.Error()
				err = nil
			}
			if err == nil || errors.Is(err, ErrNotFound) {
				err = a.record(a.Store.Unlink(keep(ctx), gp.SourceID))
			}
		case r.unlink:
			err = a.record(a.Store.Unlink(keep(ctx), gp.SourceID))
		default:
			var first func() error
			if r.link {
				first = func() error {
					return a.Store.Link(keep(ctx), Link{SourceID: gp.SourceID, TargetID: res.id, Pushed: gp.Base})
				}
			}
			skipped, err = a.update(ctx, gp.SourceID, res.id, r.change, first)
		}
		res.refused = append(res.refused, skipped...)
		if err != nil {
			return res, err
		}
		a.log(ctx, slog.LevelDebug, "request applied", gp,
			slog.Int("removed", len(r.change.Remove)), slog.Int("added", len(r.change.Add)))
	}
	return res, nil
}

// create creates the group of c and records its link. When the target
// refuses a member, it creates the group bare and adds the members one by
// one, skipping the refused ones (R8).
func (a *Applier) create(ctx context.Context, sourceID string, c Change) (string, []string, error) {
	g, err := a.Target.Create(ctx, c)
	bare := errors.Is(err, ErrMemberRefused) && len(c.Add) > 0
	if bare {
		g, err = a.Target.Create(ctx, Change{ExternalID: c.ExternalID, Name: c.Name})
	}
	if err != nil {
		return "", nil, err
	}
	// A target may have associated with an app group (R5): only a group it
	// reports as pushed counts as created.
	l := Link{SourceID: sourceID, TargetID: g.ID, Created: g.Origin == origin.Source,
		Pushed: &Snapshot{Name: c.Name, Members: group.NewMembers(c.Add...)}}
	if bare {
		l.Pushed.Members = group.Members{}
	}
	if err := a.Store.Link(keep(ctx), l); err != nil {
		return g.ID, nil, a.record(err)
	}
	if !bare {
		return g.ID, nil, nil
	}
	refused, err := a.oneByOne(ctx, sourceID, g.ID, Change{Add: c.Add})
	return g.ID, refused, err
}

// update sends c to the target and records it. first, when set, runs once
// the target has taken the first write. When the target refuses a member,
// update retries member by member and returns the refused ones (R8).
func (a *Applier) update(ctx context.Context, sourceID, id string, c Change, first func() error) ([]string, error) {
	if first == nil {
		first = func() error { return nil }
	}
	if c.empty() {
		return nil, a.record(first())
	}
	err := a.Target.Update(ctx, id, c)
	if errors.Is(err, ErrMemberRefused) && len(c.Remove)+len(c.Add) > 0 {
		head := Change{ExternalID: c.ExternalID, Name: c.Name}
		if !head.empty() {
			if err := a.Target.Update(ctx, id, head); err != nil {
				return nil, err
			}
		}
		if err := a.record(first(), a.pushed(ctx, sourceID, head)); err != nil {
			return nil, err
		}
		if members := slices.Concat(c.Remove, c.Add); len(members) == 1 {
			return members, nil // that one member is the refused one
		}
		return a.oneByOne(ctx, sourceID, id, Change{Remove: c.Remove, Add: c.Add})
	}
	if err != nil {
		return nil, err
	}
	return nil, a.record(first(), a.Store.Pushed(keep(ctx), sourceID, c))
}

// oneByOne sends c's member changes one request per member, skipping and
// returning those the target refuses.
func (a *Applier) oneByOne(ctx context.Context, sourceID, id string, c Change) ([]string, error) {
	var refused []string
	send := func(one Change, m string) error {
		switch err := a.Target.Update(ctx, id, one); {
		case errors.Is(err, ErrMemberRefused):
			refused = append(refused, m)
			return nil
		case err != nil:
			return err
		}
		return a.record(a.Store.Pushed(keep(ctx), sourceID, one))
	}
	for _, m := range c.Remove {
		if err := send(Change{Remove: []string{m}}, m); err != nil {
			return refused, err
		}
	}
	for _, m := range c.Add {
		if err := send(Change{Add: []string{m}}, m); err != nil {
			return refused, err
		}
	}
	return refused, nil
}

// pushed records c unless it is empty.
func (a *Applier) pushed(ctx context.Context, sourceID string, c Change) error {
	if c.empty() {
		return nil
	}
	return a.Store.Pushed(keep(ctx), sourceID, c)
}

// record wraps the first store error: the target applied the request, the
// store failed to record it.
func (a *Applier) record(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("record applied request: %w", err)
		}
	}
	return nil
}

// request is what one call to the target carries.
type request struct {
	create, link, delete, unlink bool
	change                       Change
}

// pack groups consecutive operations into requests of at most size member
// values, keeping their order: a request holds at most a create or a link, a
// rename, one removal and then one addition. Unlink and delete stand alone.
func pack(ops []Op, size int) []request {
	var out []request
	var cur request
	open := false
	for _, op := range ops {
		c := &cur.change
		values := len(c.Remove) + len(c.Add)
		var fits bool
		switch op.Kind {
		case OpRename:
			fits = !cur.delete && !cur.unlink && c.Name == "" && values == 0
		case OpRemoveMembers:
			fits = !cur.delete && !cur.unlink && values == 0 && len(op.Members) <= size
		case OpAddMembers:
			fits = !cur.delete && !cur.unlink && c.Add == nil && values+len(op.Members) <= size
		}
		if open && !fits {
			out = append(out, cur)
			cur = request{}
		}
		open = true
		switch op.Kind {
		case OpCreate:
			cur.create = true
			c.Name, c.ExternalID = op.Name, op.ExternalID
		case OpLink:
			cur.link = true
			c.ExternalID = op.ExternalID
		case OpRename:
			c.Name = op.Name
		case OpRemoveMembers:
			c.Remove = op.Members
		case OpAddMembers:
			c.Add = op.Members
		case OpUnlink:
			cur.unlink = true
		case OpDelete:
			cur.delete = true
		}
	}
	if open {
		out = append(out, cur)
	}
	return out
}

func (c Change) empty() bool {
	return c.ExternalID == "" && c.Name == "" && len(c.Remove) == 0 && len(c.Add) == 0
}

// verb names what applying a plan with this outcome does, for errors.
func (o Outcome) verb() string {
	switch o {
	case Created:
		return "create"
	case Linked:
		return "link"
	case Deleted:
		return "delete"
	case Unlinked:
		return "unlink"
	}
	return "update"
}

// keep returns a context for recording what the target has applied: the
// record must not be lost because the run was cancelled meanwhile.
func keep(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Applier) log(ctx context.Context, level slog.Level, msg string, gp GroupPlan, attrs ...slog.Attr) {
	if a.Logger == nil {
		return
	}
	attrs = append(attrs, slog.String("group", gp.Name), slog.String("source_id", gp.SourceID))
	if gp.TargetID != "" {
		attrs = append(attrs, slog.String("target_id", gp.TargetID))
	}
	a.Logger.LogAttrs(ctx, level, msg, attrs...)
}
