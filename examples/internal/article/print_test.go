package article

import (
	"errors"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
)

func TestIndent(t *testing.T) {
	tests := []struct {
		name, in, want string
		reason         string
	}{
		{"empty", "", "", "nothing to prefix"},
		{"one line", "a\n", "  | a\n", "a line gets the prefix"},
		{"no final newline", "a", "  | a", "the last line is prefixed too"},
		{"blank line", "a\n\nb\n", "  | a\n  |\n  | b\n", "a blank line gets the prefix without its trailing space, as a plan's separators"},
		{"white-space line", "a\n  \n", "  | a\n  |  \n", "a line of spaces counts as blank and keeps its spaces"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		if got := indent(tt.in, "  | "); got != tt.want {
			t.Errorf("%s: indent(%q) = %q, want %q (%s)", tt.name, tt.in, got, tt.want, tt.reason)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name, got, want string
		reason          string
	}{
		{"no group", groups(0), "no group", "none reads as words"},
		{"one group", groups(1), "one group", "one reads as a word"},
		{"groups", groups(3), "3 groups", "more are counted"},
		{"no writes", plural(0, "write"), "0 writes", "zero takes the plural"},
		{"one write", plural(1, "write"), "1 write", "one takes the singular"},
		{"no value", dash(""), "-", "an empty cell shows a dash"},
		{"value", dash("x"), "x", "a value shows as itself"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q (%s)", tt.name, tt.got, tt.want, tt.reason)
		}
	}
}

// failing is a writer that fails every write.
type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errFailing }

var errFailing = errors.New("write failed")

func TestPrinter(t *testing.T) {
	tests := []struct {
		name    string
		refuse  []string
		prints  []string
		want    string
		wantErr bool
		reason  string
	}{
		{"prints", nil, []string{"a\n", "b\n"}, "a\nb\n", false, "every print is written"},
		{"refuses", []string{"127.0.0.1:5"}, []string{"a\n", "at 127.0.0.1:5\n", "b\n"}, "a\n", true,
			"a refused text is an error, and nothing is written after it"},
		{"empty refusal", []string{""}, []string{"a\n"}, "a\n", false, "an empty text refuses nothing"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		var b strings.Builder
		p := &Printer{W: &b, Refuse: tt.refuse}
		for _, s := range tt.prints {
			p.Printf("%s", s)
		}
		if b.String() != tt.want || (p.Err() != nil) != tt.wantErr {
			t.Errorf("%s: got %q, error %v; want %q, error %t (%s)", tt.name, b.String(), p.Err(), tt.want, tt.wantErr, tt.reason)
		}
	}

	p := &Printer{W: failing{}}
	p.Printf("a")
	p.Printf("b")
	if !errors.Is(p.Err(), errFailing) {
		t.Errorf("got error %v after a failed write, want %v", p.Err(), errFailing)
	}
}
