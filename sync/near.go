package sync

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// folder computes the keys under which two names nearly match (R6): Unicode
// NFC normalisation, full case folding, and white space trimmed and collapsed
// to single spaces. It is not safe for concurrent use.
type folder struct {
	fold cases.Caser
}

func newFolder() *folder { return &folder{fold: cases.Fold()} }

// key returns the near-match key of name.
func (f *folder) key(name string) string {
	if ascii(name) {
		return collapse(asciiLower(name))
	}
	s := norm.NFC.String(name)
	s = f.fold.String(s)
	s = norm.NFC.String(s)
	return collapse(s)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiLower is the full case folding of an ASCII string.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// collapse trims white space and folds every run of it into one space.
func collapse(s string) string {
	clean := true
	prevSpace := true // a leading space is not clean either
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}
