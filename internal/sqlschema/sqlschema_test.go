package sqlschema

import (
	"testing"

	"github.com/groupsync/groupsync/sqldialect"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, sqlite, postgres string }{
		{"SELECT 1", "SELECT 1", "SELECT 1"},
		{"a = ? AND b IN (?, ?)", "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{"名 = ?", "名 = ?", "名 = $1"},
	}
	for _, tt := range tests {
		if got := Rebind(sqldialect.SQLite, tt.in); got != tt.sqlite {
			t.Errorf("Rebind(sqlite, %q) = %q, want %q", tt.in, got, tt.sqlite)
		}
		if got := Rebind(sqldialect.Postgres, tt.in); got != tt.postgres {
			t.Errorf("Rebind(postgres, %q) = %q, want %q", tt.in, got, tt.postgres)
		}
	}
}
