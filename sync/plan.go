package sync

import (
	"fmt"
	"strings"

	"github.com/groupsync/groupsync/origin"
)

// Plan is what a sync would do: per source group, the operations that bring
// its target group to the desired state, plus findings about everything it
// will not or cannot do. [Policy.Plan] makes it; [Applier.Apply] carries it
// out; String renders it for people.
type Plan struct {
	// Force records that the plan was made for a force sync.
	Force bool
	// MaxMembersPerRequest is the policy's request size, which the applier
	// packs operations into requests by.
	MaxMembersPerRequest int
	// Groups holds an entry per linked source group that left the push and
	// per desired source group (a duplicate or empty source id gets none,
	// only an Invalid finding), in the order the applier applies them: the
	// leavers, then the linked and imported groups, then the unlinked ones,
	// each part sorted by name, then source id. So a group this plan
	// deletes or renames frees its name before another group takes it.
	Groups []GroupPlan
	// Findings are sorted by name, source id, then kind.
	Findings []Finding
	// Only holds the source ids the plan was limited to ([Input.Only]),
	// sorted; nil for a plan of every group.
	Only []string `json:",omitempty"`
}

// GroupPlan is what a plan does to one source group's target group.
type GroupPlan struct {
	// SourceID is the source group's id.
	SourceID string
	// TargetID is the target group's id; empty when the plan creates it or
	// found none to use.
	TargetID string
	// Name is the desired name; for a group that left the push, the last
	// known one.
	Name string
	// Base, when set, is the live state the operations start from: a link's
	// or a force sync's read. The applier stores it as the group's snapshot
	// before applying the operations. Nil means the stored snapshot.
	Base *Snapshot
	// Ops are applied in order. The applier packs consecutive operations
	// into one request while their member values fit
	// MaxMembersPerRequest; the planner sizes chunks so that this packing
	// needs the fewest requests.
	Ops []Op
}

// OpKind is the kind of an [Op].
type OpKind uint8

// The operation kinds.
const (
	// OpCreate creates the target group with Name and ExternalID. The
	// members follow in OpAddMembers operations, the first of which travel
	// in the create request.
	OpCreate OpKind = iota + 1
	// OpLink links the source group to an existing target group, found by
	// externalId or by exact name (ByName), and sets its externalId when
	// ExternalID is non-empty.
	OpLink
	// OpRename sets the name to Name (From is the old one).
	OpRename
	// OpRemoveMembers removes Members.
	OpRemoveMembers
	// OpAddMembers adds Members.
	OpAddMembers
	// OpUnlink drops the link; the target group stays.
	OpUnlink
	// OpDelete deletes the target group and drops the link.
	OpDelete
)

var opKindNames = [...]string{
	OpCreate: "create", OpLink: "link", OpRename: "rename",
	OpRemoveMembers: "remove members", OpAddMembers: "add members",
	OpUnlink: "unlink", OpDelete: "delete",
}

// String names the kind, as plans render it.
func (k OpKind) String() string {
	if int(k) < len(opKindNames) && opKindNames[k] != "" {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// MarshalText encodes k as its String.
func (k OpKind) MarshalText() ([]byte, error) {
	return marshalName(opKindNames[:], int(k), "operation kind")
}

// UnmarshalText decodes an OpKind's String.
func (k *OpKind) UnmarshalText(text []byte) error {
	i, err := unmarshalName(opKindNames[:], text, "operation kind")
	*k = OpKind(i)
	return err
}

// Op is one typed operation of a [GroupPlan].
type Op struct {
	// Kind says what the operation does.
	Kind OpKind
	// Name is the new name of OpCreate and OpRename.
	Name string `json:",omitempty"`
	// From is the old name of OpRename.
	From string `json:",omitempty"`
	// ExternalID is the externalId OpCreate and OpLink write.
	ExternalID string `json:",omitempty"`
	// ByName records that OpLink matched by exact name (R5) rather than by
	// externalId.
	ByName bool `json:",omitempty"`
	// Members holds the member values of OpAddMembers and OpRemoveMembers,
	// sorted.
	Members []string `json:",omitempty"`
}

// Len returns the number of operations in p.
func (p Plan) Len() int {
	n := 0
	for _, g := range p.Groups {
		n += len(g.Ops)
	}
	return n
}

// Err returns an error wrapping [ErrTooManyDeletes] when p may not be applied
// at all, and nil otherwise.
func (p Plan) Err() error {
	for _, f := range p.Findings {
		if f.Kind == TooManyDeletes {
			return f
		}
	}
	return nil
}

// FindingKind is the kind of a [Finding].
type FindingKind uint8

// The finding kinds.
const (
	// Invalid: the source group cannot be pushed as given (an empty or
	// duplicate id, an invalid name); it is skipped.
	Invalid FindingKind = iota + 1
	// NearDuplicate: the name matches a target group's only after Unicode
	// normalisation, case folding and white-space folding (R6). Before a
	// push it warns that the push creates a likely duplicate (Blocked when
	// the policy stops it); after, that a pushed group has one.
	NearDuplicate
	// AmbiguousName: several target groups carry the name, or the
	// externalId, so none was linked (R5).
	AmbiguousName
	// LinkedElsewhere: the target group of that name is linked to another
	// source group (R5).
	LinkedElsewhere
	// ReadOnly: the source asked to change what the app owns (R7, R9).
	ReadOnly
	// MemberNotProvisioned: source users without a target user were
	// skipped (R8).
	MemberNotProvisioned
	// MissingOnTarget: the linked (or imported) target group no longer
	// exists; it is not re-created (R11).
	MissingOnTarget
	// MembershipUnreadable: the target returned no members, so every
	// desired member is sent as an add and none is removed (R11).
	MembershipUnreadable
	// TooManyDeletes: the plan unlinks and deletes more groups than the
	// policy allows, so it may not be applied (R10).
	TooManyDeletes
	// NameTaken: the source renames a linked group to a name that another
	// target group holds (and keeps, after this plan), which the target
	// would refuse (409). The rename is not planned; the members still
	// are.
	NameTaken
)

var findingKindNames = [...]string{
	Invalid: "invalid", NearDuplicate: "near duplicate", AmbiguousName: "ambiguous name",
	LinkedElsewhere: "linked elsewhere", ReadOnly: "read-only",
	MemberNotProvisioned: "member not provisioned", MissingOnTarget: "missing on target",
	MembershipUnreadable: "membership unreadable", TooManyDeletes: "too many deletes",
	NameTaken: "name taken",
}

// String names the kind, as findings render it.
func (k FindingKind) String() string {
	if int(k) < len(findingKindNames) && findingKindNames[k] != "" {
		return findingKindNames[k]
	}
	return fmt.Sprintf("FindingKind(%d)", k)
}

// MarshalText encodes k as its String.
func (k FindingKind) MarshalText() ([]byte, error) {
	return marshalName(findingKindNames[:], int(k), "finding kind")
}

// UnmarshalText decodes a FindingKind's String.
func (k *FindingKind) UnmarshalText(text []byte) error {
	i, err := unmarshalName(findingKindNames[:], text, "finding kind")
	*k = FindingKind(i)
	return err
}

func marshalName(names []string, i int, what string) ([]byte, error) {
	if i <= 0 || i >= len(names) || names[i] == "" {
		return nil, fmt.Errorf("sync: invalid %s %d", what, i)
	}
	return []byte(names[i]), nil
}

func unmarshalName(names []string, text []byte, what string) (int, error) {
	for i, n := range names {
		if n != "" && n == string(text) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("sync: unknown %s %q", what, text)
}

// Finding is something a plan reports rather than does. It is an error whose
// chain holds the matching sentinel ([ErrAmbiguousName], [ErrLinkedElsewhere],
// [ErrNearDuplicate], [origin.ErrReadOnly], [ErrNotFound],
// [ErrTooManyDeletes], [ErrConflict] for NameTaken), for the kinds that have
// one.
type Finding struct {
	// Kind says what the plan found.
	Kind FindingKind
	// SourceID and Name identify the source group; both are empty for
	// TooManyDeletes, which concerns the whole plan.
	SourceID string `json:",omitempty"`
	Name     string `json:",omitempty"`
	// TargetIDs and TargetNames identify the target groups concerned, in the
	// same order.
	TargetIDs   []string `json:",omitempty"`
	TargetNames []string `json:",omitempty"`
	// Members holds the skipped source users of MemberNotProvisioned.
	Members []string `json:",omitempty"`
	// Blocked records that the finding stopped the group's push (a
	// NearDuplicate under [Policy.BlockNearDuplicates]).
	Blocked bool `json:",omitempty"`
	// Count and Limit are the unlinks plus deletes of TooManyDeletes and
	// the policy's limit.
	Count int `json:",omitempty"`
	Limit int `json:",omitempty"`
	// Detail says more, for people.
	Detail string `json:",omitempty"`
}

// Error describes the finding in one line.
func (f Finding) Error() string {
	var b strings.Builder
	if f.Kind != TooManyDeletes {
		fmt.Fprintf(&b, "group %q (source %s): ", f.Name, f.SourceID)
	}
	detail := ""
	if f.Detail != "" {
		detail = " (" + f.Detail + ")"
	}
	switch f.Kind {
	case NearDuplicate:
		fmt.Fprintf(&b, "%s of %s%s", ErrNearDuplicate, targets(f), detail)
		if f.Blocked {
			b.WriteString("; not pushed: the policy blocks near duplicates")
		}
	case ReadOnly:
		// The sentinel ends with the fix, so it comes last.
		fmt.Fprintf(&b, "app group %s%s: %s", targets(f), detail, origin.ErrReadOnly)
	case MemberNotProvisioned:
		fmt.Fprintf(&b, "%s not provisioned on the target, skipped: %s", plural(len(f.Members), "member"), abbreviate(f.Members, 10))
	case TooManyDeletes:
		fmt.Fprintf(&b, "%s: the plan unlinks or deletes %d groups, more than the limit of %d, so none of it is applied", ErrTooManyDeletes, f.Count, f.Limit)
	case Invalid:
		fmt.Fprintf(&b, "invalid source group%s", detail)
	case NameTaken:
		fmt.Fprintf(&b, "not renamed: another group on the target is named %q (%s): rename one of them%s", f.Name, targets(f), detail)
	default:
		what := f.Kind.String()
		if err := f.Unwrap(); err != nil {
			what = err.Error()
		}
		b.WriteString(what)
		if len(f.TargetIDs) > 0 {
			b.WriteString(": " + targets(f))
		}
		b.WriteString(detail)
	}
	return b.String()
}

// Unwrap returns the sentinel error of f's kind, or nil.
func (f Finding) Unwrap() error {
	switch f.Kind {
	case NearDuplicate:
		return ErrNearDuplicate
	case AmbiguousName:
		return ErrAmbiguousName
	case LinkedElsewhere:
		return ErrLinkedElsewhere
	case ReadOnly:
		return origin.ErrReadOnly
	case MissingOnTarget:
		return ErrNotFound
	case TooManyDeletes:
		return ErrTooManyDeletes
	case NameTaken:
		return ErrConflict
	}
	return nil
}

// targets renders the target groups of f as `"Name" (id ID)`, comma
// separated.
func targets(f Finding) string {
	parts := make([]string, len(f.TargetIDs))
	for i, id := range f.TargetIDs {
		if i < len(f.TargetNames) {
			parts[i] = fmt.Sprintf("%q (id %s)", f.TargetNames[i], id)
		} else {
			parts[i] = "id " + id
		}
	}
	return strings.Join(parts, ", ")
}

// abbreviate joins at most n of ids and says how many it left out.
func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}
