package scimx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// The schemas a [ResourceType] may name.
const (
	// UserSchema is the URN of the core User schema of RFC 7643.
	UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
	// EnterpriseUserSchema is the URN of RFC 7643's enterprise User
	// extension (employeeNumber, department, manager, …), which Entra ID
	// sends.
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// ResourceType is one of the app's own SCIM resource types, such as Users,
// that [NewServer] serves beside Groups, behind the same authentication,
// tenancy, limits and request checks (R18). The library does not
// provision it: its Handler, the app's code, keeps the resources.
type ResourceType struct {
	// Name names the type in /ResourceTypes and in meta.resourceType,
	// such as "User".
	Name string
	// Endpoint is its path under the SCIM base, such as "/Users".
	Endpoint string
	// Schema is the URN of its core schema, which the SCIM library checks
	// bodies against: [UserSchema].
	Schema string
	// Extensions are URNs of schema extensions it accepts beside the core
	// schema, none required: [EnterpriseUserSchema].
	Extensions []string
	// Handler keeps the resources.
	Handler ResourceHandler
}

// ResourceHandler keeps the resources of a [ResourceType]. Each call is
// scoped to the tenant of the request's credentials (R16) and gets the
// request's context, which ends when the client goes or the request's time
// is up.
//
// Attributes arrive checked against the schema and in its spelling, with
// read-only ones and id, meta and schemas dropped; externalId is one of
// them. A returned error wrapping [ErrNotFound] answers 404, [ErrConflict]
// 409 uniqueness, [ErrVersionMismatch] 412, [ErrInvalidValue] 400
// invalidValue, [ErrInvalidPath] 400 invalidPath and [ErrInvalidFilter] 400
// invalidFilter, each with the error's text as its detail; any other error
// is a 500 without its text, logged.
//
// /ServiceProviderConfig advertises ETags: a handler that returns a
// positive [Resource.Version] honours If-Match on Replace, Patch and
// Delete by calling [CheckIfMatch] with the resource's current version in
// the transaction that writes it, and returning its error, a 412, before
// it changes anything. The library cannot check it for the handler
// without a race: only the handler's transaction knows the version it
// writes over.
type ResourceHandler interface {
	// Create stores a new resource (POST).
	Create(ctx context.Context, tenant string, attrs map[string]any) (Resource, error)
	// Get returns the resource of that id (GET /{id}).
	Get(ctx context.Context, tenant, id string) (Resource, error)
	// List returns the page q asks for (GET, and the filtered reads of
	// Okta and Entra ID).
	List(ctx context.Context, tenant string, q ListQuery) (ResourcePage, error)
	// Replace replaces the resource of that id with attrs (PUT), if
	// [CheckIfMatch] allows its current version.
	Replace(ctx context.Context, tenant, id string, attrs map[string]any) (Resource, error)
	// Patch applies ops to the resource of that id, all or none (PATCH),
	// if [CheckIfMatch] allows its current version.
	Patch(ctx context.Context, tenant, id string, ops []PatchOp) (Resource, error)
	// Delete deletes the resource of that id (DELETE), if [CheckIfMatch]
	// allows its current version.
	Delete(ctx context.Context, tenant, id string) error
}

// Resource is one resource as a [ResourceHandler] returns it.
type Resource struct {
	// ID is the resource's id, and ExternalID its externalId or "".
	ID, ExternalID string
	// Attributes are the other attributes, in the schema's spelling.
	Attributes map[string]any
	// Version, when positive, is the resource's ETag, W/"<Version>".
	Version int64
	// Created and Modified are meta.created and meta.lastModified; zero
	// ones are left out.
	Created, Modified time.Time
}

// ListQuery is what a list request asks for.
type ListQuery struct {
	// Filter holds the comparisons every listed resource must pass; empty,
	// it passes every resource. A filter other than equality comparisons
	// joined by and is refused with 400 invalidFilter before the handler
	// is asked.
	Filter []Equal
	// StartIndex is the 1-based index of the page's first resource among
	// all that pass the filter, in an order that does not change between
	// pages; Count is the page's size, at most 1,000 (0 asks for the total
	// only).
	StartIndex, Count int
}

// Equal is one comparison of a [ListQuery]'s filter: the attribute equals
// the value. Attr is in the schema's spelling, such as "userName",
// "externalId", "id", "name.familyName", "emails.value" or, for an
// extension, "urn:…:enterprise:2.0:User:employeeNumber"; Value is a
// string, a bool, a float64 or nil, as the filter wrote it. By RFC 7643,
// userName compares without regard to case, id and externalId byte for
// byte.
type Equal struct {
	// Attr names the attribute and Value the value it must equal.
	Attr  string
	Value any
}

// ResourcePage is one page of a list.
type ResourcePage struct {
	// Total counts every resource that passes the filter, and Resources
	// holds the page's.
	Total     int
	Resources []Resource
}

// PatchOp is one operation of a PATCH, checked against the schema.
type PatchOp struct {
	// Op is "add", "remove" or "replace", in lower case whatever the
	// client sent.
	Op string
	// Path is the operation's path in the schema's spelling, as a
	// [ListQuery]'s attributes are: attribute names in the schema's letter
	// case, without the core schema's URN (a client's
	// "urn:ietf:params:scim:schemas:core:2.0:User:active" arrives as
	// "active", "NAME.givenname" as "name.givenName"), an extension's
	// attributes with their URN ("urn:…:enterprise:2.0:User:department"),
	// and a filter as the client wrote it (`emails[type eq "work"].value`).
	// It is "" for a path-less operation, whose Value is a map of
	// attributes.
	Path string
	// Value is the operation's value, decoded JSON.
	Value any
}

// Errors a [ResourceHandler] may return, beside [ErrNotFound],
// [ErrConflict] and [ErrVersionMismatch].
var (
	// ErrInvalidValue: an attribute's value is not acceptable (400
	// invalidValue).
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidPath: a PATCH path the handler does not support (400
	// invalidPath).
	ErrInvalidPath = errors.New("invalid path")
	// ErrInvalidFilter: a filter the handler does not support (400
	// invalidFilter).
	ErrInvalidFilter = errors.New("invalid filter")
)

// ifMatchKey is the context key of a request's If-Match header.
type ifMatchKey struct{}

// CheckIfMatch checks the If-Match header of the request whose context ctx
// is, as a [ResourceHandler]'s Replace, Patch and Delete get it, against
// version, the resource's current version (its ETag W/"<version>"). It
// returns nil when the request has no If-Match, or one that names version
// (a weak or strong tag, one of a list, or *), and otherwise an error
// wrapping [ErrVersionMismatch], answered 412 with the current ETag in its
// detail. Call it in the transaction that writes, before writing.
func CheckIfMatch(ctx context.Context, version int64) error {
	header, _ := ctx.Value(ifMatchKey{}).(string)
	if header == "" || etagMatches(header, version) {
		return nil
	}
	return versionError{version}
}

// versionError is CheckIfMatch's refusal.
type versionError struct{ version int64 }

func (e versionError) Error() string {
	return fmt.Sprintf("the resource is at version %s, which If-Match does not name", etag(e.version))
}

func (versionError) Is(target error) bool { return target == ErrVersionMismatch }

// withIfMatch returns r's context with its If-Match header, for
// CheckIfMatch.
func withIfMatch(r *http.Request) context.Context {
	if im := r.Header.Get("If-Match"); im != "" {
		return context.WithValue(r.Context(), ifMatchKey{}, im)
	}
	return r.Context()
}

// schemaOf returns the elimity schema of a URN a ResourceType may name.
func schemaOf(urn string) (schema.Schema, bool) {
	switch urn {
	case UserSchema:
		return schema.CoreUserSchema(), true
	case EnterpriseUserSchema:
		return schema.ExtensionEnterpriseUser(), true
	}
	return schema.Schema{}, false
}

// elimityType turns rt into the SCIM library's resource type, or says
// why it cannot.
func (rt ResourceType) elimityType(logger errorLogger) (scim.ResourceType, error) {
	switch {
	case rt.Name == "" || rt.Handler == nil:
		return scim.ResourceType{}, fmt.Errorf("scimx: resource type %q needs a Name and a Handler", rt.Name)
	case !strings.HasPrefix(rt.Endpoint, "/") || strings.Count(rt.Endpoint, "/") != 1 || len(rt.Endpoint) < 2:
		return scim.ResourceType{}, fmt.Errorf("scimx: resource type %s: endpoint %q is not one path segment, such as /Users", rt.Name, rt.Endpoint)
	case strings.EqualFold(rt.Endpoint, "/Groups"):
		return scim.ResourceType{}, fmt.Errorf("scimx: resource type %s: /Groups is the library's", rt.Name)
	}
	core, ok := schemaOf(rt.Schema)
	if !ok || rt.Schema == EnterpriseUserSchema {
		return scim.ResourceType{}, fmt.Errorf("scimx: resource type %s: unknown core schema %q", rt.Name, rt.Schema)
	}
	var exts []scim.SchemaExtension
	for _, urn := range rt.Extensions {
		s, ok := schemaOf(urn)
		if !ok || urn == rt.Schema {
			return scim.ResourceType{}, fmt.Errorf("scimx: resource type %s: unknown extension %q", rt.Name, urn)
		}
		exts = append(exts, scim.SchemaExtension{Schema: s})
	}
	return scim.ResourceType{
		ID:               optional.NewString(rt.Name),
		Name:             rt.Name,
		Description:      optional.NewString(rt.Name),
		Endpoint:         rt.Endpoint,
		Schema:           core,
		SchemaExtensions: exts,
		Handler:          &resourceAdapter{h: rt.Handler, core: core, exts: exts, log: logger},
	}, nil
}

// errorLogger turns a handler's error into the SCIM answer.
type errorLogger = func(ctx context.Context, err error) error

// resourceAdapter serves a ResourceHandler to the SCIM library.
type resourceAdapter struct {
	h    ResourceHandler
	core schema.Schema
	exts []scim.SchemaExtension
	log  errorLogger
}

var _ scim.ResourceHandler = (*resourceAdapter)(nil)

func (a *resourceAdapter) tenant(r *http.Request) (string, error) {
	t, ok := TenantFrom(r.Context())
	if !ok {
		return "", a.log(r.Context(), errNoTenant)
	}
	return t, nil
}

func (a *resourceAdapter) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	t, err := a.tenant(r)
	if err != nil {
		return scim.Resource{}, err
	}
	res, err := a.h.Create(r.Context(), t, attrs)
	return a.resource(r, res, err)
}

func (a *resourceAdapter) Get(r *http.Request, id string) (scim.Resource, error) {
	t, err := a.tenant(r)
	if err != nil {
		return scim.Resource{}, err
	}
	res, err := a.h.Get(r.Context(), t, id)
	return a.resource(r, res, err)
}

func (a *resourceAdapter) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	t, err := a.tenant(r)
	if err != nil {
		return scim.Page{}, err
	}
	q := ListQuery{StartIndex: max(params.StartIndex, 1), Count: max(params.Count, 0)}
	if params.FilterValidator != nil {
		if q.Filter, err = a.equalities(params.FilterValidator.GetFilter()); err != nil {
			return scim.Page{}, a.log(r.Context(), err)
		}
	}
	p, err := a.h.List(r.Context(), t, q)
	if err != nil {
		return scim.Page{}, a.log(r.Context(), err)
	}
	page := scim.Page{TotalResults: p.Total, Resources: make([]scim.Resource, 0, len(p.Resources))}
	for _, res := range p.Resources {
		out, _ := a.resource(r, res, nil)
		page.Resources = append(page.Resources, out)
	}
	noteList(r.Context(), len(page.Resources))
	return page, nil
}

func (a *resourceAdapter) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	t, err := a.tenant(r)
	if err != nil {
		return scim.Resource{}, err
	}
	res, err := a.h.Replace(withIfMatch(r), t, id, attrs)
	return a.resource(r, res, err)
}

func (a *resourceAdapter) Delete(r *http.Request, id string) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	return a.log(r.Context(), a.h.Delete(withIfMatch(r), t, id))
}

func (a *resourceAdapter) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	t, err := a.tenant(r)
	if err != nil {
		return scim.Resource{}, err
	}
	out := make([]PatchOp, len(ops))
	for i, op := range ops {
		out[i] = PatchOp{Op: strings.ToLower(op.Op), Value: op.Value}
		if op.Path != nil {
			out[i].Path = a.spellPath(*op.Path)
		}
	}
	res, err := a.h.Patch(withIfMatch(r), t, id, out)
	return a.resource(r, res, err)
}

// resource turns a handler's answer into the SCIM library's.
func (a *resourceAdapter) resource(r *http.Request, res Resource, err error) (scim.Resource, error) {
	if err != nil {
		return scim.Resource{}, a.log(r.Context(), err)
	}
	out := scim.Resource{ID: res.ID, Attributes: scim.ResourceAttributes{}}
	for k, v := range res.Attributes {
		out.Attributes[k] = v
	}
	if res.ExternalID != "" {
		out.ExternalID = optional.NewString(res.ExternalID)
	}
	if !res.Created.IsZero() {
		out.Meta.Created = &res.Created
	}
	if !res.Modified.IsZero() {
		out.Meta.LastModified = &res.Modified
	}
	if res.Version > 0 {
		out.Meta.Version = etag(res.Version)
	}
	return out, nil
}

// equalities turns a filter into the comparisons of a ListQuery, in the
// schema's spelling, or refuses it.
func (a *resourceAdapter) equalities(e filter.Expression) ([]Equal, error) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ {
			break
		}
		attr, ok := a.spell(e.AttributePath)
		if !ok {
			break
		}
		return []Equal{{Attr: attr, Value: e.CompareValue}}, nil
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			break
		}
		l, err := a.equalities(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := a.equalities(e.Right)
		if err != nil {
			return nil, err
		}
		return append(l, r...), nil
	}
	return nil, fmt.Errorf("%w: this endpoint supports only eq comparisons joined by and", ErrInvalidFilter)
}

// spell returns an attribute path in the schema's spelling.
func (a *resourceAdapter) spell(p filter.AttributePath) (string, bool) {
	attrs, prefix := a.core.Attributes, ""
	if uri := p.URI(); uri != "" && !strings.EqualFold(uri, a.core.ID) {
		found := false
		for _, ext := range a.exts {
			if strings.EqualFold(uri, ext.Schema.ID) {
				attrs, prefix, found = ext.Schema.Attributes, ext.Schema.ID+":", true
			}
		}
		if !found {
			return "", false
		}
	}
	name := p.AttributeName
	for _, common := range []string{"id", "externalId"} {
		if prefix == "" && strings.EqualFold(name, common) && p.SubAttribute == nil {
			return common, true
		}
	}
	for _, attr := range attrs {
		if !strings.EqualFold(attr.Name(), name) {
			continue
		}
		if p.SubAttribute == nil {
			return prefix + attr.Name(), true
		}
		for _, sub := range attr.SubAttributes() {
			if strings.EqualFold(sub.Name(), *p.SubAttribute) {
				return prefix + attr.Name() + "." + sub.Name(), true
			}
		}
		if strings.EqualFold(*p.SubAttribute, "value") && attr.MultiValued() {
			return prefix + attr.Name() + ".value", true
		}
	}
	return "", false
}

// spellPath returns a PATCH path in the schema's spelling (see
// [PatchOp]): the attribute and its sub-attribute as spell writes them,
// and a filter between them as the client wrote it. A path spell does not
// know, which the SCIM library's check has refused before, keeps its
// spelling without the core schema's URN.
func (a *resourceAdapter) spellPath(p filter.Path) string {
	sub := p.SubAttribute
	if p.ValueExpression == nil && sub == nil {
		sub = p.AttributePath.SubAttribute
	}
	attr := filter.AttributePath{URIPrefix: p.AttributePath.URIPrefix, AttributeName: p.AttributePath.AttributeName}
	name, ok := a.spell(attr)
	if !ok {
		if strings.EqualFold(p.AttributePath.URI(), a.core.ID) {
			p.AttributePath.URIPrefix = nil
		}
		return p.String()
	}
	out := name
	if p.ValueExpression != nil {
		out += fmt.Sprintf("[%s]", p.ValueExpression)
	}
	if sub != nil {
		attr.SubAttribute = sub
		full, ok := a.spell(attr)
		if !ok {
			return out + "." + *sub
		}
		out += full[len(name):]
	}
	return out
}
