package scimx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// DefaultType is the group type new pushed groups get unless
// [ServerOptions.DefaultType] says otherwise.
const DefaultType = "Groups"

// Event describes one committed change of a group, as
// [ServerOptions.OnChange] and [Directory.OnChange] receive it, after the
// commit and best effort. The durable record of the same change is its
// [FeedEvent] in the tenant's change feed (R17).
type Event struct {
	// Tenant is the tenant of the request's credentials (or of the
	// Directory call).
	Tenant string
	// Group is the group after the change (before it, for a delete),
	// without members.
	Group group.Group
	// Created and Deleted mark a new and a deleted group.
	Created, Deleted bool
	// Added and Removed hold the member values that joined and left,
	// sorted.
	Added, Removed []string
	// OldName is the name before a rename, or "".
	OldName string
}

// commit is what a write transaction did: the event for OnChange, the
// group's version after it (its ETag), whether anything changed, and, for
// the change feed, the kind of change (the name before a rename is the
// Event's OldName).
type commit struct {
	Event
	version int64
	changed bool
	kind    Kind
}

// feedEvent is the change feed's event for c, by actor.
func (c commit) feedEvent(actor Actor) FeedEvent {
	version := c.version
	if c.Deleted {
		version++
	}
	return FeedEvent{Group: c.Group.ID, Name: c.Group.Name, OldName: c.OldName, ExternalID: c.Group.ExternalID,
		Type: c.Group.Type, Kind: c.kind, Added: c.Added, Removed: c.Removed, Actor: actor, Version: version}
}

// appendEvent appends the feed event of c to tx's tenant's feed, when c
// changed anything.
func appendEvent(tx Tx, c commit, actor Actor) error {
	if !c.changed {
		return nil
	}
	_, err := tx.Append(c.feedEvent(actor))
	return err
}

// handler is the SCIM Groups resource: a [scim.ResourceHandler] that enforces
// the push rules on a [Store]. Every request is scoped to the tenant that
// [Authenticate] put in its context (R16); a request without one is refused.
type handler struct {
	store Store
	opts  ServerOptions
}

var _ scim.ResourceHandler = (*handler)(nil)

// newHandler returns the Groups handler over store.
func newHandler(store Store, opts ServerOptions) *handler {
	if opts.DefaultType == "" {
		opts.DefaultType = DefaultType
	}
	return &handler{store: store, opts: opts}
}

// resourceType returns the Groups resource type to give a scim.Server: the
// core Group schema, with displayName case-exact, and the extension that
// exposes groupType and origin.
func (h *handler) resourceType() scim.ResourceType {
	return scim.ResourceType{
		ID:               optional.NewString("Group"),
		Name:             "Group",
		Description:      optional.NewString("Group"),
		Endpoint:         "/Groups",
		Schema:           groupSchema(),
		SchemaExtensions: []scim.SchemaExtension{{Schema: extensionSchema()}},
		Handler:          h,
	}
}

// Create implements POST /Groups. A POST whose displayName is exactly the
// name of one group associates with it (R5): it sets the externalId, when
// given, replaces the members with the POST's, and answers 201 with that
// group. Several groups of that name, or one linked to another externalId
// (also when the POST has none), answer 409. Otherwise it creates a pushed group of the default type.
func (h *handler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	var res scim.Resource
	err := h.write(r, func(tenant string, tx Tx) (commit, error) {
		name, err := nameOf(attrs)
		if err != nil {
			return commit{}, err
		}
		ext, _ := attrs["externalId"].(string)
		if err := checkValue("externalId", ext); err != nil {
			return commit{}, err
		}
		members, err := membersOf(attrs["members"])
		if err != nil {
			return commit{}, err
		}
		if err := h.resolve(r.Context(), tenant, tx, members); err != nil {
			return commit{}, err
		}
		same, err := tx.Lookup(DisplayName, name)
		if err != nil {
			return commit{}, err
		}
		var e commit
		switch {
		case len(same) > 1:
			return commit{}, fmt.Errorf("%d groups are named %q: %w", len(same), name, ErrConflict)
		case len(same) == 1:
			g := same[0]
			if g.ExternalID != "" && g.ExternalID != ext {
				return commit{}, fmt.Errorf("group %q is linked to externalId %q: %w", name, g.ExternalID, ErrConflict)
			}
			c := Change{}
			if ext != "" && ext != g.ExternalID {
				c.ExternalID = &ext
			}
			if c.Remove, c.Add, err = replaceMembers(tx, g.ID, members); err != nil {
				return commit{}, err
			}
			if c.ExternalID == nil && len(c.Remove) == 0 && len(c.Add) == 0 {
				// Associated already, as the POST asks (a retry, R14):
				// nothing changes, no new version, no event.
				e = commit{Event: Event{Group: g.Group}, version: g.Version}
				break
			}
			rec, err := tx.Change(g.ID, c)
			if err != nil {
				return commit{}, err
			}
			e = commit{Event: Event{Group: rec.Group, Added: c.Add, Removed: c.Remove}, version: rec.Version, changed: true, kind: Associated}
		default:
			rec, err := tx.Create(group.Group{ExternalID: ext, Name: name,
				Members: group.NewMembers(members...), Origin: origin.Source, Type: h.opts.DefaultType})
			if err != nil {
				return commit{}, err
			}
			e = commit{Event: Event{Group: rec.Group, Created: true, Added: rec.Members.Slice()}, version: rec.Version, changed: true, kind: Created}
		}
		res, err = h.resource(r, tx, e.Group.ID)
		return e, err
	})
	return res, err
}

// Get implements GET /Groups/{id}. It reads members only when the response
// carries them.
func (h *handler) Get(r *http.Request, id string) (scim.Resource, error) {
	var res scim.Resource
	err := h.read(r, func(_ string, tx Tx) (err error) {
		res, err = h.resource(r, tx, id)
		return err
	})
	return res, err
}

// GetAll implements GET /Groups: it filters on the parsed filter, using the
// displayName and externalId indexes for equality, and pages in id order.
func (h *handler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	page := scim.Page{Resources: []scim.Resource{}}
	err := h.read(r, func(_ string, tx Tx) error {
		var expr = filterOf(params)
		recs, indexed, err := candidates(tx, expr)
		if err != nil {
			return err
		}
		if !indexed {
			if recs, err = tx.Groups(); err != nil {
				return err
			}
		}
		ctx := r.Context()
		matched := recs[:0]
		for _, rec := range recs {
			if err := ctx.Err(); err != nil {
				return err // the client is gone, or the request's time is up
			}
			ok := true
			if expr != nil {
				if ok, err = matches(expr, &subject{tx: tx, rec: rec}); err != nil {
					return err
				}
			}
			if ok {
				matched = append(matched, rec)
			}
		}
		page.TotalResults = len(matched)
		start := min(max(params.StartIndex, 1)-1, len(matched))
		end := min(start+max(params.Count, 0), len(matched))
		p := newProjection(r.URL.Query())
		for _, rec := range matched[start:end] {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := h.render(tx, p, rec)
			if err != nil {
				return err
			}
			page.Resources = append(page.Resources, res)
		}
		noteList(r.Context(), end-start)
		return nil
	})
	return page, err
}

// Replace implements PUT /Groups/{id}. Only externalId, displayName and
// members are taken (R2); an absent members is the empty set, an absent
// externalId keeps the stored one, and the group's type and origin stay
// (R4).
func (h *handler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	var res scim.Resource
	err := h.write(r, func(tenant string, tx Tx) (commit, error) {
		rec, err := h.current(r, tx, id)
		if err != nil {
			return commit{}, err
		}
		name, err := nameOf(attrs)
		if err != nil {
			return commit{}, err
		}
		members, err := membersOf(attrs["members"])
		if err != nil {
			return commit{}, err
		}
		c := Change{}
		if err := h.rename(tx, rec, name, &c); err != nil {
			return commit{}, err
		}
		if ext, ok := attrs["externalId"].(string); ok && ext != rec.ExternalID {
			if err := checkValue("externalId", ext); err != nil {
				return commit{}, err
			}
			c.ExternalID = &ext
		}
		if c.Remove, c.Add, err = replaceMembers(tx, id, members); err != nil {
			return commit{}, err
		}
		e, err := h.save(r.Context(), tenant, tx, rec, c)
		if err != nil {
			return commit{}, err
		}
		res, err = h.resource(r, tx, id)
		return e, err
	})
	return res, err
}

// Delete implements DELETE /Groups/{id}. An app-created group is refused
// with 400 mutability (R7).
func (h *handler) Delete(r *http.Request, id string) error {
	return h.write(r, func(_ string, tx Tx) (commit, error) {
		rec, err := h.current(r, tx, id)
		if err != nil {
			return commit{}, err
		}
		if !origin.CanDelete(rec.Origin, origin.LinkedOnTarget(rec.Origin, rec.ExternalID)) {
			return commit{}, readOnly(rec, "deleted")
		}
		full, err := tx.Group(id, true)
		if err != nil {
			return commit{}, err
		}
		if err := tx.Delete(id); err != nil {
			return commit{}, err
		}
		return commit{Event: Event{Group: rec.Group, Deleted: true, Removed: full.Members.Slice()},
			version: rec.Version, changed: true, kind: Deleted}, nil
	})
}

// Patch implements PATCH /Groups/{id}: every operation applies, or none
// does. It answers 204 with an ETag, or 200 with the group when the request
// names attributes.
func (h *handler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	var res scim.Resource
	err := h.write(r, func(tenant string, tx Tx) (commit, error) {
		rec, err := h.current(r, tx, id)
		if err != nil {
			return commit{}, err
		}
		p := &patcher{tx: tx, rec: rec}
		for _, op := range ops {
			if err := r.Context().Err(); err != nil {
				return commit{}, err
			}
			if err := p.apply(op); err != nil {
				return commit{}, err
			}
		}
		c, err := p.change()
		if err != nil {
			return commit{}, err
		}
		if err := h.rename(tx, rec, p.name, &c); err != nil {
			return commit{}, err
		}
		e, err := h.save(r.Context(), tenant, tx, rec, c)
		if err != nil {
			return commit{}, err
		}
		if newProjection(r.URL.Query()).requested() {
			res, err = h.resource(r, tx, id)
			return e, err
		}
		res = scim.Resource{ID: id, Attributes: scim.ResourceAttributes{}}
		noteETag(r.Context(), etag(e.version))
		return e, nil
	})
	return res, err
}

// save refuses the members c adds that the tenant does not know, then
// writes c.
func (h *handler) save(ctx context.Context, tenant string, tx Tx, rec Record, c Change) (commit, error) {
	if err := h.resolve(ctx, tenant, tx, c.Add); err != nil {
		return commit{}, err
	}
	return h.apply(tx, rec, c)
}

// apply writes c unless it changes nothing, and returns the event.
func (h *handler) apply(tx Tx, rec Record, c Change) (commit, error) {
	if c.Name == nil && c.ExternalID == nil && len(c.Remove) == 0 && len(c.Add) == 0 {
		return commit{Event: Event{Group: rec.Group}, version: rec.Version}, nil // nothing to do (R14)
	}
	after, err := tx.Change(rec.ID, c)
	if err != nil {
		return commit{}, err
	}
	e := commit{Event: Event{Group: after.Group, Added: c.Add, Removed: c.Remove}, version: after.Version, changed: true}
	e.kind, e.OldName = changeKind(rec, c)
	return e, nil
}

// changeKind is the feed's kind of c, a change of rec, and the old name
// when c renames it: the first that applies in R17's order. A type change
// outranks a member change: the event's Added and Removed carry the
// members either way, and nothing else would tell that the type changed.
func changeKind(rec Record, c Change) (Kind, string) {
	switch {
	case c.Name != nil && *c.Name != rec.Name:
		return Renamed, rec.Name
	case c.ExternalID != nil && *c.ExternalID != rec.ExternalID:
		return ExternalIDChanged, ""
	case c.Type != nil && *c.Type != rec.Type:
		return TypeChanged, ""
	}
	return MembersChanged, ""
}

// rename records in c a change of rec's name to name, refusing what R7
// forbids and names another group holds.
func (h *handler) rename(tx Tx, rec Record, name string, c *Change) error {
	if name == rec.Name {
		return nil
	}
	if err := validName(name); err != nil {
		return err
	}
	if !origin.CanRename(rec.Origin, origin.LinkedOnTarget(rec.Origin, rec.ExternalID)) {
		return readOnly(rec, "renamed")
	}
	same, err := tx.Lookup(DisplayName, name)
	if err != nil {
		return err
	}
	if len(same) > 0 {
		return fmt.Errorf("group %s is named %q already: %w", same[0].ID, name, ErrConflict)
	}
	c.Name = &name
	return nil
}

func readOnly(rec Record, what string) error {
	return fmt.Errorf("group %q cannot be %s over SCIM: %w", rec.Name, what, origin.ErrReadOnly)
}

// current reads the group of id and checks If-Match.
func (h *handler) current(r *http.Request, tx Tx, id string) (Record, error) {
	rec, err := tx.Group(id, false)
	if err != nil {
		return Record{}, notFound(id, err)
	}
	if im := r.Header.Get("If-Match"); im != "" && !etagMatches(im, rec.Version) {
		return Record{}, fmt.Errorf("group %s is at version %s: %w", id, etag(rec.Version), ErrVersionMismatch)
	}
	return rec, nil
}

// resolve refuses member values the tenant does not know.
func (h *handler) resolve(ctx context.Context, tenant string, tx Tx, ids []string) error {
	return resolveMembers(ctx, tx, tenant, h.opts.Members, ids)
}

// resolveMembers refuses, when unknown is set, the values of ids that are
// neither groups of the tenant (members that are groups need no resolver)
// nor values unknown accepts, with an [*UnknownMembersError]. Its cost
// grows with ids, not with ids times the groups among them.
func resolveMembers(ctx context.Context, tx Tx, tenant string, resolver func(ctx context.Context, tenant string, ids []string) ([]string, error), ids []string) error {
	if resolver == nil || len(ids) == 0 {
		return nil
	}
	groups, err := tx.GroupIDs(ids)
	if err != nil {
		return err
	}
	users := ids
	if len(groups) > 0 {
		isGroup := make(map[string]bool, len(groups))
		for _, g := range groups {
			isGroup[g] = true
		}
		users = make([]string, 0, len(ids)-len(groups))
		for _, id := range ids {
			if !isGroup[id] {
				users = append(users, id)
			}
		}
	}
	if len(users) == 0 {
		return nil
	}
	unknown, err := resolver(ctx, tenant, users)
	if err != nil {
		return fmt.Errorf("resolve members: %w", err)
	}
	if len(unknown) > 0 {
		unknown = slices.Clone(unknown)
		slices.Sort(unknown)
		return &UnknownMembersError{Members: slices.Compact(unknown)}
	}
	return nil
}

// read runs f in a read-only transaction of the request's tenant.
func (h *handler) read(r *http.Request, f func(tenant string, tx Tx) error) error {
	tenant, ok := TenantFrom(r.Context())
	if !ok {
		return toSCIM(r.Context(), h.opts.Logger, errNoTenant)
	}
	err := h.store.View(r.Context(), tenant, func(tx Tx) error { return f(tenant, tx) })
	return toSCIM(r.Context(), h.opts.Logger, err)
}

// write runs f in a transaction of the request's tenant, appends the
// change's event to the tenant's feed in the same transaction (R17) and,
// once it has committed, tells OnChange.
func (h *handler) write(r *http.Request, f func(tenant string, tx Tx) (commit, error)) error {
	tenant, ok := TenantFrom(r.Context())
	if !ok {
		return toSCIM(r.Context(), h.opts.Logger, errNoTenant)
	}
	var e commit
	err := h.store.Update(r.Context(), tenant, func(tx Tx) (err error) {
		if e, err = f(tenant, tx); err != nil {
			return err
		}
		return appendEvent(tx, e, BySource)
	})
	if err != nil {
		return toSCIM(r.Context(), h.opts.Logger, err)
	}
	if e.changed {
		e.Tenant = tenant
		notify(r.Context(), h.opts.Logger, h.opts.OnChange, e.Event)
	}
	return nil
}

// notify calls onChange, when set, with e, after a commit. A panic in it
// is logged and goes no further: the change is saved, and the request's
// answer says so.
func notify(ctx context.Context, log *slog.Logger, onChange func(context.Context, Event), e Event) {
	if onChange == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil && log != nil {
			log.ErrorContext(ctx, "scimx: OnChange panicked after the change was saved",
				slog.String("tenant", e.Tenant), slog.String("group", e.Group.ID), slog.Any("panic", p))
		}
	}()
	onChange(ctx, e)
}

var errNoTenant = errors.New("scimx: request has no tenant: wrap the handler with Authenticate")

// resource reads the group of id and renders it as the request asks.
func (h *handler) resource(r *http.Request, tx Tx, id string) (scim.Resource, error) {
	rec, err := tx.Group(id, false)
	if err != nil {
		return scim.Resource{}, notFound(id, err)
	}
	return h.render(tx, newProjection(r.URL.Query()), rec)
}

// notFound turns the store's error for an unknown id into a 404 whose
// detail names at most a short prefix of the id: an answer never echoes
// much of what it was sent. Other errors pass through.
func notFound(id string, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	return &requestError{status: http.StatusNotFound, detail: "no group has the id " + shortQuote(id)}
}

// render turns rec into a SCIM resource with the attributes the projection
// p keeps, reading members only when they are kept.
func (h *handler) render(tx Tx, p projection, rec Record) (scim.Resource, error) {
	attrs := scim.ResourceAttributes{}
	if p.has("displayname") {
		attrs["displayName"] = rec.Name
	}
	if p.has("members") {
		full, err := tx.Group(rec.ID, true)
		if err != nil {
			return scim.Resource{}, err
		}
		ids := full.Members.Slice()
		groups, err := tx.GroupIDs(ids)
		if err != nil {
			return scim.Resource{}, err
		}
		isGroup := make(map[string]bool, len(groups))
		for _, g := range groups {
			isGroup[g] = true
		}
		members := make([]any, len(ids))
		for i, m := range ids {
			typ := "User"
			if isGroup[m] {
				typ = "Group"
			}
			members[i] = map[string]any{"value": m, "type": typ}
		}
		attrs["members"] = members
	}
	ext := map[string]any{}
	extKey := strings.ToLower(ExtensionSchema) + ":"
	if p.has(extKey + "grouptype") {
		ext["groupType"] = rec.Type
	}
	if p.has(extKey + "origin") {
		ext["origin"] = rec.Origin.String()
	}
	if len(ext) > 0 {
		attrs[ExtensionSchema] = ext
	}
	res := scim.Resource{ID: rec.ID, Attributes: attrs, Meta: scim.Meta{
		Created: &rec.Created, LastModified: &rec.Modified, Version: etag(rec.Version)}}
	if rec.ExternalID != "" && p.has("externalid") {
		res.ExternalID = optional.NewString(rec.ExternalID)
	}
	return res, nil
}

// replaceMembers returns the removals and additions that turn the members of
// group id into want.
func replaceMembers(tx Tx, id string, want []string) (remove, add []string, err error) {
	cur, err := tx.Group(id, true)
	if err != nil {
		return nil, nil, err
	}
	add, remove = cur.Members.Diff(group.NewMembers(want...))
	return remove, add, nil
}

// nameOf returns the displayName of a POST or PUT body, validated.
func nameOf(attrs scim.ResourceAttributes) (string, error) {
	name, _ := attrs["displayName"].(string)
	return name, validName(name)
}

// maxValue bounds names, externalIds and member values, well within what
// every store indexes.
const maxValue = 1024

// validName checks a displayName: a valid group name of at most maxValue
// bytes.
func validName(name string) error {
	if err := group.ValidateName(name); err != nil {
		return err
	}
	return checkValue("displayName", name)
}

// checkValue refuses a value of more than maxValue bytes or with control
// characters.
func checkValue(what, v string) error {
	if len(v) > maxValue {
		return badRequest(scimerrors.ScimTypeInvalidValue, "%s is longer than %d bytes", what, maxValue)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 || !utf8.ValidString(v) {
		return badRequest(scimerrors.ScimTypeInvalidValue, "%s %q holds a control character or invalid UTF-8", what, v)
	}
	return nil
}

// membersOf returns the member values of a members attribute: a list of
// member objects, or one object. An absent or null one is the empty set.
func membersOf(v any) ([]string, error) {
	var list []any
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		list = v
	case map[string]any:
		list = []any{v}
	default:
		return nil, badRequest(scimerrors.ScimTypeInvalidValue, "members must be a list of member objects")
	}
	out := make([]string, 0, len(list))
	for i, m := range list {
		obj, ok := m.(map[string]any)
		if !ok {
			return nil, badRequest(scimerrors.ScimTypeInvalidValue, "member %d is not an object", i)
		}
		var value any
		for k, v := range obj {
			if strings.EqualFold(k, "value") {
				value = v
			}
		}
		s, ok := value.(string)
		if !ok || s == "" {
			return nil, badRequest(scimerrors.ScimTypeInvalidValue, "member %d has no value", i)
		}
		if err := checkValue("member value", s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// filterOf returns the parsed filter of a list request, or nil.
func filterOf(params scim.ListRequestParams) filter.Expression {
	if params.FilterValidator == nil {
		return nil
	}
	return params.FilterValidator.GetFilter()
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// etagMatches reports whether an If-Match header names version: "*" or a
// list of entity tags, compared weakly.
func etagMatches(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
