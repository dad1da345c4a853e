package article

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	gosync "sync"
	"time"

	"github.com/groupsync/groupsync/group"
)

// ParseArgs parses the arguments of an example that takes none but -h.
// For -h (or --help) it writes usage to stdout and returns help true. For
// anything else it returns an error that ends with the usage, and writes
// nothing.
func ParseArgs(name, usage string, args []string, stdout io.Writer) (help bool, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		_, err = io.WriteString(stdout, usage)
		return true, err
	case err != nil:
		return false, fmt.Errorf("%w\n%s", err, strings.TrimSuffix(usage, "\n"))
	case fs.NArg() > 0:
		return false, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), strings.TrimSuffix(usage, "\n"))
	}
	return false, nil
}

// Printer writes the walk-through to W until the first error, which it
// keeps. It is not safe for concurrent use.
type Printer struct {
	// W receives what is printed.
	W io.Writer
	// Refuse lists text the printer must never print, such as an address
	// whose port differs on every run: printing it is an error instead.
	Refuse []string

	err error
}

// Printf formats as [fmt.Printf] does and writes the result, unless an
// earlier write failed or the result holds text of Refuse.
func (p *Printer) Printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	s := fmt.Sprintf(format, args...)
	for _, r := range p.Refuse {
		if r != "" && strings.Contains(s, r) {
			p.err = fmt.Errorf("refusing to print %q: %q", r, s)
			return
		}
	}
	_, p.err = io.WriteString(p.W, s)
}

// Err returns the first error of a write, or of a refused text.
func (p *Printer) Err() error { return p.err }

// Clock is the walk-through's clock: it stands still within a step, and
// [Run] moves it one minute at each step and each retry. It is safe for
// concurrent use, as an app reads it from its own goroutines.
type Clock struct {
	mu gosync.Mutex
	t  time.Time
}

// NewClock returns a clock that stands at start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Tick moves the clock one minute on.
func (c *Clock) Tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
}

// list renders members for people: sorted, comma-separated, "(none)" for
// none.
func list(m group.Members) string {
	if m.Len() == 0 {
		return "(none)"
	}
	return strings.Join(m.Slice(), ", ")
}

// groups says how many groups n is, in words for none and one.
func groups(n int) string {
	switch n {
	case 0:
		return "no group"
	case 1:
		return "one group"
	}
	return fmt.Sprintf("%d groups", n)
}

// plural says n of noun, adding an s for any number but one.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// dash shows an empty value as a dash.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stamp renders a time as the troubleshooting table's timestamps are given.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// indent prefixes every non-empty line of s, and every empty one with the
// prefix without its trailing spaces.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = prefix + l
		} else if l != "" {
			lines[i] = strings.TrimRight(prefix, " ") + l
		}
	}
	return strings.Join(lines, "")
}
