package conventions

import (
	"go/ast"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlock is a Go code block of the README.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestReadmeCodeIsCompiled: every Go code block of the README is a copy of
// part of a runnable Example of the module, so that it compiles and runs
// with the tests: its lines stand, in order, in one Example function (white
// space at the ends of lines aside).
func TestReadmeCodeIsCompiled(t *testing.T) {
	type example struct {
		name  string
		lines []string
	}
	var examples []example
	for _, f := range goFiles(t) {
		if !f.test {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Example") || fd.Body == nil {
				continue
			}
			body := string(src[fset.Position(fd.Body.Pos()).Offset:fset.Position(fd.Body.End()).Offset])
			examples = append(examples, example{f.path + ": " + fd.Name.Name, trimmedLines(body)})
		}
	}
	blocks := goBlock.FindAllStringSubmatch(readFile(t, "README.md"), -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no Go code block; it shows the main entry points")
	}
	for _, b := range blocks {
		want := trimmedLines(b[1])
		found := false
		for _, e := range examples {
			if inOrder(want, e.lines) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("this Go block of the README is not part of any Example function of the module:\n%s", b[1])
		}
	}
}

// trimmedLines returns the non-empty lines of s, trimmed.
func trimmedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// inOrder reports whether want is a subsequence of have.
func inOrder(want, have []string) bool {
	i := 0
	for _, h := range have {
		if i < len(want) && h == want[i] {
			i++
		}
	}
	return i == len(want)
}
