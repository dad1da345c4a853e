package sqlschema

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/sqltest"
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

// A panic in a transaction's function rolls it back: on SQLite the next
// writer, with a context that never ends, gets the write lock at once
// instead of waiting for a transaction nobody will finish.
func TestInTxRollsBackOnPanic(t *testing.T) {
	db := sqltest.Open(t, "sqlite", sqltest.SQLiteDSN(t))
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = InTx(ctx, db, sqldialect.SQLite, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES ('lost')`); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
	}()
	deadline, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := InTx(deadline, db, sqldialect.SQLite, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(deadline, `INSERT INTO t VALUES ('kept')`)
		return err
	})
	if err != nil {
		t.Fatalf("the write after a panicking transaction: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM t WHERE v = 'lost'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the panicking transaction's row: %d, %v; want it rolled back", n, err)
	}
	if open := db.Stats().InUse; open != 0 {
		t.Errorf("%d connections in use after both transactions, want 0", open)
	}
}
