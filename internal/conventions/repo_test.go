package conventions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// module is the module path of go.mod.
const module = "github.com/groupsync/groupsync"

// goFile is a parsed Go file of the repository.
type goFile struct {
	path string // relative to root, with slashes
	dir  string // the package directory, relative to root
	test bool
	ast  *ast.File
}

var (
	parseOnce sync.Once
	parsed    []goFile
	parseErr  error
	fset      = token.NewFileSet()
)

// goFiles returns every Go file of the repository, parsed with comments.
func goFiles(t *testing.T) []goFile {
	t.Helper()
	parseOnce.Do(func() {
		parseErr = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(name, ".go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			parsed = append(parsed, goFile{path: rel, dir: filepath.ToSlash(filepath.Dir(rel)),
				test: strings.HasSuffix(name, "_test.go"), ast: f})
			return nil
		})
	})
	if parseErr != nil {
		t.Fatalf("parse the repository: %v", parseErr)
	}
	return parsed
}

// readFile returns a file of the repository.
func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNothingPointsOutsideTheRepository: a user who clones the module has
// none of the directories beside it that the project was started from; the
// specification and the wire shapes live in SPEC.md and WIRE.md.
func TestNothingPointsOutsideTheRepository(t *testing.T) {
	var bad []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".md", "":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "../"+"shared") {
			bad = append(bad, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bad {
		t.Errorf("%s points to ../%s, which a clone of the module does not have", p, "shared")
	}
	for _, name := range []string{"SPEC.md", "WIRE.md", "README.md"} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s is not in the repository: %v", name, err)
		}
	}
}

// stdlib reports whether an import path is of the standard library.
func stdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// imports returns, per package directory, the packages its non-test files
// import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range goFiles(t) {
		if f.test {
			continue
		}
		if _, ok := out[f.dir]; !ok {
			out[f.dir] = nil
		}
		for _, im := range f.ast.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[f.dir] = append(out[f.dir], p)
		}
	}
	return out
}

// deps returns the packages dir imports, directly or through other packages
// of the module.
func deps(all map[string][]string, dir string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(d string) {
		for _, p := range all[d] {
			if seen[p] {
				continue
			}
			seen[p] = true
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				visit(rel)
			}
		}
	}
	visit(dir)
	return seen
}

// TestDependenciesPointInward pins the layout of STYLE.md: origin is the
// leaf, group builds on it, the app's side never needs the push side, the
// push side never needs the SCIM server library, and nothing imports the
// examples.
func TestDependenciesPointInward(t *testing.T) {
	const elimity = "github.com/elimity-com/scim"
	all := imports(t)
	for _, dir := range []string{"origin", "group", "sync", "scimx", "scimx/scimclient"} {
		if _, ok := all[dir]; !ok {
			t.Fatalf("no package %s", dir)
		}
	}
	for _, p := range all["origin"] {
		if !stdlib(p) {
			t.Errorf("origin imports %s; it imports only the standard library", p)
		}
	}
	for _, p := range all["group"] {
		if !stdlib(p) && p != module+"/origin" {
			t.Errorf("group imports %s; it imports only origin and the standard library", p)
		}
	}
	for p := range deps(all, "scimx") {
		if p == module+"/sync" || strings.HasPrefix(p, module+"/sync/") {
			t.Errorf("scimx depends on %s: the app's side needs nothing of the push side", p)
		}
	}
	for _, dir := range []string{"sync", "scimx/scimclient"} {
		for p := range deps(all, dir) {
			if p == elimity || strings.HasPrefix(p, elimity+"/") {
				t.Errorf("%s depends on %s: the push side needs nothing of the SCIM server library", dir, p)
			}
		}
	}
	dirs := make([]string, 0, len(all))
	for dir := range all {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		for _, p := range all[dir] {
			if (p == elimity || strings.HasPrefix(p, elimity+"/")) && dir != "scimx" && !strings.HasPrefix(dir, "scimx/") {
				t.Errorf("%s imports %s: only packages under scimx/ import the SCIM server library", dir, p)
			}
			if strings.HasPrefix(p, module+"/examples") && !strings.HasPrefix(dir, "examples") {
				t.Errorf("%s imports %s: nothing outside examples/ imports them", dir, p)
			}
		}
	}
}

// TestExportedNamesAreDocumented: every exported name of every package but
// the examples' main packages has a doc comment: functions, methods of
// exported types, types, constants and variables (a group's comment counts
// for its members), exported fields of exported structs (a comment on the
// line or above, or a comment on the field list above covering several),
// and the methods of exported interfaces.
func TestExportedNamesAreDocumented(t *testing.T) {
	var missing []string
	note := func(n ast.Node, what string) {
		missing = append(missing, fset.Position(n.Pos()).String()+": "+what)
	}
	for _, f := range goFiles(t) {
		if f.test || f.ast.Name.Name == "main" {
			continue
		}
		for _, decl := range f.ast.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Recv != nil && !exportedRecv(d.Recv) {
					continue
				}
				if d.Doc == nil {
					note(d, "func "+d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						if s.Doc == nil && d.Doc == nil {
							note(s, "type "+s.Name.Name)
						}
						fieldsDocumented(s, note)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && s.Doc == nil && d.Doc == nil && s.Comment == nil {
								note(n, n.Name)
							}
						}
					}
				}
			}
		}
	}
	for _, m := range missing {
		t.Errorf("%s has no doc comment", m)
	}
}

// exportedRecv reports whether a method's receiver type is exported.
func exportedRecv(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if g, ok := typ.(*ast.IndexExpr); ok {
		typ = g.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// fieldsDocumented notes the exported fields of a struct type, and the
// methods of an interface type, that no comment covers: a field is covered
// by its own comment, or by the comment of an earlier field of the same
// block (fields written one after the other, without an empty line).
func fieldsDocumented(s *ast.TypeSpec, note func(ast.Node, string)) {
	var list *ast.FieldList
	switch typ := s.Type.(type) {
	case *ast.StructType:
		list = typ.Fields
	case *ast.InterfaceType:
		list = typ.Methods
	default:
		return
	}
	covered := false
	prevEnd := 0
	for _, f := range list.List {
		line := fset.Position(f.Pos()).Line
		if f.Doc != nil {
			covered = true
		} else if line > prevEnd+1 {
			covered = false // an empty line ends a commented block
		}
		prevEnd = fset.Position(f.End()).Line
		if f.Comment != nil || covered {
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() {
				note(n, s.Name.Name+"."+n.Name)
			}
		}
	}
}
