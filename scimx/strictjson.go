package scimx

import (
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidJSON: a body is not one strict JSON value; see [CheckJSON].
var ErrInvalidJSON = errors.New("invalid JSON")

// CheckJSON reports whether data is one JSON value (RFC 8259) that the
// service takes as it is written, with nothing resolved silently: valid
// UTF-8, no \u escape of a lone surrogate (both would become U+FFFD), no
// object with two keys that differ at most in letter case (SCIM attribute
// names are case-insensitive, and encoding/json would keep the last), no
// nesting deeper than maxDepth (at most 10,000; zero or less means 32),
// and nothing after the value but white space. It reads data once, in
// time linear in its length.
//
// [NewServer] checks every request body this way (R18); CheckJSON is for
// the app's own JSON APIs beside it. It returns nil or an error wrapping
// [ErrInvalidJSON] whose text says what is wrong and where.
func CheckJSON(data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = defaultJSONDepth
	}
	_, err := scanJSON(data, min(maxDepth, maxJSONDepth))
	if err != nil {
		return &jsonError{detail: err.Error()}
	}
	return nil
}

type jsonError struct{ detail string }

func (e *jsonError) Error() string { return "invalid JSON: " + e.detail }
func (e *jsonError) Unwrap() error { return ErrInvalidJSON }

// jsonFacts is what [scanJSON] notes of a SCIM request body on its way,
// for the limits and for the fixes the service applies before the SCIM
// library sees the body. Key names are compared case-insensitively.
type jsonFacts struct {
	// object: the value is an object; keys counts its keys.
	object bool
	keys   int
	// schemas: the object has a schemas key.
	schemas bool
	// operations counts the elements of the object's Operations array,
	// and paths holds, decoded, the string path of each that has one.
	operations int
	paths      []string
	// members counts member values: the elements of every members array
	// and of every operation's value array, and one for every members
	// object and operation value object (a path-less value's members
	// count beside it).
	members int
}

// role is what a value is to the facts.
type role uint8

const (
	roleOther      role = iota
	roleRoot            // the body
	roleOperations      // the body's Operations
	roleOperation       // an element of Operations
	roleOpValue         // an operation's value
	roleMembers         // a members attribute
)

// scanError is a refusal by [scanJSON]: what is wrong, at which byte.
type scanError struct {
	offset int
	what   string
}

func (e *scanError) Error() string {
	return e.what + " at byte " + strconv.Itoa(e.offset)
}

// scanner walks a JSON text once, recursively: its depth is bounded by
// maxDepth, so its stack is too.
type scanner struct {
	data     []byte
	i        int
	depth    int
	maxDepth int
	keys     []string // folded keys of the objects open, innermost last
	buf      []byte   // scratch for decoding strings
	facts    jsonFacts
	err      *scanError
}

// scanJSON checks data as [CheckJSON] does, with maxDepth in 1..10,000,
// and returns the facts of a SCIM body.
func scanJSON(data []byte, maxDepth int) (jsonFacts, error) {
	s := &scanner{data: data, maxDepth: maxDepth}
	s.space()
	if s.i == len(s.data) {
		return jsonFacts{}, &scanError{0, "the body is empty"}
	}
	if !s.value(roleRoot) {
		return jsonFacts{}, s.err
	}
	s.space()
	if s.i != len(s.data) {
		return jsonFacts{}, &scanError{s.i, "data follows the JSON value"}
	}
	return s.facts, nil
}

func (s *scanner) fail(what string) bool {
	if s.err == nil {
		s.err = &scanError{s.i, what}
	}
	return false
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value, in role r.
func (s *scanner) value(r role) bool {
	if s.i >= len(s.data) {
		return s.fail("the body ends inside a value")
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(r)
	case c == '[':
		return s.array(r)
	case c == '"':
		return s.str(false)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.fail("invalid character " + strconv.QuoteRune(rune(s.data[s.i])) + " where a value belongs")
}

func (s *scanner) enter() bool {
	if s.depth++; s.depth > s.maxDepth {
		return s.fail("the body nests deeper than " + strconv.Itoa(s.maxDepth) + " levels")
	}
	return true
}

func (s *scanner) object(r role) bool {
	if !s.enter() {
		return false
	}
	s.i++ // {
	base := len(s.keys)
	var seen map[string]bool // beyond a few keys
	defer func() { s.keys = s.keys[:base]; s.depth-- }()
	if r == roleRoot {
		s.facts.object = true
	}
	if r == roleMembers || r == roleOpValue {
		s.facts.members++
	}
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.fail("an object key must be a string")
		}
		start := s.i
		if !s.str(true) {
			return false
		}
		key := foldKey(s.buf)
		n := len(s.keys) - base
		switch {
		case seen != nil:
			if seen[key] {
				return s.duplicate(start)
			}
			seen[key] = true
		case n >= 8:
			seen = make(map[string]bool, 2*n)
			for _, k := range s.keys[base:] {
				seen[k] = true
			}
			if seen[key] {
				return s.duplicate(start)
			}
			seen[key] = true
		default:
			for _, k := range s.keys[base:] {
				if k == key {
					return s.duplicate(start)
				}
			}
		}
		s.keys = append(s.keys, key)
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.fail("a colon must follow an object key")
		}
		s.i++
		s.space()
		if !s.member(r, key) {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return s.fail("the body ends inside an object")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			if r == roleRoot {
				s.facts.keys = len(s.keys) - base
			}
			return true
		default:
			return s.fail("a comma or a closing brace must follow an object member")
		}
	}
}

func (s *scanner) duplicate(at int) bool {
	s.i = at
	return s.fail("the key " + strconv.Quote(string(s.buf)) +
		" appears twice in one object (SCIM attribute names are case-insensitive)")
}

// member scans the value of the key (folded) of an object in role r.
func (s *scanner) member(r role, key string) bool {
	switch {
	case r == roleRoot && key == "SCHEMAS":
		s.facts.schemas = true
	case r == roleRoot && key == "OPERATIONS":
		return s.value(roleOperations)
	case (r == roleRoot || r == roleOpValue) && key == "MEMBERS":
		return s.value(roleMembers)
	case r == roleOperation && key == "VALUE":
		return s.value(roleOpValue)
	case r == roleOperation && key == "PATH" && s.i < len(s.data) && s.data[s.i] == '"':
		if !s.str(true) {
			return false
		}
		s.facts.paths = append(s.facts.paths, string(s.buf))
		return true
	}
	return s.value(roleOther)
}

func (s *scanner) array(r role) bool {
	if !s.enter() {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // [
	elem := roleOther
	if r == roleOperations {
		elem = roleOperation
	}
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return true
	}
	for {
		s.space()
		if !s.value(elem) {
			return false
		}
		switch r {
		case roleOperations:
			s.facts.operations++
		case roleMembers, roleOpValue:
			s.facts.members++
		}
		s.space()
		if s.i >= len(s.data) {
			return s.fail("the body ends inside an array")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return s.fail("a comma or a closing bracket must follow an array element")
		}
	}
}

// str scans a string; with decode, it leaves its decoded bytes in s.buf.
func (s *scanner) str(decode bool) bool {
	s.i++ // "
	s.buf = s.buf[:0]
	for {
		start := s.i
		for s.i < len(s.data) {
			c := s.data[s.i]
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			s.i++
		}
		if decode {
			s.buf = append(s.buf, s.data[start:s.i]...)
		}
		if s.i >= len(s.data) {
			return s.fail("the body ends inside a string")
		}
		switch c := s.data[s.i]; {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return s.fail("a control character must be escaped in a string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && n == 1 {
				return s.fail("invalid UTF-8")
			}
			if decode {
				s.buf = append(s.buf, s.data[s.i:s.i+n]...)
			}
			s.i += n
		default: // backslash
			if !s.escape(decode) {
				return false
			}
		}
	}
}

// escape scans the escape at s.i.
func (s *scanner) escape(decode bool) bool {
	if s.i+1 >= len(s.data) {
		return s.fail("the body ends inside a string")
	}
	var b byte
	switch s.data[s.i+1] {
	case '"', '\\', '/':
		b = s.data[s.i+1]
	case 'b':
		b = '\b'
	case 'f':
		b = '\f'
	case 'n':
		b = '\n'
	case 'r':
		b = '\r'
	case 't':
		b = '\t'
	case 'u':
		r, ok := hex4(s.data, s.i+2)
		if !ok {
			return s.fail(`a \u escape needs four hex digits`)
		}
		n := 6
		switch {
		case 0xDC00 <= r && r <= 0xDFFF:
			return s.fail(`a lone surrogate escape (\u` + string(s.data[s.i+2:s.i+6]) + `)`)
		case 0xD800 <= r && r <= 0xDBFF:
			lo, ok := rune(0), false
			if s.i+7 < len(s.data) && s.data[s.i+6] == '\\' && s.data[s.i+7] == 'u' {
				lo, ok = hex4(s.data, s.i+8)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return s.fail(`a lone surrogate escape (\u` + string(s.data[s.i+2:s.i+6]) + `)`)
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			n = 12
		}
		if decode {
			s.buf = utf8.AppendRune(s.buf, r)
		}
		s.i += n
		return true
	default:
		return s.fail("an invalid escape in a string")
	}
	if decode {
		s.buf = append(s.buf, b)
	}
	s.i += 2
	return true
}

func (s *scanner) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.i += len(word)
	return true
}

// number scans a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	digits := func() int {
		start := s.i
		for s.i < len(s.data) && '0' <= s.data[s.i] && s.data[s.i] <= '9' {
			s.i++
		}
		return s.i - start
	}
	if s.data[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.data) && s.data[s.i] == '0':
		s.i++
	case digits() == 0:
		return s.fail("invalid number")
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	return true
}

// foldKey folds a key as strings.EqualFold compares keys: two keys it
// takes for one fold to the same string.
func foldKey(k []byte) string {
	ascii := true
	for _, c := range k {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && len(k) <= 32 {
		var buf [32]byte
		out := buf[:len(k)]
		for i, c := range k {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out[i] = c
		}
		// The keys of every member and operation, without an allocation.
		switch string(out) {
		case "VALUE":
			return "VALUE"
		case "DISPLAY":
			return "DISPLAY"
		case "TYPE":
			return "TYPE"
		case "$REF":
			return "$REF"
		case "OP":
			return "OP"
		case "PATH":
			return "PATH"
		}
		return string(out)
	}
	out := make([]byte, 0, len(k))
	if ascii {
		for _, c := range k {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
		}
		return string(out)
	}
	for _, r := range string(k) {
		out = utf8.AppendRune(out, foldRune(r))
	}
	return string(out)
}

// foldRune maps r to the smallest rune of its simple case-folding orbit:
// two runes that strings.EqualFold takes for one another (as the SCIM
// library compares attribute names, and as encoding/json matches keys to
// struct fields) fold to the same rune, K (U+212A) and k to K, ſ (U+017F)
// and s to S.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
