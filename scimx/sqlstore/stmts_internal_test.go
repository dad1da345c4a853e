package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/sqldialect"

	_ "modernc.org/sqlite"
)

func openTestSQLite(t *testing.T) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "s.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(db, sqldialect.SQLite)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// A statement runs unprepared the first time, is prepared before the next
// transaction takes its connection, and is then taken from the cache.
func TestStatementsArePreparedOnce(t *testing.T) {
	s := openTestSQLite(t)
	ctx := context.Background()
	var used []bool
	for range 3 {
		err := s.Update(ctx, "acme", func(tx scimx.Tx) error {
			used = append(used, tx.(*sqlTx).stmts[sqliteLock] != nil)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(used) != "[false true true]" {
		t.Errorf("prepared lock statement used in three transactions: %v, want [false true true]", used)
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if s.stmts.stmts[sqliteLock] == nil || len(s.stmts.pending) != 0 {
		t.Errorf("cache holds %d statements, %d pending; want the lock statement among them and none pending", len(s.stmts.stmts), len(s.stmts.pending))
	}
}

// The cache holds at most maxStmts statements whatever the texts it is
// asked for, and drops a statement that does not prepare.
func TestStatementCacheIsBounded(t *testing.T) {
	s := openTestSQLite(t)
	for i := range 3 * maxStmts {
		if s.stmts.get(fmt.Sprintf("SELECT %d", i)) != nil {
			t.Fatalf("statement %d cached before it was prepared", i)
		}
	}
	s.stmts.get("SELECT FROM nowhere")
	s.stmts.prepare(context.Background(), s.db)
	for i := range 3 * maxStmts {
		s.stmts.get(fmt.Sprintf("SELECT %d", i))
	}
	s.stmts.prepare(context.Background(), s.db)
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if n := len(s.stmts.stmts) + len(s.stmts.pending); n > maxStmts {
		t.Errorf("cache holds %d statements and pending ones, want at most %d", n, maxStmts)
	}
	if len(s.stmts.stmts) < maxStmts-1 {
		t.Errorf("cache holds %d statements, want %d prepared", len(s.stmts.stmts), maxStmts-1)
	}
	if s.stmts.stmts["SELECT FROM nowhere"] != nil {
		t.Error("a statement that does not prepare is cached")
	}
}

func TestPadded(t *testing.T) {
	prev := 0
	sizes := map[int]bool{}
	for n := 1; n <= chunkSize; n++ {
		p := padded(n)
		if p < n || p > chunkSize || p < prev {
			t.Fatalf("padded(%d) = %d", n, p)
		}
		prev = p
		sizes[p] = true
	}
	if len(sizes) > 16 {
		t.Errorf("%d chunk sizes, want a few", len(sizes))
	}
}
