package scimx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// Errors the handler answers with, beside [ErrNotFound], [group.ErrInvalid]
// and [origin.ErrReadOnly].
var (
	// ErrConflict: the request collides with another group: a POST whose
	// name matches several groups or one linked to another externalId (R5),
	// or a rename to a name another group holds (and, from a
	// [ResourceHandler], with another resource, answered 409).
	ErrConflict = errors.New("conflicts with another group")
	// ErrVersionMismatch: If-Match names another version of the group.
	ErrVersionMismatch = errors.New("group version does not match If-Match")
	// ErrUnknownMembers: the member resolver does not know some member
	// values; see [UnknownMembersError].
	ErrUnknownMembers = errors.New("unknown members")
	// ErrPruned: a read of the change feed after a sequence number older
	// than the oldest kept event less one, whose next events a retention
	// has deleted (R17); see [Directory.Events].
	ErrPruned = errors.New("events were pruned")
)

// UnknownMembersError names the member values a resolver refused.
type UnknownMembersError struct {
	// Members holds the refused values, sorted and without duplicates.
	Members []string
}

// Error names the refused members, at most 20 of them.
func (e *UnknownMembersError) Error() string {
	const show = 20
	if len(e.Members) <= show {
		return fmt.Sprintf("unknown members: %s", strings.Join(e.Members, ", "))
	}
	return fmt.Sprintf("unknown members: %s and %d more", strings.Join(e.Members[:show], ", "), len(e.Members)-show)
}

// Unwrap returns [ErrUnknownMembers].
func (e *UnknownMembersError) Unwrap() error { return ErrUnknownMembers }

// requestError is a refusal of a malformed or forbidden request, with the
// SCIM status and type to answer it with.
type requestError struct {
	status   int
	scimType scimerrors.ScimType
	detail   string
}

func (e *requestError) Error() string { return e.detail }

func badRequest(scimType scimerrors.ScimType, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

// codes maps domain errors to SCIM answers, most specific first. The detail
// of these errors is made for clients; anything not in the table becomes a
// generic 500 without its text.
var codes = []struct {
	err      error
	status   int
	scimType scimerrors.ScimType
}{
	{ErrNotFound, http.StatusNotFound, ""},
	{origin.ErrReadOnly, http.StatusBadRequest, scimerrors.ScimTypeMutability},
	{ErrConflict, http.StatusConflict, scimerrors.ScimTypeUniqueness},
	{ErrVersionMismatch, http.StatusPreconditionFailed, ""},
	{ErrUnknownMembers, http.StatusBadRequest, scimerrors.ScimTypeInvalidValue},
	{group.ErrInvalid, http.StatusBadRequest, scimerrors.ScimTypeInvalidValue},
	{ErrInvalidValue, http.StatusBadRequest, scimerrors.ScimTypeInvalidValue},
	{ErrInvalidPath, http.StatusBadRequest, scimerrors.ScimTypeInvalidPath},
	{ErrInvalidFilter, http.StatusBadRequest, scimerrors.ScimTypeInvalidFilter},
}

// maxDetail bounds the detail of an error answer: the details of domain
// errors quote names and values, which a client sent and need not get back
// at length.
const maxDetail = 2048

// toSCIM turns err into the SCIM error value the server answers with. A
// request whose context ended (its client gone, or its time up) is a 503,
// which clients retry; nothing it did applies.
func toSCIM(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var re *requestError
	if errors.As(err, &re) {
		return scimerrors.ScimError{Status: re.status, ScimType: re.scimType, Detail: clip(re.detail)}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return scimerrors.ScimError{Status: c.status, ScimType: c.scimType, Detail: clip(err.Error())}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if log != nil {
			log.WarnContext(ctx, "scim request ran out of time", slog.Any("error", err))
		}
		noteOutOfTime(ctx) // fixResponses answers 503
		return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "out of time"}
	}
	if log != nil {
		log.ErrorContext(ctx, "scim request failed", slog.Any("error", err))
	}
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
}

// clip cuts a detail to maxDetail bytes, at a character boundary.
func clip(detail string) string {
	if len(detail) <= maxDetail {
		return detail
	}
	cut := maxDetail
	for cut > 0 && !utf8.RuneStart(detail[cut]) {
		cut--
	}
	return detail[:cut] + "…"
}
