package sqlschema

import (
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/sqldialect"
)

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, sqlite, postgres, reason string }{
		{"no placeholders", "SELECT 1", "SELECT 1", "SELECT 1",
			"a query without ? has nothing to rebind in either dialect"},
		{"placeholders in order", "a = ? AND b IN (?, ?)", "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)",
			"SQLite takes ? as written; PostgreSQL wants $1, $2, … numbered in the order the arguments are passed"},
		{"multi-byte text before a placeholder", "名 = ?", "名 = ?", "名 = $1",
			"rebinding must keep a multi-byte UTF-8 character whole and still count the placeholder after it"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Rebind(sqldialect.SQLite, tt.in); got != tt.sqlite {
				t.Errorf("Rebind(sqlite, %q) = %q, want %q (%s)", tt.in, got, tt.sqlite, tt.reason)
			}
			if got := Rebind(sqldialect.Postgres, tt.in); got != tt.postgres {
				t.Errorf("Rebind(postgres, %q) = %q, want %q (%s)", tt.in, got, tt.postgres, tt.reason)
			}
		})
	}
}
