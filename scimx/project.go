package scimx

import (
	"net/url"
	"strings"
)

// projection is what a request's attributes and excludedAttributes
// parameters let a response carry (RFC 7644 section 3.9). id and schemas are
// always returned, and meta by default.
type projection struct {
	only    map[string]bool // lower-case attribute names; nil means all
	exclude map[string]bool
}

func newProjection(q url.Values) projection {
	var p projection
	if v := q.Get("attributes"); v != "" {
		p.only = attributeSet(v)
	}
	if v := q.Get("excludedAttributes"); v != "" {
		p.exclude = attributeSet(v)
	}
	return p
}

// requested reports whether the request names attributes at all, which asks
// a PATCH for a body rather than 204.
func (p projection) requested() bool { return p.only != nil || p.exclude != nil }

// has reports whether the response carries the attribute name (lower-case,
// "members", "externalid", "displayname", or an extension attribute as
// "urn:…:grouptype").
func (p projection) has(name string) bool {
	switch {
	case p.exclude[name]:
		return false
	case p.only == nil:
		return true
	}
	if p.only[name] {
		return true
	}
	// An extension attribute is in when its schema is named whole.
	if i := strings.LastIndexByte(name, ':'); i > 0 && p.only[name[:i]] {
		return true
	}
	return false
}

// attributeSet parses a comma-separated attribute list into lower-case
// names, without the core schema's URN and without sub-attributes: asking
// for members.value returns members.
func attributeSet(v string) map[string]bool {
	set := map[string]bool{}
	for _, a := range strings.Split(v, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if rest, ok := strings.CutPrefix(a, strings.ToLower(GroupSchema)+":"); ok {
			a = rest
		}
		if !strings.HasPrefix(a, "urn:") {
			a, _, _ = strings.Cut(a, ".")
		}
		if a != "" {
			set[a] = true
		}
	}
	return set
}
