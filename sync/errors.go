package sync

import (
	"errors"
	"fmt"
	"time"
)

// The errors of a sync, to test with [errors.Is]. Refusals to change an
// app-created group wrap [origin.ErrReadOnly].
var (
	// ErrNotConnected: the target could not be reached, refused the
	// credentials or does not speak SCIM (R1). Nothing was pushed.
	ErrNotConnected = errors.New("target is not connected")
	// ErrUnavailable: the target stopped answering, or answered only
	// transient errors (429, 5xx) until the retries gave up, or the run's
	// deadline passed (R19). A later push may succeed.
	ErrUnavailable = errors.New("target is unavailable")
	// ErrAmbiguousName: several target groups carry the exact name of an
	// unlinked source group, so it was linked to none (R5).
	ErrAmbiguousName = errors.New("ambiguous group name")
	// ErrLinkedElsewhere: the target group a source group would link to is
	// linked to another source group (R5).
	ErrLinkedElsewhere = errors.New("target group is linked to another source group")
	// ErrNearDuplicate: a target group's name nearly matches, so a push
	// would create a likely duplicate (R6).
	ErrNearDuplicate = errors.New("likely duplicate group")
	// ErrTooManyDeletes: the plan unlinks or deletes more groups than the
	// policy allows, so none of it was applied (R10).
	ErrTooManyDeletes = errors.New("too many deletes")
	// ErrNotLinked: the store holds no link for the source group (or
	// another one than the plan was made with).
	ErrNotLinked = errors.New("source group is not linked")
	// ErrLeaseHeld: another push run holds the store's lease; see
	// [LeaseError].
	ErrLeaseHeld = errors.New("another push run holds the lease")
	// ErrNotFound: the target group does not exist.
	ErrNotFound = errors.New("target group not found")
	// ErrMemberRefused: the target refused a member value (a user it does
	// not know) and applied nothing of the request.
	ErrMemberRefused = errors.New("target refused a member")
	// ErrConflict: the target refused a write because of another group
	// (a name or externalId held by a group linked elsewhere).
	ErrConflict = errors.New("conflict on target")
)

// TargetAnswer is implemented by errors that carry what the target
// answered, such as scimclient's HTTPError. The applier records the status
// and detail in the group's [Status], so that [Diagnose] can show them.
type TargetAnswer interface {
	error
	// AnswerStatus returns the HTTP status of the answer.
	AnswerStatus() int
	// AnswerDetail returns the target's explanation, if it gave one.
	AnswerDetail() string
}

// GroupError records a failure to push one group, like [fs.PathError] does
// for a file.
type GroupError struct {
	Op       string // what was being done: "create", "link", "update", "unlink" or "delete"
	SourceID string // the source group's id
	Name     string // the group's name
	Err      error  // the cause
}

// Error describes the failure with the group's name and source id.
func (e *GroupError) Error() string {
	return fmt.Sprintf("%s group %q (source %s): %v", e.Op, e.Name, e.SourceID, e.Err)
}

// Unwrap returns the cause.
func (e *GroupError) Unwrap() error { return e.Err }

// LeaseError says who holds the lease of a store, and until when.
type LeaseError struct {
	// Owner names the run that holds the lease.
	Owner string
	// Until is when the lease expires unless renewed.
	Until time.Time
}

// Error names the holder and the expiry.
func (e *LeaseError) Error() string {
	return fmt.Sprintf("%v: %s until %s", ErrLeaseHeld, e.Owner, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap returns [ErrLeaseHeld].
func (e *LeaseError) Unwrap() error { return ErrLeaseHeld }
