package sync

import "fmt"

// Policy is how a source pushes groups. The zero Policy is the default: 100
// member values per request, leave unlinked groups on the target, refuse
// plans with more than 10 unlinks and deletes, flag near duplicates without
// blocking them.
//
// There is no type field: the target assigns group types (R3).
type Policy struct {
	// MaxMembersPerRequest caps the member values one request carries,
	// summed over its operations (R8). Zero means 100, the Okta and AWS
	// limit.
	MaxMembersPerRequest int
	// Unlink is what happens to the target group when a linked source group
	// leaves the push (R10). The zero value is [Leave].
	Unlink UnlinkAction
	// MaxDeletes caps the unlinks plus deletes of one plan (R10). Zero means
	// 10; a negative value means no limit.
	MaxDeletes int
	// BlockNearDuplicates stops the push of a group whose name nearly
	// matches a target group's (R6) instead of only flagging it.
	BlockNearDuplicates bool
}

// UnlinkAction is what a sync does to the target group of a source group that
// left the push.
type UnlinkAction uint8

const (
	// Leave keeps the target group and drops the link.
	Leave UnlinkAction = iota
	// Delete deletes the target group, unless the app created it: then it
	// is only unlinked.
	Delete
)

// String returns "leave" or "delete".
func (a UnlinkAction) String() string {
	switch a {
	case Leave:
		return "leave"
	case Delete:
		return "delete"
	}
	return fmt.Sprintf("UnlinkAction(%d)", a)
}

const (
	defaultMaxMembersPerRequest = 100
	defaultMaxDeletes           = 10
)

// maxMembers returns the effective MaxMembersPerRequest.
func (p Policy) maxMembers() int {
	if p.MaxMembersPerRequest <= 0 {
		return defaultMaxMembersPerRequest
	}
	return p.MaxMembersPerRequest
}

// maxDeletes returns the effective MaxDeletes, or -1 for no limit.
func (p Policy) maxDeletes() int {
	switch {
	case p.MaxDeletes == 0:
		return defaultMaxDeletes
	case p.MaxDeletes < 0:
		return -1
	}
	return p.MaxDeletes
}
