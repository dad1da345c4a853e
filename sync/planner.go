package sync

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// Plan computes what a sync does to bring the target to in.Desired. It is a
// pure function: no I/O, no clock, and the same input gives the same plan.
//
// Its invariants, which the tests pin and FuzzPlan checks:
//
//   - The plan of a converged pair has no operations; findings may remain.
//   - Applying a plan and planning again against the result gives no
//     operations; every difference that remains is named by a finding.
//   - Operations only set externalIds, names and members, create, delete,
//     link and unlink. No operation touches a type or other local attribute,
//     and none changes an id.
//   - No request packed from the operations carries more member values than
//     MaxMembersPerRequest.
//
// How each source group is planned:
//
//   - Linked (a stored link whose target group exists): its name and members
//     are compared with the last-pushed snapshot, or with the live group on a
//     force sync or when there is no snapshot (R11). Renames apply only to
//     source-origin groups (R9); members follow the source (R8).
//   - Unlinked: a target group whose externalId is the source id is adopted;
//     else exactly one target group of byte-equal name is associated (R5),
//     whatever its origin; else the group is created (R3), unless a target
//     group nearly matches and the policy blocks near duplicates (R6).
//   - Imported from the app: never written; differences are reported (R7).
//   - Linked but no longer desired: unlinked or deleted (R10).
func (p Policy) Plan(in Input) Plan {
	pl := newPlanner(p, in, false)
	return pl.run()
}

// Reads returns the ids of the target groups whose live members
// [Policy.Plan] needs, sorted: on a force sync every linked group; on any
// sync the groups it would adopt or associate with, linked groups with no
// snapshot, and imported groups. A caller reads them and sets
// [TargetGroup.MembersRead].
func (p Policy) Reads(in Input) []string {
	pl := newPlanner(p, in, true)
	pl.run()
	ids := make([]string, 0, len(pl.reads))
	for id := range pl.reads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

type planner struct {
	policy    Policy
	in        Input
	readsOnly bool                // collect reads, skip member work
	reads     map[string]struct{} // target ids whose live members the plan uses

	byID      map[string]*TargetGroup
	links     map[string]*Link  // by source id
	linkedTo  map[string]string // target id -> source id, stored and planned links
	names     map[string]string // names of planned creates -> source id
	nearNames map[string]string // near keys of planned creates -> source id
	deleting  map[string]bool   // target ids this plan deletes
	renamed   map[string]string // target id -> the name this plan gives it
	phases    [2]int            // plan.Groups[:phases[0]] leave, [phases[0]:phases[1]] are linked

	byName     map[string][]*TargetGroup // built on first use
	byExternal map[string][]*TargetGroup // built on first use
	byNear     map[string][]*TargetGroup // built on first use
	nearKeys   map[*TargetGroup]string
	folder     *folder

	only map[string]struct{} // Input.Only as a set; nil plans every group

	buf  []string // scratch for member mapping
	plan Plan
}

// named reports whether the plan covers the source group of id (R21).
func (pl *planner) named(id string) bool {
	if pl.only == nil {
		return true
	}
	_, ok := pl.only[id]
	return ok
}

func newPlanner(p Policy, in Input, readsOnly bool) *planner {
	pl := &planner{
		policy:    p,
		in:        in,
		readsOnly: readsOnly,
		reads:     map[string]struct{}{},
		byID:      make(map[string]*TargetGroup, len(in.Current)),
		links:     make(map[string]*Link, len(in.Links)),
		linkedTo:  make(map[string]string, len(in.Links)),
		names:     map[string]string{},
		nearNames: map[string]string{},
		deleting:  map[string]bool{},
		renamed:   map[string]string{},
	}
	for i := range in.Current {
		t := &in.Current[i]
		if _, dup := pl.byID[t.ID]; !dup {
			pl.byID[t.ID] = t
		}
	}
	for i := range in.Links {
		l := &in.Links[i]
		if _, dup := pl.links[l.SourceID]; dup {
			continue
		}
		pl.links[l.SourceID] = l
		pl.linkedTo[l.TargetID] = l.SourceID
	}
	if in.Only != nil {
		pl.only = make(map[string]struct{}, len(in.Only))
		for _, id := range in.Only {
			pl.only[id] = struct{}{}
		}
	}
	pl.plan = Plan{
		Force:                in.Force,
		MaxMembersPerRequest: p.maxMembers(),
		Groups:               make([]GroupPlan, 0, len(in.Desired)+len(in.Links)),
	}
	return pl
}

func (pl *planner) run() Plan {
	// Claims (of target groups and of names) go to source groups in id
	// order, whatever the input order.
	order := make([]int, len(pl.in.Desired))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(pl.in.Desired[a].ID, pl.in.Desired[b].ID)
	})
	desired := make(map[string]struct{}, len(order))
	for _, s := range pl.in.Desired {
		desired[s.ID] = struct{}{}
	}
	if pl.only != nil {
		pl.plan.Only = make([]string, 0, len(pl.only))
		for id := range pl.only {
			pl.plan.Only = append(pl.plan.Only, id)
			_, isDesired := desired[id]
			if _, isLinked := pl.links[id]; !isDesired && !isLinked {
				pl.find(Finding{Kind: Invalid, SourceID: id, Detail: "named to push now, but neither desired nor linked"})
			}
		}
		slices.Sort(pl.plan.Only)
	}
	// Leavers first: a group this plan deletes frees its name for the
	// desired groups, and the applier applies the leavers first.
	pl.leavers(desired)
	// Linked and imported groups first, so that the names they end up with
	// are known when unlinked groups look for names to match or take.
	seen := make(map[string]struct{}, len(order))
	var unlinked []*SourceGroup
	type pushed struct {
		sourceID, name string
		t              *TargetGroup
	}
	var created []pushed
	for _, i := range order {
		s := &pl.in.Desired[i]
		if !pl.named(s.ID) {
			continue
		}
		if _, dup := seen[s.ID]; dup || s.ID == "" {
			pl.find(Finding{Kind: Invalid, SourceID: s.ID, Name: s.Name, Detail: invalidID(s.ID)})
			continue
		}
		seen[s.ID] = struct{}{}
		if err := group.ValidateName(s.Name); err != nil {
			pl.find(Finding{Kind: Invalid, SourceID: s.ID, Name: s.Name, Detail: err.Error()})
			pl.plan.Groups = append(pl.plan.Groups, GroupPlan{SourceID: s.ID, Name: s.Name})
			continue
		}
		switch l, linked := pl.links[s.ID]; {
		case s.ImportedFrom != "":
			pl.imported(s)
		case linked:
			if t := pl.linked(s, l); t != nil && origin.Effective(t.Origin, l.Created) == origin.Source {
				created = append(created, pushed{s.ID, s.Name, t})
			}
		default:
			unlinked = append(unlinked, s)
		}
	}
	pl.nameClashes(pl.phases[0])
	for _, c := range created {
		pl.nearDuplicates(c.sourceID, c.name, c.t)
	}
	pl.phases[1] = len(pl.plan.Groups)
	for _, s := range unlinked {
		pl.unlinked(s)
	}
	pl.finish()
	return pl.plan
}

func invalidID(id string) string {
	if id == "" {
		return "empty source id"
	}
	return "duplicate source id"
}

// linked plans a linked source group and returns its target group, or nil
// when the target group is missing.
func (pl *planner) linked(s *SourceGroup, l *Link) *TargetGroup {
	gp := GroupPlan{SourceID: s.ID, TargetID: l.TargetID, Name: s.Name}
	t, ok := pl.byID[l.TargetID]
	if !ok {
		pl.find(Finding{Kind: MissingOnTarget, SourceID: s.ID, Name: s.Name,
			TargetIDs: []string{l.TargetID}, Detail: "not re-created; drop the link to push it again"})
		pl.plan.Groups = append(pl.plan.Groups, gp)
		return nil
	}
	org := origin.Effective(t.Origin, l.Created)
	if pl.in.Force || l.Pushed == nil {
		base, known := pl.live(t)
		if !known && l.Pushed != nil {
			// The target hides its members: keep what the snapshot knows,
			// so that a pending removal is not forgotten.
			base.Members = l.Pushed.Members
		}
		if l.Pushed == nil || !l.Pushed.Equal(base) {
			gp.Base = &base
		}
		pl.update(&gp, s, t, base, known, org, true)
	} else {
		pl.update(&gp, s, t, *l.Pushed, true, org, true)
	}
	pl.plan.Groups = append(pl.plan.Groups, gp)
	return t
}

// live returns t's live state and whether its members are known, and records
// that the plan reads it.
func (pl *planner) live(t *TargetGroup) (Snapshot, bool) {
	pl.reads[t.ID] = struct{}{}
	if !t.MembersRead {
		return Snapshot{Name: t.Name}, false
	}
	return Snapshot{Name: t.Name, Members: t.Members}, true
}

func (pl *planner) unlinked(s *SourceGroup) {
	gp := GroupPlan{SourceID: s.ID, Name: s.Name}
	defer func() { pl.plan.Groups = append(pl.plan.Groups, gp) }()

	if ext := pl.externalIndex()[s.ID]; len(ext) > 0 {
		if len(ext) > 1 {
			pl.find(Finding{Kind: AmbiguousName, SourceID: s.ID, Name: s.Name,
				TargetIDs: ids(ext), TargetNames: names(ext),
				Detail: "several target groups carry this externalId"})
			return
		}
		pl.link(&gp, s, ext[0], false)
		return
	}
	same := pl.nameIndex()[s.Name]
	switch {
	case len(same) > 1:
		pl.find(Finding{Kind: AmbiguousName, SourceID: s.ID, Name: s.Name,
			TargetIDs: ids(same), TargetNames: names(same)})
		return
	case len(same) == 1:
		t := same[0]
		if t.ExternalID != "" && t.ExternalID != s.ID {
			pl.find(Finding{Kind: LinkedElsewhere, SourceID: s.ID, Name: s.Name,
				TargetIDs: []string{t.ID}, TargetNames: []string{t.Name},
				Detail: fmt.Sprintf("its externalId is %s", t.ExternalID)})
			return
		}
		pl.link(&gp, s, t, true)
		return
	}
	if other, ok := pl.names[s.Name]; ok {
		pl.find(Finding{Kind: AmbiguousName, SourceID: s.ID, Name: s.Name,
			Detail: fmt.Sprintf("source group %s of the same name is created by this plan", other)})
		return
	}
	idx := pl.nearIndex()
	key := pl.folder.key(s.Name)
	near := idx[key]
	other, nearPlanned := pl.nearNames[key]
	if len(near) > 0 || nearPlanned {
		f := Finding{Kind: NearDuplicate, SourceID: s.ID, Name: s.Name,
			TargetIDs: ids(near), TargetNames: names(near), Blocked: pl.policy.BlockNearDuplicates}
		if nearPlanned {
			f.Detail = fmt.Sprintf("source group %s of a nearly equal name is created by this plan", other)
		}
		pl.find(f)
		if pl.policy.BlockNearDuplicates {
			return
		}
	}
	pl.names[s.Name] = s.ID
	if !nearPlanned {
		pl.nearNames[key] = s.ID
	}
	gp.Ops = []Op{{Kind: OpCreate, Name: s.Name, ExternalID: s.ID}}
	if pl.readsOnly {
		return
	}
	want := pl.members(s)
	add, _ := group.Members{}.Diff(want)
	gp.Ops = chunk(gp.Ops, nil, add, pl.plan.MaxMembersPerRequest)
}

// link plans the association of s with t (R5) or its adoption by
// externalId.
func (pl *planner) link(gp *GroupPlan, s *SourceGroup, t *TargetGroup, byName bool) {
	if other, ok := pl.linkedTo[t.ID]; ok && other != s.ID {
		pl.find(Finding{Kind: LinkedElsewhere, SourceID: s.ID, Name: s.Name,
			TargetIDs: []string{t.ID}, TargetNames: []string{t.Name},
			Detail: fmt.Sprintf("linked to source group %s", other)})
		return
	}
	pl.linkedTo[t.ID] = s.ID
	gp.TargetID = t.ID
	op := Op{Kind: OpLink, ByName: byName}
	if t.ExternalID != s.ID {
		op.ExternalID = s.ID
	}
	gp.Ops = append(gp.Ops, op)
	base, known := pl.live(t)
	gp.Base = &base
	// The link op links t: from here on the source holds it.
	pl.update(gp, s, t, base, known, origin.Effective(t.Origin, false), true)
}

// update plans the rename and member changes that turn base into s, as far
// as the source may make them: linked says whether it holds a link to t (or
// makes one in this plan), org is t's effective origin, and known whether
// base holds t's members. [origin.CanRename] and [origin.CanEditMembers]
// decide; what they refuse is reported in one read-only finding (R7, R9)
// and planned as no operation.
func (pl *planner) update(gp *GroupPlan, s *SourceGroup, t *TargetGroup, base Snapshot, known bool, org origin.Origin, linked bool) {
	var refused []string
	renameRefused := false
	if base.Name != s.Name {
		if origin.CanRename(org, linked) {
			gp.Ops = append(gp.Ops, Op{Kind: OpRename, Name: s.Name, From: base.Name})
			pl.renamed[t.ID] = s.Name
		} else {
			renameRefused = true
			refused = append(refused, fmt.Sprintf("rename to %q", s.Name))
		}
	}
	editable := origin.CanEditMembers(linked)
	if !pl.readsOnly && (editable || known) {
		want := pl.members(s)
		switch {
		case !editable:
			add, remove := base.Members.Diff(want)
			if len(add) > 0 {
				refused = append(refused, "add "+plural(len(add), "member"))
			}
			if len(remove) > 0 {
				refused = append(refused, "remove "+plural(len(remove), "member"))
			}
		case known:
			add, remove := base.Members.Diff(want)
			gp.Ops = chunk(gp.Ops, remove, add, pl.plan.MaxMembersPerRequest)
		default:
			add, _ := group.Members{}.Diff(want)
			pl.find(Finding{Kind: MembershipUnreadable, SourceID: s.ID, Name: s.Name,
				TargetIDs: []string{t.ID}, TargetNames: []string{t.Name},
				Detail: "every member is sent as an add and none is removed"})
			gp.Ops = chunk(gp.Ops, nil, add, pl.plan.MaxMembersPerRequest)
		}
	}
	if len(refused) == 0 {
		return
	}
	detail := "asked to " + joinAnd(refused)
	if renameRefused && editable {
		detail = fmt.Sprintf("not renamed from %q; members are still pushed", base.Name)
	}
	pl.find(Finding{Kind: ReadOnly, SourceID: s.ID, Name: s.Name,
		TargetIDs: []string{t.ID}, TargetNames: []string{base.Name}, Detail: detail})
}

// imported plans a source group that mirrors an app group it does not link
// to (R7): update without a link, which plans nothing and reports
// every change the source asks for.
func (pl *planner) imported(s *SourceGroup) {
	gp := GroupPlan{SourceID: s.ID, TargetID: s.ImportedFrom, Name: s.Name}
	defer func() { pl.plan.Groups = append(pl.plan.Groups, gp) }()
	t, ok := pl.byID[s.ImportedFrom]
	if !ok {
		pl.find(Finding{Kind: MissingOnTarget, SourceID: s.ID, Name: s.Name,
			TargetIDs: []string{s.ImportedFrom}, Detail: "the imported app group was deleted in the app"})
		return
	}
	base, known := pl.live(t)
	pl.update(&gp, s, t, base, known, origin.Effective(t.Origin, false), false)
}

// leavers plans the linked source groups that left the push (R10).
func (pl *planner) leavers(desired map[string]struct{}) {
	var n int
	for i := range pl.in.Links {
		l := &pl.in.Links[i]
		held := pl.links[l.SourceID] == l // the first link of a source id counts
		if _, ok := desired[l.SourceID]; ok || !held || !pl.named(l.SourceID) {
			continue
		}
		gp := GroupPlan{SourceID: l.SourceID, TargetID: l.TargetID}
		if l.Pushed != nil {
			gp.Name = l.Pushed.Name
		}
		op := Op{Kind: OpUnlink}
		if t, ok := pl.byID[l.TargetID]; ok {
			if gp.Name == "" {
				gp.Name = t.Name
			}
			if pl.policy.Unlink == Delete && origin.CanDelete(origin.Effective(t.Origin, l.Created), held) {
				op.Kind = OpDelete
				pl.deleting[t.ID] = true
			}
		}
		gp.Ops = []Op{op}
		pl.plan.Groups = append(pl.plan.Groups, gp)
		n++
	}
	pl.phases[0] = len(pl.plan.Groups)
	if limit := pl.policy.maxDeletes(); limit >= 0 && n > limit && !pl.in.AllowDeletes {
		pl.find(Finding{Kind: TooManyDeletes, Count: n, Limit: limit})
	}
}

// nameClashes drops the renames among plan.Groups[from:] to a name that
// another target group holds once the plan is applied, which a target would
// refuse, and reports each with a NameTaken finding. Renames are claimed in
// plan order; a group renamed away from a name frees it (a chain the
// applier may need two runs for, see the package doc).
func (pl *planner) nameClashes(from int) {
	var renames []int
	for i := from; i < len(pl.plan.Groups); i++ {
		for _, op := range pl.plan.Groups[i].Ops {
			if op.Kind == OpRename {
				renames = append(renames, i)
			}
		}
	}
	if len(renames) == 0 {
		return
	}
	holders := make(map[string][]string, len(pl.byID)) // name -> target ids, once applied
	for id, t := range pl.byID {
		if !pl.deleting[id] {
			holders[pl.name(t)] = append(holders[pl.name(t)], id)
		}
	}
	for _, i := range renames {
		gp := &pl.plan.Groups[i]
		t := pl.byID[gp.TargetID]
		var others []string
		for _, id := range holders[gp.Name] {
			if id != gp.TargetID {
				others = append(others, id)
			}
		}
		if len(others) == 0 {
			continue
		}
		slices.Sort(others)
		gp.Ops = slices.DeleteFunc(gp.Ops, func(op Op) bool { return op.Kind == OpRename })
		delete(pl.renamed, gp.TargetID)
		holders[gp.Name] = slices.DeleteFunc(holders[gp.Name], func(id string) bool { return id == gp.TargetID })
		holders[t.Name] = append(holders[t.Name], gp.TargetID)
		f := Finding{Kind: NameTaken, SourceID: gp.SourceID, Name: gp.Name, TargetIDs: others}
		for _, id := range others {
			f.TargetNames = append(f.TargetNames, pl.name(pl.byID[id]))
		}
		pl.find(f)
	}
}

// nearDuplicates reports the target groups whose names nearly match the name
// of t, a group that a push created, once the plan is applied (R13: push
// created a duplicate).
func (pl *planner) nearDuplicates(sourceID, name string, t *TargetGroup) {
	idx := pl.nearIndex()
	var near []*TargetGroup
	for _, o := range idx[pl.nearKeys[t]] {
		if o != t && pl.name(o) != pl.name(t) {
			near = append(near, o)
		}
	}
	if len(near) > 0 {
		pl.find(Finding{Kind: NearDuplicate, SourceID: sourceID, Name: name,
			TargetIDs: ids(near), TargetNames: names(near),
			Detail: fmt.Sprintf("target group %s was created by a push", t.ID)})
	}
}

// members maps s's members to target user ids and reports those without
// one (an empty id has none). The result is the desired member set of s's
// target group.
func (pl *planner) members(s *SourceGroup) group.Members {
	buf := pl.buf[:0]
	var missing []string
	for _, u := range s.Members {
		id := u
		if pl.in.Users != nil {
			id = pl.in.Users[u]
		}
		if id == "" {
			missing = append(missing, u)
			continue
		}
		buf = append(buf, id)
	}
	pl.buf = buf
	if len(missing) > 0 {
		slices.Sort(missing)
		pl.find(Finding{Kind: MemberNotProvisioned, SourceID: s.ID, Name: s.Name,
			Members: slices.Compact(missing)})
	}
	return group.NewMembers(buf...)
}

func (pl *planner) find(f Finding) {
	pl.plan.Findings = append(pl.plan.Findings, f)
}

func (pl *planner) finish() {
	byName := func(a, b GroupPlan) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID))
	}
	g := pl.plan.Groups
	slices.SortFunc(g[:pl.phases[0]], byName)
	slices.SortFunc(g[pl.phases[0]:pl.phases[1]], byName)
	slices.SortFunc(g[pl.phases[1]:], byName)
	slices.SortStableFunc(pl.plan.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID), cmp.Compare(a.Kind, b.Kind))
	})
}

// name returns the name t has once the plan is applied.
func (pl *planner) name(t *TargetGroup) string {
	if n, ok := pl.renamed[t.ID]; ok {
		return n
	}
	return t.Name
}

func (pl *planner) nameIndex() map[string][]*TargetGroup {
	if pl.byName == nil {
		pl.byName = make(map[string][]*TargetGroup, len(pl.byID))
		pl.index(pl.name, pl.byName)
	}
	return pl.byName
}

func (pl *planner) externalIndex() map[string][]*TargetGroup {
	if pl.byExternal == nil {
		pl.byExternal = make(map[string][]*TargetGroup, len(pl.byID))
		pl.index(func(t *TargetGroup) string { return t.ExternalID }, pl.byExternal)
	}
	return pl.byExternal
}

func (pl *planner) nearIndex() map[string][]*TargetGroup {
	if pl.byNear == nil {
		pl.folder = newFolder()
		pl.byNear = make(map[string][]*TargetGroup, len(pl.byID))
		pl.nearKeys = make(map[*TargetGroup]string, len(pl.byID))
		pl.index(func(t *TargetGroup) string {
			k := pl.folder.key(pl.name(t))
			pl.nearKeys[t] = k
			return k
		}, pl.byNear)
	}
	return pl.byNear
}

// index adds every distinct target group that the plan does not delete to
// idx under key(t), skipping empty keys, sorted by id.
func (pl *planner) index(key func(*TargetGroup) string, idx map[string][]*TargetGroup) {
	for i := range pl.in.Current {
		t := &pl.in.Current[i]
		if pl.byID[t.ID] != t || pl.deleting[t.ID] {
			continue
		}
		if k := key(t); k != "" {
			idx[k] = append(idx[k], t)
		}
	}
	for _, ts := range idx {
		slices.SortFunc(ts, func(a, b *TargetGroup) int { return cmp.Compare(a.ID, b.ID) })
	}
}

// chunk appends to ops the member changes remove then add, in operations
// sized so that packing consecutive operations into requests of at most size
// values needs ceil((len(remove)+len(add))/size) requests: each window of size
// values becomes one operation, or two where it straddles the removes and the
// adds.
func chunk(ops []Op, remove, add []string, size int) []Op {
	r, n := len(remove), len(remove)+len(add)
	if n == 0 {
		return ops
	}
	ops = slices.Grow(ops, (n+size-1)/size+1)
	for off := 0; off < n; off += size {
		end := min(off+size, n)
		// Full slice expressions: no chunk can grow into the next.
		if off < r {
			hi := min(end, r)
			ops = append(ops, Op{Kind: OpRemoveMembers, Members: remove[off:hi:hi]})
		}
		if end > r {
			lo, hi := max(off, r)-r, end-r
			ops = append(ops, Op{Kind: OpAddMembers, Members: add[lo:hi:hi]})
		}
	}
	return ops
}

func ids(ts []*TargetGroup) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func names(ts []*TargetGroup) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
