package scimx

import (
	"strconv"
	"unicode/utf8"
)

// Limits bound what one request may ask of the service (R18). Each is
// checked by a linear scan of the request before the SCIM library parses
// any of it, so that a request over a limit costs next to nothing, is
// refused whole with a SCIM error that names the limit, and changes
// nothing. A zero or negative field means its default; the defaults serve
// every client of WIRE.md with room to spare (a POST or PUT of 200,000
// members, a PATCH of 1,000 Okta operations) and keep the work of one
// request within about a second of CPU.
type Limits struct {
	// FilterLength bounds the filter of a list request, in bytes after
	// URL decoding: default 4,096, enough for an equality on the longest
	// value a group holds (1,024 bytes) with every character escaped.
	// Longer is 400 invalidFilter.
	FilterLength int
	// FilterDepth bounds the nesting of parentheses and brackets in a
	// filter and in a PATCH path's value filter: default 32. Deeper is 400
	// invalidFilter (invalidPath in a PATCH). The SCIM library's filter
	// parser recurses once per level and would otherwise exhaust the
	// stack, which kills the whole process.
	FilterDepth int
	// PathLength bounds each PATCH operation's path, in bytes: default
	// 4,096. Longer is 400 invalidPath.
	PathLength int
	// PathBytes bounds the paths of one PATCH request summed, in bytes:
	// default 131,072 (128 KiB), room for 1,000 removals of members with
	// 100-byte ids. More is 413. Parsing a path costs the SCIM library
	// several microseconds a byte.
	PathBytes int
	// Operations bounds the operations of one PATCH request: default
	// 1,000, Okta's largest batch. More is 413.
	Operations int
	// JSONDepth bounds the nesting of arrays and objects in a request
	// body: default 32, and never more than 10,000, the limit of
	// encoding/json. Deeper is 400 invalidSyntax.
	JSONDepth int
	// Members bounds the member values of one request: the elements of
	// every members list and of every PATCH operation's value list:
	// default 250,000. More is 413.
	Members int
}

// The defaults of [Limits].
const (
	defaultFilterLength = 4096
	defaultFilterDepth  = 32
	defaultPathLength   = 4096
	defaultPathBytes    = 128 << 10
	defaultOperations   = 1000
	defaultJSONDepth    = 32
	defaultMembers      = 250_000
	// maxJSONDepth is encoding/json's own nesting limit.
	maxJSONDepth = 10_000
)

// withDefaults returns l with every zero or negative field set to its
// default.
func (l Limits) withDefaults() Limits {
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.FilterLength, defaultFilterLength)
	set(&l.FilterDepth, defaultFilterDepth)
	set(&l.PathLength, defaultPathLength)
	set(&l.PathBytes, defaultPathBytes)
	set(&l.Operations, defaultOperations)
	set(&l.JSONDepth, defaultJSONDepth)
	set(&l.Members, defaultMembers)
	l.JSONDepth = min(l.JSONDepth, maxJSONDepth)
	return l
}

// checkExpression scans a filter or a PATCH path in one pass, without
// parsing it: it refuses one longer than maxLen bytes, nested deeper than
// maxDepth, not valid UTF-8, or holding a \u escape of a lone surrogate
// (which would decode to U+FFFD and match what it does not name). what
// names it in the refusal ("the filter", "the path of operation 3").
// Parentheses and brackets inside quoted strings do not count.
func checkExpression(what, e string, maxLen, maxDepth int) (detail string, ok bool) {
	if len(e) > maxLen {
		return what + " is " + strconv.Itoa(len(e)) + " bytes long, over the limit of " + strconv.Itoa(maxLen), false
	}
	if !utf8.ValidString(e) {
		return what + " is not valid UTF-8", false
	}
	depth, inString := 0, false
	for i := 0; i < len(e); i++ {
		c := e[i]
		if inString {
			switch c {
			case '"':
				inString = false
			case '\\':
				if i+1 < len(e) && e[i+1] == 'u' {
					n, ok := surrogateEscape(e, i)
					if !ok {
						return what + " holds a lone surrogate escape " + strconv.Quote(e[i:min(i+6, len(e))]), false
					}
					i += n - 1
					continue
				}
				i++ // the escaped character
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '(', '[':
			if depth++; depth > maxDepth {
				return what + " nests deeper than " + strconv.Itoa(maxDepth) + " levels", false
			}
		case ')', ']':
			depth--
		}
	}
	return "", true
}

// surrogateEscape looks at the \u escape at e[i:]: it returns how many
// bytes the escape takes (12 for a surrogate pair) and false for a lone
// surrogate. An escape that is not four hex digits is left to the parser.
func surrogateEscape(e string, i int) (int, bool) {
	r, ok := hex4(e, i+2)
	switch {
	case !ok:
		return 2, true
	case 0xDC00 <= r && r <= 0xDFFF:
		return 0, false
	case r < 0xD800 || r > 0xDBFF:
		return 6, true
	}
	if i+7 < len(e) && e[i+6] == '\\' && e[i+7] == 'u' {
		if lo, ok := hex4(e, i+8); ok && 0xDC00 <= lo && lo <= 0xDFFF {
			return 12, true
		}
	}
	return 0, false
}

// hex4 decodes the four hex digits at s[i:].
func hex4[S ~string | ~[]byte](s S, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := s[k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
