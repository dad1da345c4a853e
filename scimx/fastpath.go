package scimx

import (
	filter "github.com/scim2/filter-parser/v2"
)

// The fast path recognises the few PATCH paths and filters that real
// clients send (WIRE.md) in one pass over their bytes, and builds the very
// tree the SCIM library's parser (github.com/scim2/filter-parser) builds
// for them, at the cost of a few allocations per expression rather than
// thousands: that parser costs about 150 µs and 4,000 allocations for
// one members[value eq "…"] path. Whatever it does not recognise, it
// declines (ok false), and the caller parses it with filter-parser as
// before; it never refuses anything itself. FuzzFastPath checks that on
// every input it either declines or agrees with filter-parser.
//
// The grammar it recognises, a subset of filter-parser's (RFC 7644 section
// 3.4.2.2 with filter-parser's spacing rules: SP is one space, and only a
// space counts):
//
//	path      = name / name *SP "[" *SP valueExpr *SP "]"
//	filter    = term *(1*SP "and" 1*SP term)
//	term      = name *SP "[" *SP valueExpr *SP "]" / valueExpr
//	valueExpr = name 1*SP compareOp 1*SP string
//	name      = ALPHA *(ALPHA / DIGIT / "-" / "_")
//	compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//	string    = DQUOTE *(char / escape) DQUOTE
//
// Keywords and operators match in any letter case, as filter-parser's do;
// a char is any byte but a control character, DQUOTE and the backslash
// (filter-parser reads bytes that are not UTF-8 as U+FFFD, which it
// accepts), and an escape is one of JSON's with upper-case hex digits, the
// only ones filter-parser accepts. A compare value keeps its escapes, as
// filter-parser leaves them. Names with a URI prefix or a sub-attribute,
// not, or, parentheses, pr and values other than strings are declined.

// fastPath parses a PATCH path as [filter.ParsePath] does, or declines.
func fastPath(s string) (filter.Path, bool) {
	p := fastParser{s: s}
	name, ok := p.name()
	if !ok {
		return filter.Path{}, false
	}
	if p.end() {
		return filter.Path{AttributePath: filter.AttributePath{AttributeName: name}}, true
	}
	e, ok := p.bracket()
	if !ok || !p.end() {
		return filter.Path{}, false
	}
	return filter.Path{AttributePath: filter.AttributePath{AttributeName: name}, ValueExpression: e}, true
}

// fastFilter parses a filter as [filter.ParseFilter] does, or declines.
// A chain of and is grouped from the left, as filter-parser groups it.
func fastFilter(s string) (filter.Expression, bool) {
	p := fastParser{s: s}
	left, ok := p.term()
	if !ok {
		return nil, false
	}
	for !p.end() {
		if p.spaces() == 0 || !p.keyword("and") || p.spaces() == 0 {
			return nil, false
		}
		right, ok := p.term()
		if !ok {
			return nil, false
		}
		left = &filter.LogicalExpression{Left: left, Right: right, Operator: filter.AND}
	}
	return left, true
}

// fastParser reads s from i on.
type fastParser struct {
	s string
	i int
}

func (p *fastParser) end() bool { return p.i == len(p.s) }

// spaces skips spaces and returns how many there were.
func (p *fastParser) spaces() int {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	return p.i - start
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// name reads an attribute name without a URI prefix or a sub-attribute:
// one followed by a colon or a dot is declined.
func (p *fastParser) name() (string, bool) {
	start := p.i
	if p.end() || !isAlpha(p.s[p.i]) {
		return "", false
	}
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			break
		}
	}
	if !p.end() && (p.s[p.i] == ':' || p.s[p.i] == '.') {
		return "", false
	}
	return p.s[start:p.i], true
}

// keyword reads word (lower case) in any letter case.
func (p *fastParser) keyword(word string) bool {
	if len(p.s)-p.i < len(word) {
		return false
	}
	for k := 0; k < len(word); k++ {
		if p.s[p.i+k]|0x20 != word[k] {
			return false
		}
	}
	p.i += len(word)
	return true
}

// compareOps are the operators a valueExpr takes, as filter-parser names
// them.
var compareOps = [...]filter.CompareOperator{filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW,
	filter.GT, filter.LT, filter.GE, filter.LE}

// compareOp reads a comparison operator other than pr.
func (p *fastParser) compareOp() (filter.CompareOperator, bool) {
	for _, op := range compareOps {
		if p.keyword(string(op)) {
			return op, true
		}
	}
	return "", false
}

// term reads a term of a filter: a value path or an attribute expression.
func (p *fastParser) term() (filter.Expression, bool) {
	start := p.i
	name, ok := p.name()
	if !ok {
		return nil, false
	}
	p.spaces()
	if !p.end() && p.s[p.i] == '[' {
		e, ok := p.bracket()
		if !ok {
			return nil, false
		}
		return &filter.ValuePath{AttributePath: filter.AttributePath{AttributeName: name}, ValueFilter: e}, true
	}
	p.i = start
	return p.valueExpr()
}

// bracket reads "[" *SP valueExpr *SP "]" after the spaces that follow a
// name.
func (p *fastParser) bracket() (*filter.AttributeExpression, bool) {
	p.spaces()
	if p.end() || p.s[p.i] != '[' {
		return nil, false
	}
	p.i++
	p.spaces()
	e, ok := p.valueExpr()
	if !ok {
		return nil, false
	}
	p.spaces()
	if p.end() || p.s[p.i] != ']' {
		return nil, false
	}
	p.i++
	return e, true
}

// valueExpr reads name 1*SP compareOp 1*SP string.
func (p *fastParser) valueExpr() (*filter.AttributeExpression, bool) {
	name, ok := p.name()
	if !ok || p.spaces() == 0 {
		return nil, false
	}
	op, ok := p.compareOp()
	if !ok || p.spaces() == 0 {
		return nil, false
	}
	v, ok := p.str()
	if !ok {
		return nil, false
	}
	return &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: name}, Operator: op, CompareValue: v}, true
}

// str reads a quoted string and returns what is between the quotes, its
// escapes kept.
func (p *fastParser) str() (string, bool) {
	if p.end() || p.s[p.i] != '"' {
		return "", false
	}
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			return v, true
		case c < 0x20:
			return "", false
		case c == '\\':
			if !p.escape() {
				return "", false
			}
			continue
		}
		p.i++
	}
	return "", false
}

// escape reads one escape, as filter-parser accepts it.
func (p *fastParser) escape() bool {
	if p.i+1 >= len(p.s) {
		return false
	}
	switch p.s[p.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.i += 2
		return true
	case 'u':
		if p.i+6 > len(p.s) {
			return false
		}
		for k := p.i + 2; k < p.i+6; k++ {
			c := p.s[k]
			if !('0' <= c && c <= '9') && !('A' <= c && c <= 'F') {
				return false
			}
		}
		p.i += 6
		return true
	}
	return false
}
