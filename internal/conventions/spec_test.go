package conventions

import (
	"go/ast"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	// ruleHeading is a rule's heading in SPEC.md: "### R5. Associate by
	// exact name", whose link is SPEC.md#r5-associate-by-exact-name.
	ruleHeading = regexp.MustCompile(`(?m)^### R(\d+)\. (\S.*)$`)
	// ruleParagraph is the form rules had before they had headings.
	ruleParagraph = regexp.MustCompile(`(?m)^R\d+\. \*\*`)
	// ruleTestName is a test function named after a rule: TestR5…,
	// FuzzR8….
	ruleTestName = regexp.MustCompile(`^(?:Test|Fuzz)R(\d+)(?:[^0-9]|$)`)
	// ruleRowName is a table row or subtest named after a rule: "R5 …".
	ruleRowName = regexp.MustCompile(`^R(\d+) `)
	// tableRow is a row of the README's rule table: "| R5 | … | … |".
	tableRow = regexp.MustCompile(`(?m)^\| R(\d+) \|.*\|\s*$`)
	// testRef is a test named in the README's rule table.
	testRef = regexp.MustCompile("`((?:Test|Fuzz|Example|Benchmark)[A-Za-z0-9_]*)[^`]*`")
)

// rules returns the rule ids of SPEC.md in order.
func rules(t *testing.T) []int {
	t.Helper()
	var ids []int
	for _, m := range ruleHeading.FindAllStringSubmatch(readFile(t, "SPEC.md"), -1) {
		n, _ := strconv.Atoi(m[1])
		ids = append(ids, n)
	}
	if len(ids) == 0 {
		t.Fatal("SPEC.md has no rule headings (### R1. …)")
	}
	return ids
}

// TestSpecHasAHeadingPerRule: every rule of SPEC.md has a heading of its
// own, so that each has a stable link, and the ids increase down the page
// without repeats. (An id may be missing for a while: issues name the ids
// of the rules they add, and land in any order.)
func TestSpecHasAHeadingPerRule(t *testing.T) {
	spec := readFile(t, "SPEC.md")
	for _, m := range ruleParagraph.FindAllString(spec, -1) {
		t.Errorf("SPEC.md has a rule without a heading of its own: %q", m)
	}
	ids := rules(t)
	if ids[0] != 1 {
		t.Errorf("SPEC.md's first rule is R%d, want R1", ids[0])
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("SPEC.md's rule headings run %v: R%d follows R%d", ids, ids[i], ids[i-1])
		}
	}
}

// TestEveryRuleIsPinnedByATest: the unit tests are the executable form of
// SPEC.md, so every rule is named by at least one test: a test function
// named TestR<n>… or FuzzR<n>…, or a table row or subtest whose name
// starts with "R<n> ".
func TestEveryRuleIsPinnedByATest(t *testing.T) {
	named := map[int][]string{}
	for _, f := range goFiles(t) {
		if !f.test {
			continue
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if m := ruleTestName.FindStringSubmatch(n.Name.Name); m != nil {
					id, _ := strconv.Atoi(m[1])
					named[id] = append(named[id], f.path+": "+n.Name.Name)
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				if m := ruleRowName.FindStringSubmatch(s); m != nil {
					id, _ := strconv.Atoi(m[1])
					named[id] = append(named[id], f.path+": "+strconv.Quote(s))
				}
			}
			return true
		})
	}
	ids := rules(t)
	for _, id := range ids {
		if len(named[id]) == 0 {
			t.Errorf("rule R%d of SPEC.md is named by no test: name a test TestR%d… or a table row \"R%d …\"", id, id, id)
		}
	}
	for id, where := range named {
		if !slices.Contains(ids, id) {
			t.Errorf("tests name R%d, which SPEC.md does not have: %s", id, where[0])
		}
	}
}

// TestReadmeRuleTable: the README's rule table has one row per rule of
// SPEC.md, in order, and every test it names exists.
func TestReadmeRuleTable(t *testing.T) {
	readme := readFile(t, "README.md")
	var rows []int
	var table strings.Builder
	for _, m := range tableRow.FindAllStringSubmatch(readme, -1) {
		n, _ := strconv.Atoi(m[1])
		rows = append(rows, n)
		table.WriteString(m[0] + "\n")
	}
	if want := rules(t); !slices.Equal(rows, want) {
		t.Errorf("the README's rule table has rows for rules %v, want one row per rule of SPEC.md, in order: %v", rows, want)
	}
	// funcs holds the test functions of each package directory.
	funcs := map[string]map[string]bool{}
	for _, f := range goFiles(t) {
		for _, d := range f.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && f.test && fd.Recv == nil {
				if funcs[f.dir] == nil {
					funcs[f.dir] = map[string]bool{}
				}
				funcs[f.dir][fd.Name.Name] = true
			}
		}
	}
	// A row's tests are groups "`pkg`, `pkg`: `TestA`, `TestB/R5…`"
	// separated by "; ".
	for _, row := range strings.Split(strings.TrimSpace(table.String()), "\n") {
		cells := strings.Split(row, " | ")
		tests := strings.TrimSuffix(strings.TrimSpace(cells[len(cells)-1]), "|")
		for _, group := range strings.Split(tests, "; ") {
			pkgs, names, ok := strings.Cut(group, ": ")
			if !ok {
				t.Errorf("README rule table row %q: %q does not say which package its tests are in (`pkg`: `TestX`)", cells[0], group)
				continue
			}
			var dirs []string
			for _, p := range strings.Split(pkgs, ", ") {
				dirs = append(dirs, strings.Trim(p, "`"))
			}
			for _, m := range testRef.FindAllStringSubmatch(names, -1) {
				if !testExists(funcs, dirs, m[1], strings.HasPrefix(m[0][len(m[1])+1:], "…")) {
					t.Errorf("the README's rule table names %s in %s, which has no such test", m[0], strings.Join(dirs, " or "))
				}
			}
		}
	}
}

// testExists reports whether a test function of that name (or, with
// prefix, of a name that starts so) is in one of dirs.
func testExists(funcs map[string]map[string]bool, dirs []string, name string, prefix bool) bool {
	for _, dir := range dirs {
		if funcs[dir][name] {
			return true
		}
		if prefix {
			for f := range funcs[dir] {
				if strings.HasPrefix(f, name) {
					return true
				}
			}
		}
	}
	return false
}
