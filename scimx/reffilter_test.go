package scimx_test

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/groupsync/groupsync/scimx"
)

// A reference evaluator of SCIM filters (RFC 7644 section 3.4.2.2), written
// for FuzzFilter apart from the server's: a recursive-descent parser over
// the filter's text and a scan of every group, with no index, no parser
// library and no short cuts. The server's answers must agree with it
// wherever both accept a filter. The semantics are those the handler
// documents: id, externalId, displayName and member values compare byte
// for byte, groupType, origin and member types without case; a comparison
// with a value that is not a string matches nothing, and so does one with
// an attribute that has no value (an absent externalId); an attribute the
// handler does not serve matches nothing.

// refGroup is what the reference evaluates a filter against.
type refGroup struct {
	id, externalID, name, groupType, origin string
	members                                 []refMember
	version                                 string
	created, modified                       time.Time
}

type refMember struct{ value, typ string }

// refExpr is a parsed filter.
type refExpr func(g *refGroup) bool

// refMemberExpr is a parsed filter inside members[…].
type refMemberExpr func(m refMember) bool

// refParse parses a filter, or reports false.
func refParse(f string) (refExpr, bool) {
	p := &refParser{s: strings.TrimSpace(f)}
	e, ok := p.or(false)
	if !ok || p.i != len(p.s) {
		return nil, false
	}
	return e.group, true
}

type refParser struct {
	s string
	i int
}

// refNode is a parsed expression, as a group filter and as a member
// filter.
type refNode struct {
	group  refExpr
	member refMemberExpr
}

func (p *refParser) space() bool {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	return p.i > start
}

// word reports whether the next word is w, in any case, followed by a space
// (or, after not, a parenthesis), and consumes it.
func (p *refParser) word(w string, next ...byte) bool {
	if len(p.s)-p.i < len(w) || !strings.EqualFold(p.s[p.i:p.i+len(w)], w) {
		return false
	}
	j := p.i + len(w)
	if j < len(p.s) && p.s[j] != ' ' && !strings.ContainsRune(string(next), rune(p.s[j])) {
		return false
	}
	p.i = j
	return true
}

func (p *refParser) or(inMember bool) (refNode, bool) {
	l, ok := p.and(inMember)
	for ok {
		save := p.i
		if !p.space() || !p.word("or") || !p.space() {
			p.i = save
			return l, true
		}
		r, rok := p.and(inMember)
		if !rok {
			return refNode{}, false
		}
		left := l
		l = refNode{
			group:  func(g *refGroup) bool { return left.group(g) || r.group(g) },
			member: func(m refMember) bool { return left.member(m) || r.member(m) },
		}
	}
	return l, ok
}

func (p *refParser) and(inMember bool) (refNode, bool) {
	l, ok := p.term(inMember)
	for ok {
		save := p.i
		if !p.space() || !p.word("and") || !p.space() {
			p.i = save
			return l, true
		}
		r, rok := p.term(inMember)
		if !rok {
			return refNode{}, false
		}
		left := l
		l = refNode{
			group:  func(g *refGroup) bool { return left.group(g) && r.group(g) },
			member: func(m refMember) bool { return left.member(m) && r.member(m) },
		}
	}
	return l, ok
}

func (p *refParser) term(inMember bool) (refNode, bool) {
	if p.word("not", '(') {
		p.space()
		e, ok := p.paren(inMember)
		if !ok {
			return refNode{}, false
		}
		return refNode{
			group:  func(g *refGroup) bool { return !e.group(g) },
			member: func(m refMember) bool { return !e.member(m) },
		}, true
	}
	if p.i < len(p.s) && p.s[p.i] == '(' {
		return p.paren(inMember)
	}
	uri, name, sub, ok := p.attrPath()
	if !ok {
		return refNode{}, false
	}
	if p.i < len(p.s) && p.s[p.i] == '[' {
		if inMember || sub != "" {
			return refNode{}, false
		}
		p.i++
		inner, ok := p.or(true)
		if !ok || p.i >= len(p.s) || p.s[p.i] != ']' {
			return refNode{}, false
		}
		p.i++
		isMembers := name == "members" && (uri == "" || uri == strings.ToLower(scimx.GroupSchema))
		return refNode{
			group: func(g *refGroup) bool {
				if !isMembers {
					return false
				}
				for _, m := range g.members {
					if inner.member(m) {
						return true
					}
				}
				return false
			},
			member: func(refMember) bool { return false },
		}, true
	}
	if !p.space() {
		return refNode{}, false
	}
	op, ok := p.operator()
	if !ok {
		return refNode{}, false
	}
	var value any = nil
	if op != "pr" {
		if !p.space() {
			return refNode{}, false
		}
		if value, ok = p.value(); !ok {
			return refNode{}, false
		}
	}
	c := refCompare{op: op, value: value}
	return refNode{
		group:  func(g *refGroup) bool { return refAttribute(g, uri, name, sub, c) },
		member: func(m refMember) bool { return refMemberAttribute(m, uri, name, sub, c) },
	}, true
}

func (p *refParser) paren(inMember bool) (refNode, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return refNode{}, false
	}
	p.i++
	e, ok := p.or(inMember)
	if !ok || p.i >= len(p.s) || p.s[p.i] != ')' {
		return refNode{}, false
	}
	p.i++
	return e, true
}

// attrPath reads [URI ":"] ATTRNAME ["." subAttr], lower-cased.
func (p *refParser) attrPath() (uri, name, sub string, ok bool) {
	start := p.i
	for p.i < len(p.s) && refNameChar(p.s[p.i]) {
		p.i++
	}
	path := strings.ToLower(p.s[start:p.i])
	if path == "" {
		return "", "", "", false
	}
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		uri, path = path[:i], path[i+1:]
	}
	name, sub, _ = strings.Cut(path, ".")
	if name == "" || strings.Contains(sub, ".") || !unicode.IsLetter(rune(name[0])) && name[0] != '$' {
		return "", "", "", false
	}
	return uri, name, sub, true
}

func refNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_$:.", c) >= 0
}

func (p *refParser) operator() (string, bool) {
	for _, op := range []string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"} {
		if p.word(op, ']', ')') {
			return op, true
		}
	}
	return "", false
}

// value reads a JSON string, number, true, false or null.
func (p *refParser) value() (any, bool) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		j := p.i + 1
		for j < len(p.s) && p.s[j] != '"' {
			if p.s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(p.s) {
			return nil, false
		}
		lit := p.s[p.i : j+1]
		p.i = j + 1
		var s string
		if err := json.Unmarshal([]byte(lit), &s); err != nil {
			return refUndecodable{}, true
		}
		return s, true
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != ')' && p.s[p.i] != ']' {
		p.i++
	}
	word := strings.ToLower(p.s[start:p.i])
	switch word {
	case "true", "false", "null":
		return word, true // not a string: matches nothing
	}
	var n json.Number
	if err := json.Unmarshal([]byte(word), &n); err != nil || word == "" {
		return nil, false
	}
	return n, true
}

// refUndecodable is a quoted value that is no JSON string.
type refUndecodable struct{}

type refCompare struct {
	op    string
	value any
}

// str applies the comparison to an attribute value v.
func (c refCompare) str(v string, caseExact bool) bool {
	if c.op == "pr" {
		return v != ""
	}
	if v == "" {
		return false // no value: nothing compares with it
	}
	want, ok := c.value.(string)
	if !ok || len(want) > 1024 || !utf8.ValidString(want) || strings.IndexFunc(want, unicode.IsControl) >= 0 {
		return false
	}
	if !caseExact {
		v, want = strings.ToLower(v), strings.ToLower(want)
	}
	switch c.op {
	case "eq":
		return v == want
	case "ne":
		return v != want
	case "co":
		return strings.Contains(v, want)
	case "sw":
		return strings.HasPrefix(v, want)
	case "ew":
		return strings.HasSuffix(v, want)
	case "gt":
		return v > want
	case "ge":
		return v >= want
	case "lt":
		return v < want
	case "le":
		return v <= want
	}
	return false
}

// when applies the comparison to a time, as the response shows it (whole
// seconds).
func (c refCompare) when(v time.Time) bool {
	if c.op == "pr" {
		return !v.IsZero()
	}
	s, ok := c.value.(string)
	if !ok || len(s) > 1024 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return false
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return false
	}
	v = v.Truncate(time.Second)
	switch c.op {
	case "eq":
		return v.Equal(want)
	case "ne":
		return !v.Equal(want)
	case "gt":
		return v.After(want)
	case "ge":
		return !v.Before(want)
	case "lt":
		return v.Before(want)
	case "le":
		return !v.After(want)
	}
	return false
}

func refAttribute(g *refGroup, uri, name, sub string, c refCompare) bool {
	switch uri {
	case strings.ToLower(scimx.ExtensionSchema):
		switch {
		case sub != "":
			return false
		case name == "grouptype":
			return c.str(g.groupType, false)
		case name == "origin":
			return c.str(g.origin, false)
		}
		return false
	case "", strings.ToLower(scimx.GroupSchema):
	default:
		return false
	}
	switch {
	case name == "members" && (sub == "value" || sub == ""):
		for _, m := range g.members {
			if c.str(m.value, true) {
				return true
			}
		}
		return false
	case name == "meta" && sub == "resourcetype":
		return c.str("Group", true)
	case name == "meta" && sub == "version":
		return c.str(g.version, true)
	case name == "meta" && sub == "created":
		return c.when(g.created)
	case name == "meta" && sub == "lastmodified":
		return c.when(g.modified)
	case sub != "":
		return false
	case name == "id":
		return c.str(g.id, true)
	case name == "externalid":
		return c.str(g.externalID, true)
	case name == "displayname":
		return c.str(g.name, true)
	}
	return false
}

func refMemberAttribute(m refMember, uri, name, sub string, c refCompare) bool {
	if uri != "" || sub != "" {
		return false
	}
	switch name {
	case "value":
		return c.str(m.value, true)
	case "type":
		return c.str(m.typ, false)
	}
	return false
}
