package scimx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	elimityfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// patchOpSchema is the URN a PATCH body's schemas must hold, alone.
const patchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// fastGroups serves, ahead of the elimity server, the Groups requests whose
// paths or filter [fastPath] and [fastFilter] recognise: a PATCH of
// /Groups/{id} and a GET of /Groups with a filter. The elimity server
// parses every PATCH path and every filter with filter-parser, at several
// microseconds a byte, and decodes a PATCH body twice; fastGroups does
// what the elimity server does for those requests (resource_type.go's
// validatePatch and handlers.go's resourcePatchHandler and
// resourcesGetHandler, at the version go.mod names), step for step, with
// the same schema checks of the same library functions
// ([schema.CoreAttribute.ValidateSingular], [elimityfilter.Validator]),
// then calls the same handler and writes the answer the elimity server
// would write, byte for byte.
//
// It serves a request only when all of it is of the shapes it knows and
// every check passes; any other request, and every request that the
// elimity server would refuse before calling the handler, goes to next,
// the elimity server, untouched: so every refusal is the elimity server's
// own. FuzzFastPath compares the answers and the stored groups of a
// server with fastGroups and one without on the same requests.
type fastGroups struct {
	h    *handler
	rt   scim.ResourceType
	next http.Handler
	log  *slog.Logger
	// core is the core schema with externalId, which the elimity server
	// checks PATCH operations against; filters is the core schema with the
	// common attributes, which it checks filters against; exts are the
	// extensions, and schemas the core and extension schemas by id.
	core, filters schema.Schema
	exts          []schema.Schema
	schemas       map[string]schema.Schema
	baseURL       string
}

// newFastGroups returns the fast path of h's requests in front of next, the
// elimity server built with h's resource type and baseURL.
func newFastGroups(h *handler, baseURL string, next http.Handler) *fastGroups {
	rt := h.resourceType()
	core := rt.Schema
	core.Attributes = append(append(schema.Attributes{}, rt.Schema.Attributes...),
		schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			CaseExact:  true,
			Mutability: schema.AttributeMutabilityReadWrite(),
			Name:       schema.CommonAttributeExternalID,
			Uniqueness: schema.AttributeUniquenessNone(),
		})))
	filters := rt.Schema
	filters.Attributes = append(append(schema.Attributes{}, rt.Schema.Attributes...), schema.CommonAttributes()...)
	f := &fastGroups{h: h, rt: rt, next: next, log: h.opts.Logger, core: core, filters: filters,
		schemas: map[string]schema.Schema{core.ID: core}, baseURL: strings.TrimRight(baseURL, "/")}
	for _, e := range rt.SchemaExtensions {
		f.exts = append(f.exts, e.Schema)
		f.schemas[e.Schema.ID] = e.Schema
	}
	return f
}

func (f *fastGroups) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	switch {
	case r.Method == http.MethodPatch && strings.HasPrefix(path, "/Groups/") && path != "/Groups/.search":
		if f.patch(w, r, path) {
			return
		}
	case r.Method == http.MethodGet && path == "/Groups":
		if f.list(w, r) {
			return
		}
	}
	f.next.ServeHTTP(w, r)
}

// fastPatchBody is a PATCH body as the elimity server decodes it: its
// Operations as its patch validator decodes each one.
type fastPatchBody struct {
	Schemas    []string
	Operations []struct {
		Op    string
		Path  string
		Value any
	}
}

// patch serves a PATCH of /Groups/{id} when it can, and reports whether it
// did.
func (f *fastGroups) patch(w http.ResponseWriter, r *http.Request, path string) bool {
	id, err := url.PathUnescape(strings.TrimPrefix(path, "/Groups/"))
	if err != nil {
		return false
	}
	body, ok := r.Body.(*memBody)
	if !ok || body.Reader.Len() != len(body.b) {
		return false // not read by LimitBody, or read already
	}
	ops, ok := f.operations(body.b)
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "application/scim+json")
	res, err := f.h.Patch(r, id, ops)
	if err != nil {
		f.writeError(w, scimerrors.CheckScimError(err, http.MethodPatch))
		return true
	}
	if len(res.Attributes) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	raw, err := json.Marshal(f.response(res, f.location(id)))
	if err != nil {
		f.internal(w, "failed marshaling resource", err)
		return true
	}
	if res.Meta.Version != "" {
		w.Header().Set("Etag", res.Meta.Version)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	return true
}

// operations decodes and checks a PATCH body as the elimity server does,
// and returns its operations; ok is false when the body is not all of
// the fast path's shapes or a check fails.
func (f *fastGroups) operations(body []byte) ([]scim.PatchOperation, bool) {
	var req fastPatchBody
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&req); err != nil {
		return nil, false
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != patchOpSchema || len(req.Operations) < 1 {
		return nil, false
	}
	ops := make([]scim.PatchOperation, 0, len(req.Operations))
	for _, o := range req.Operations {
		op := strings.ToLower(o.Op)
		if m, ok := o.Value.(map[string]any); ok {
			// Okta sends the id in a path-less value; the server drops it
			// (and, finding none, the key "").
			var key string
			found := false
			for k := range m {
				if strings.ToLower(k) == "id" {
					if found {
						return nil, false
					}
					found, key = true, k
				}
			}
			delete(m, key)
		}
		var path *filter.Path
		if o.Path != "" {
			p, ok := fastPath(o.Path)
			if !ok || !f.validPath(p) {
				return nil, false
			}
			path = &p
		}
		v, ok := f.validate(op, path, o.Value, f.core)
		if !ok {
			return nil, false
		}
		ops = append(ops, scim.PatchOperation{Op: op, Path: path, Value: v})
	}
	return ops, true
}

// validPath checks a path against the core schema, then each extension,
// as the elimity server's path validator does.
func (f *fastGroups) validPath(p filter.Path) bool {
	valid := func(ref schema.Schema) bool {
		attr, ok := ref.Attributes.ContainsAttribute(p.AttributePath.AttributeName)
		if !ok {
			return false
		}
		if p.ValueExpression != nil {
			sub := schema.Schema{ID: ref.ID, Attributes: elimityfilter.MultiValuedFilterAttributes(attr)}
			if elimityfilter.NewFilterValidator(p.ValueExpression, sub).Validate() != nil {
				return false
			}
		}
		return true
	}
	if valid(f.core) {
		return true
	}
	for _, e := range f.exts {
		if valid(e) {
			return true
		}
	}
	return false
}

// validate checks one operation's value against the attribute its path
// names in s and returns it as the handler gets it.
func (f *fastGroups) validate(op string, path *filter.Path, value any, s schema.Schema) (any, bool) {
	switch op {
	case scim.PatchOperationAdd, scim.PatchOperationReplace:
		if value == nil {
			return nil, false
		}
		if path == nil {
			return f.validateNoPath(op, value, s)
		}
		attr, ok := attribute(s.Attributes, path.AttributePath.AttributeName)
		if !ok {
			return nil, false
		}
		if e := path.ValueExpression; e != nil {
			if elimityfilter.NewFilterValidator(e, schema.Schema{Attributes: attr.SubAttributes()}).Validate() != nil {
				return nil, false
			}
		}
		return validateValue(attr, value, path.ValueExpression != nil)
	case scim.PatchOperationRemove:
		if path == nil {
			return nil, false
		}
		attr, ok := attribute(s.Attributes, path.AttributePath.AttributeName)
		if !ok {
			return nil, false
		}
		if e := path.ValueExpression; e != nil {
			sub := schema.Schema{Attributes: elimityfilter.MultiValuedFilterAttributes(attr)}
			if elimityfilter.NewFilterValidator(e, sub).Validate() != nil {
				return nil, false
			}
		}
		if value == nil {
			return nil, true
		}
		return validateValue(attr, value, false)
	}
	return nil, false
}

// validateNoPath checks the value of an add or replace without a path: an
// object of attributes of s by name, or of an extension's attributes under
// the extension's id.
func (f *fastGroups) validateNoPath(op string, value any, s schema.Schema) (any, bool) {
	attrs, ok := value.(map[string]any)
	if !ok {
		return nil, false
	}
	out := map[string]any{}
	for k, v := range attrs {
		if ext, ok := f.schemas[k]; ok {
			inner, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if out[k], ok = f.validateNoPath(op, inner, ext); !ok {
				return nil, false
			}
			continue
		}
		p, ok := fastPath(k)
		if !ok {
			return nil, false
		}
		if out[k], ok = f.validate(op, &p, v, s); !ok {
			return nil, false
		}
	}
	return out, true
}

// validateValue checks value against attr: each element of a list for a
// multi-valued attribute (an empty list is a nil []any), a single value
// wrapped in a list unless a value filter picks one element.
func validateValue(attr schema.CoreAttribute, value any, picked bool) (any, bool) {
	if !attr.MultiValued() {
		v, err := attr.ValidateSingular(value)
		return v, err == nil
	}
	if list, ok := value.([]any); ok {
		var out []any
		for _, e := range list {
			v, err := attr.ValidateSingular(e)
			if err != nil {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	v, err := attr.ValidateSingular(value)
	if err != nil {
		return nil, false
	}
	if picked {
		return v, true
	}
	return []any{v}, true
}

// list serves a GET of /Groups with a filter when it can, and reports
// whether it did.
func (f *fastGroups) list(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("filter"))
	if raw == "" {
		return false
	}
	count, ok1 := intParam(q, "count", maxResults)
	start, ok2 := intParam(q, "startIndex", 1)
	if !ok1 || !ok2 {
		return false
	}
	count = max(min(count, maxResults), 0)
	start = max(start, 1)
	e, ok := fastFilter(raw)
	if !ok {
		return false
	}
	v := elimityfilter.NewFilterValidator(e, f.filters, f.exts...)
	if v.Validate() != nil {
		return false
	}
	w.Header().Set("Content-Type", "application/scim+json")
	page, err := f.h.GetAll(r, scim.ListRequestParams{Count: count, FilterValidator: &v, StartIndex: start})
	if err != nil {
		f.writeError(w, scimerrors.CheckScimError(err, http.MethodGet))
		return true
	}
	var resources []any
	if page.Resources != nil {
		resources = make([]any, 0, len(page.Resources))
	}
	for _, res := range page.Resources {
		resources = append(resources, f.response(res, f.location(res.ID)))
	}
	body, err := json.Marshal(map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": page.TotalResults,
		"itemsPerPage": count,
		"startIndex":   start,
		"Resources":    resources,
	})
	if err != nil {
		f.internal(w, "failed marshaling list response", err)
		return true
	}
	_, _ = w.Write(body)
	return true
}

// intParam reads the integer query parameter key, def when absent.
func intParam(q url.Values, key string, def int) (int, bool) {
	s := q.Get(key)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// elimityMeta is the meta attribute as the elimity server writes it.
type elimityMeta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location"`
	Version      string `json:"version,omitempty"`
}

// response is what the elimity server answers for res.
func (f *fastGroups) response(res scim.Resource, location string) scim.ResourceAttributes {
	out := make(scim.ResourceAttributes, len(res.Attributes))
	for k, v := range res.Attributes {
		out[k] = v
	}
	out[schema.CommonAttributeID] = res.ID
	if res.ExternalID.Present() {
		out[schema.CommonAttributeExternalID] = res.ExternalID.Value()
	}
	schemas := []string{f.rt.Schema.ID}
	for _, e := range f.rt.SchemaExtensions {
		schemas = append(schemas, e.Schema.ID)
	}
	out["schemas"] = schemas
	m := elimityMeta{ResourceType: f.rt.Name, Location: location, Version: res.Meta.Version}
	if res.Meta.Created != nil {
		m.Created = res.Meta.Created.Format(time.RFC3339)
	}
	if res.Meta.LastModified != nil {
		m.LastModified = res.Meta.LastModified.Format(time.RFC3339)
	}
	out[schema.CommonAttributeMeta] = m
	return out
}

// location is the meta.location of the group of id.
func (f *fastGroups) location(id string) string {
	rel := f.rt.Endpoint[1:] + "/" + url.PathEscape(id)
	if f.baseURL == "" {
		return rel
	}
	u, err := url.Parse(f.baseURL)
	if err != nil {
		return rel
	}
	u.Path = u.Path + "/" + rel
	return u.String()
}

// writeError writes e as the elimity server does.
func (f *fastGroups) writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	raw, err := json.Marshal(&e)
	if err != nil {
		if f.log != nil {
			f.log.Error("scim: failed marshaling scim error", "error", err)
		}
		return
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(raw)
}

// internal answers a response that could not be encoded with a 500.
func (f *fastGroups) internal(w http.ResponseWriter, msg string, err error) {
	f.writeError(w, scimerrors.ScimErrorInternal)
	if f.log != nil {
		f.log.Error("scim: "+msg, "error", err)
	}
}
