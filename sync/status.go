package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/groupsync/groupsync/origin"
)

// Outcome is how a push attempt ended for one group. The names complete the
// sentence "group Leadership was …".
type Outcome uint8

// The outcomes.
const (
	// Unchanged: the group was already as desired ("left unchanged").
	Unchanged Outcome = iota + 1
	// Created: the push created the target group.
	Created
	// Linked: the push linked the group to an existing target group.
	Linked
	// Updated: the push renamed the group or changed its members.
	Updated
	// Unlinked: the group left the push; its target group stays.
	Unlinked
	// Deleted: the group left the push and its target group was deleted.
	Deleted
	// Blocked: a finding stopped the push of the group (Error says which).
	Blocked
	// Failed: a request failed (Error says why).
	Failed
	// NotAttempted: the run stopped before it reached the group, because
	// the target became unavailable or the run's deadline passed (R19);
	// Error says which. Its changes stay pending for the next run.
	NotAttempted
)

var outcomeNames = [...]string{
	Unchanged: "left unchanged", Created: "created", Linked: "linked", Updated: "updated",
	Unlinked: "unlinked", Deleted: "deleted", Blocked: "blocked", Failed: "failed",
	NotAttempted: "not attempted",
}

// String completes "group X was …".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// MarshalText encodes o as its String.
func (o Outcome) MarshalText() ([]byte, error) {
	return marshalName(outcomeNames[:], int(o), "outcome")
}

// UnmarshalText decodes an Outcome's String.
func (o *Outcome) UnmarshalText(text []byte) error {
	i, err := unmarshalName(outcomeNames[:], text, "outcome")
	*o = Outcome(i)
	return err
}

// Cause says why a push attempt failed or did not happen, so that
// [Diagnose] can give a fix that fits: whether pushing again can mend it.
type Cause uint8

// The causes.
const (
	// CauseUnavailable: the target did not answer, or answered only
	// transient errors (429, 5xx) until the retries gave up, or the run
	// stopped before the group (R19). Pushing again once the target
	// answers can succeed.
	CauseUnavailable Cause = iota + 1
	// CauseNameTaken: the target refused the write because another group holds
	// the name (or the externalId) it asked for (409). Pushing again gives
	// the same answer until one of the groups is renamed.
	CauseNameTaken
	// CauseRefused: the target refused the request for another reason (a
	// 4xx other than 409 and 429, such as refused credentials or a
	// read-only group). Pushing the same again gives the same answer.
	CauseRefused
	// CauseInternal: anything else, such as the source's store failing.
	CauseInternal
)

var causeNames = [...]string{
	CauseUnavailable: "unavailable", CauseNameTaken: "name taken", CauseRefused: "refused", CauseInternal: "internal",
}

// String names the cause.
func (c Cause) String() string {
	if int(c) < len(causeNames) && causeNames[c] != "" {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", c)
}

// MarshalText encodes c as its String.
func (c Cause) MarshalText() ([]byte, error) {
	return marshalName(causeNames[:], int(c), "cause")
}

// UnmarshalText decodes a Cause's String.
func (c *Cause) UnmarshalText(text []byte) error {
	i, err := unmarshalName(causeNames[:], text, "cause")
	*c = Cause(i)
	return err
}

// causeOf classifies err, a group's failure.
func causeOf(err error) Cause {
	var ans TargetAnswer
	answered := errors.As(err, &ans)
	status := 0
	if answered {
		status = ans.AnswerStatus()
	}
	switch {
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CauseUnavailable
	case status == 409, errors.Is(err, ErrConflict), errors.Is(err, ErrAmbiguousName),
		errors.Is(err, ErrNearDuplicate), errors.Is(err, ErrLinkedElsewhere):
		return CauseNameTaken
	case status == 429, status >= 500:
		return CauseUnavailable
	case answered, errors.Is(err, origin.ErrReadOnly), errors.Is(err, ErrNotFound), errors.Is(err, ErrMemberRefused):
		return CauseRefused
	case errors.Is(err, ErrNotConnected):
		return CauseUnavailable
	}
	return CauseInternal
}

// Status is what the last push attempt did to one group (R12).
type Status struct {
	// SourceID, TargetID and Name identify the group; TargetID is empty
	// until the group has a target group.
	SourceID string
	TargetID string `json:",omitempty"`
	Name     string
	// LastAttempt is when the last attempt was made, and Forced whether it
	// was a force sync.
	LastAttempt time.Time
	Forced      bool `json:",omitempty"`
	Outcome     Outcome
	// Error says why the last attempt failed or was blocked.
	Error string `json:",omitempty"`
	// Cause classifies the failure of a Failed or NotAttempted group; zero
	// otherwise, and in statuses recorded before it existed.
	Cause Cause `json:",omitempty"`
	// TargetStatus and TargetDetail are the target's answer that failed
	// the group (its HTTP status and its explanation), when the target
	// answered; see [TargetAnswer].
	TargetStatus int    `json:",omitempty"`
	TargetDetail string `json:",omitempty"`
	// Refused holds the member values the target refused in the last
	// attempt; they were skipped and the group went on (R8).
	Refused []string `json:",omitempty"`
	// Skipped holds the source users that have no target user, which the
	// last attempt left out of the group (R8).
	Skipped []string `json:",omitempty"`
	// LastSuccess is when an attempt last brought the group to its desired
	// state; zero if none has.
	LastSuccess time.Time
	// PendingSince is when the source first asked for changes that are not
	// on the target yet; zero when none are pending.
	PendingSince time.Time
}

// outcome returns what applying gp, successfully, makes of the group.
func (gp GroupPlan) outcome() Outcome {
	if len(gp.Ops) == 0 {
		return Unchanged
	}
	switch gp.Ops[0].Kind {
	case OpCreate:
		return Created
	case OpLink:
		return Linked
	case OpUnlink:
		return Unlinked
	case OpDelete:
		return Deleted
	}
	return Updated
}
