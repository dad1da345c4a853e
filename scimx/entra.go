package scimx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/elimity-com/scim/schema"
)

// boolSchema is what entraValues knows of a resource type: its
// endpoint, and the attributes of its core schema and of each extension,
// by URN, to find the boolean ones and the complex ones Entra ID writes
// as a string.
type boolSchema struct {
	endpoint string
	core     schema.Attributes
	exts     map[string]schema.Attributes // by lower-case URN
	coreURN  string
	// refs are the lower-case names of the single-valued complex
	// attributes with a value sub-attribute (the enterprise extension's
	// manager), which a body must name for fix to have work to do.
	refs []string
}

// entraValues passes on a POST, PUT or PATCH of one of the app's
// resource types with two shapes Entra ID sends (WIRE.md), which the SCIM
// library refuses with 400 invalidValue before the app's handler sees
// them, rewritten as the type's schema declares them:
//
//   - the strings "True" and "False" (in any letter case) become JSON
//     booleans where the schema declares a boolean attribute: Entra
//     deactivates a user with {"op":"Replace","path":"active","value":"False"};
//   - a string where the schema declares a single-valued complex attribute
//     with a value sub-attribute becomes {"value": the string}: Entra's
//     default mapping writes the enterprise extension's manager as the
//     manager's id, in a POST or PUT body
//     ("urn:…:enterprise:2.0:User":{"manager":"<id>"}) and in a PATCH
//     ({"op":"Add","path":"urn:…:enterprise:2.0:User:manager","value":"<id>"}).
//     Of RFC 7643's User schemas, manager is the only such attribute.
//
// The handler thus gets a bool for active and {"value":"<id>"} for
// manager, the shapes it gets from every other client. Every other
// string, and every request to /Groups, is left alone; so is a body that
// holds no such string, at the cost of one scan (two when the type has a
// manager). It runs after checkBody, on a body that is strict JSON within
// the limits.
func entraValues(types []ResourceType, next http.Handler) http.Handler {
	var schemas []boolSchema
	for _, rt := range types {
		core, ok := schemaOf(rt.Schema)
		if !ok {
			continue // NewServer has refused it
		}
		s := boolSchema{endpoint: rt.Endpoint, core: core.Attributes, coreURN: rt.Schema, exts: map[string]schema.Attributes{}}
		for _, urn := range rt.Extensions {
			if ext, ok := schemaOf(urn); ok {
				s.exts[strings.ToLower(urn)] = ext.Attributes
			}
		}
		s.refs = s.refNames()
		if s.hasBoolean() || len(s.refs) > 0 {
			schemas = append(schemas, s)
		}
	}
	if len(schemas) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := boolSchemaOf(r, schemas)
		if !ok || !hasBody(r) || r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		body, err := bodyBytes(r)
		if err != nil {
			next.ServeHTTP(w, r) // checkBody has read it: this does not happen
			return
		}
		if fixed, ok := s.fix(body, r.Method == http.MethodPatch); ok {
			body = fixed
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &memBody{Reader: bytes.NewReader(body), b: body}
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}

// boolSchemaOf returns the schema of the resource type r writes.
func boolSchemaOf(r *http.Request, schemas []boolSchema) (boolSchema, bool) {
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	for _, s := range schemas {
		if rest, ok := strings.CutPrefix(p, s.endpoint); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			return s, true
		}
	}
	return boolSchema{}, false
}

// hasBoolean reports whether any attribute of s is a boolean.
func (s boolSchema) hasBoolean() bool {
	var has func(schema.Attributes) bool
	has = func(as schema.Attributes) bool {
		for _, a := range as {
			if a.AttributeType() == "boolean" || has(a.SubAttributes()) {
				return true
			}
		}
		return false
	}
	if has(s.core) {
		return true
	}
	for _, ext := range s.exts {
		if has(ext) {
			return true
		}
	}
	return false
}

// refNames returns the lower-case names of the single-valued complex
// attributes of s that have a value sub-attribute.
func (s boolSchema) refNames() []string {
	var names []string
	add := func(as schema.Attributes) {
		for _, a := range as {
			if isRef(a) {
				names = append(names, strings.ToLower(a.Name()))
			}
		}
	}
	add(s.core)
	for _, ext := range s.exts {
		add(ext)
	}
	return names
}

// isRef reports whether a is a single-valued complex attribute with a
// value sub-attribute, such as manager.
func isRef(a schema.CoreAttribute) bool {
	if a.MultiValued() || !a.HasSubAttributes() {
		return false
	}
	_, ok := attribute(a.SubAttributes(), "value")
	return ok
}

// fix rewrites body's string booleans and string references, a resource
// or, when patch is true, a PatchOp's operations, and reports whether it
// changed anything.
func (s boolSchema) fix(body []byte, patch bool) ([]byte, bool) {
	if !containsFold(body, `"true"`) && !containsFold(body, `"false"`) && !s.namesRef(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	var changed bool
	if patch {
		changed = s.fixOperations(doc)
	} else {
		changed = s.fixResource(doc)
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

// namesRef reports whether body holds, in any letter case, the name of
// one of s's refs followed by a quote: a key or the end of a path.
func (s boolSchema) namesRef(body []byte) bool {
	for _, name := range s.refs {
		if containsFold(body, name+`"`) {
			return true
		}
	}
	return false
}

// fixResource rewrites the string booleans and string references of a
// resource's attributes, of its extensions' objects and of attributes
// named with their extension's URN.
func (s boolSchema) fixResource(doc map[string]any) bool {
	changed := false
	for k, v := range doc {
		if ext, ok := s.exts[strings.ToLower(k)]; ok {
			if m, ok := v.(map[string]any); ok {
				changed = fixObject(ext, m) || changed
			}
			continue
		}
		attrs, name := s.attrsOf(k)
		if a, ok := attribute(attrs, name); ok {
			if nv, ok := fixValue(a, v); ok {
				doc[k], changed = nv, true
			}
		}
	}
	return changed
}

// fixOperations rewrites the string booleans of each operation's value
// that its path, or its absence, makes a boolean attribute's.
func (s boolSchema) fixOperations(doc map[string]any) bool {
	changed := false
	for k, v := range doc {
		if !strings.EqualFold(k, "Operations") {
			continue
		}
		ops, _ := v.([]any)
		for _, o := range ops {
			op, ok := o.(map[string]any)
			if !ok {
				continue
			}
			var path string
			var hasPath bool
			for ok, ov := range op {
				if strings.EqualFold(ok, "path") {
					path, hasPath = ov.(string)
				}
			}
			for vk, vv := range op {
				if !strings.EqualFold(vk, "value") {
					continue
				}
				if !hasPath {
					if m, ok := vv.(map[string]any); ok {
						changed = s.fixResource(m) || changed
					}
					continue
				}
				if nv, ok := s.fixAtPath(path, vv); ok {
					op[vk], changed = nv, true
				}
			}
		}
	}
	return changed
}

// fixAtPath rewrites v, the value of an operation whose path is path, when
// the path names a boolean attribute, or a complex one whose boolean
// sub-attributes v holds. Paths it does not understand leave v alone: the
// SCIM library judges them.
func (s boolSchema) fixAtPath(path string, v any) (any, bool) {
	attrs, path := s.attrsOf(path)
	// name, name[filter], name.sub or name[filter].sub.
	name, sub, filtered := path, "", false
	if i := strings.IndexAny(path, "[."); i >= 0 {
		name = path[:i]
		rest := path[i:]
		if rest[0] == '[' {
			j := closingBracket(rest)
			if j < 0 {
				return nil, false
			}
			filtered, rest = true, rest[j+1:]
		}
		if rest != "" {
			if rest[0] != '.' {
				return nil, false
			}
			sub = rest[1:]
		}
	}
	a, ok := attribute(attrs, name)
	if !ok {
		return nil, false
	}
	switch {
	case sub != "":
		sa, ok := attribute(a.SubAttributes(), sub)
		if !ok || sa.MultiValued() {
			return nil, false
		}
		return stringBool(sa, v)
	case filtered:
		// The value replaces the elements the filter selects: an element,
		// or a list of them.
		if m, ok := v.(map[string]any); ok {
			return m, fixObject(a.SubAttributes(), m)
		}
		return fixValue(a, v)
	}
	return fixValue(a, v)
}

// attrsOf returns the attributes a path names one of, the core schema's
// or an extension's, and the path without the schema's URN.
func (s boolSchema) attrsOf(path string) (schema.Attributes, string) {
	lower := strings.ToLower(path)
	if rest, ok := strings.CutPrefix(lower, strings.ToLower(s.coreURN)+":"); ok {
		return s.core, path[len(path)-len(rest):]
	}
	for urn, ext := range s.exts {
		if rest, ok := strings.CutPrefix(lower, urn+":"); ok {
			return ext, path[len(path)-len(rest):]
		}
	}
	return s.core, path
}

// fixValue returns v, the value of attribute a, with its string booleans
// and, when a is a reference such as manager, a string for it as
// {"value": v} rewritten, and whether it changed.
func fixValue(a schema.CoreAttribute, v any) (any, bool) {
	if str, ok := v.(string); ok && isRef(a) {
		return map[string]any{"value": str}, true
	}
	if a.MultiValued() {
		list, ok := v.([]any)
		if !ok {
			return nil, false
		}
		changed := false
		for i, e := range list {
			if m, ok := e.(map[string]any); ok && a.HasSubAttributes() {
				changed = fixObject(a.SubAttributes(), m) || changed
			} else if b, ok := stringBool(a, e); ok {
				list[i], changed = b, true
			}
		}
		return list, changed
	}
	if m, ok := v.(map[string]any); ok && a.HasSubAttributes() {
		return m, fixObject(a.SubAttributes(), m)
	}
	return stringBool(a, v)
}

// fixObject rewrites the string booleans of m, an object of attributes as.
func fixObject(as schema.Attributes, m map[string]any) bool {
	changed := false
	for k, v := range m {
		if a, ok := attribute(as, k); ok {
			if nv, ok := fixValue(a, v); ok {
				m[k], changed = nv, true
			}
		}
	}
	return changed
}

// stringBool returns the boolean v spells, when a is a boolean attribute
// and v is "true" or "false" in any letter case.
func stringBool(a schema.CoreAttribute, v any) (any, bool) {
	s, ok := v.(string)
	switch {
	case !ok || a.AttributeType() != "boolean":
		return nil, false
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return nil, false
}

// attribute returns the attribute of as named name, in any letter case, as
// SCIM attribute names are.
func attribute(as schema.Attributes, name string) (schema.CoreAttribute, bool) {
	for _, a := range as {
		if strings.EqualFold(a.Name(), name) {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

// closingBracket returns the index in s, which starts with '[', of the
// ']' that closes it, skipping quoted strings, or -1.
func closingBracket(s string) int {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ']':
			return i
		}
	}
	return -1
}

// containsFold reports whether b holds s, a non-empty ASCII string, with
// letters in any case.
func containsFold(b []byte, s string) bool {
	want := []byte(s)
	first := want[0] | 0x20 // lower case, for a letter
	for i := 0; i+len(want) <= len(b); i++ {
		if b[i]|0x20 == first && bytes.EqualFold(b[i:i+len(want)], want) {
			return true
		}
	}
	return false
}
