// Package tabletest keeps the module's table-driven tests honest, the way
// go-cmp's tests refuse a bad row: every row of a table has a name (which
// starts with the rule of SPEC.md it pins, where it pins one), the name is
// its own, and a reason says why the outcome the row wants is right.
package tabletest

import (
	"reflect"
	"strings"
	"testing"
)

// Check fails t at once, before any row runs, when a row of table has an
// empty name, an empty reason, or the name of an earlier row. table is a
// slice of structs with string fields named name (or Name) and reason (or
// Reason); Check panics on anything else, since that is a mistake in the
// test itself.
func Check(t testing.TB, table any) {
	t.Helper()
	v := reflect.ValueOf(table)
	if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Struct {
		panic("tabletest: Check needs a slice of structs, not " + v.Type().String())
	}
	elem := v.Type().Elem()
	name, reason := field(elem, "name"), field(elem, "reason")
	seen := make(map[string]int, v.Len())
	for i := range v.Len() {
		row := v.Index(i)
		n, r := row.Field(name).String(), row.Field(reason).String()
		switch first, dup := seen[n]; {
		case strings.TrimSpace(n) == "":
			t.Fatalf("row %d has no name", i)
		case dup:
			t.Fatalf("rows %d and %d are both named %q", first, i, n)
		case strings.TrimSpace(r) == "":
			t.Fatalf("row %q has no reason", n)
		}
		seen[n] = i
	}
}

// field returns the index of the string field of struct type typ named
// name, in lower case or capitalised.
func field(typ reflect.Type, name string) int {
	for i := range typ.NumField() {
		f := typ.Field(i)
		if (f.Name == name || f.Name == strings.ToUpper(name[:1])+name[1:]) && f.Type.Kind() == reflect.String {
			return i
		}
	}
	panic("tabletest: rows of " + typ.String() + " have no string field " + name)
}
