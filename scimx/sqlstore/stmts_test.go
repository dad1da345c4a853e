package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// Member lists of every size around the padded chunk sizes (stmts.go)
// are written and read exactly: a chunk padded with a repeat of its last
// value adds, removes and finds each value once, and a list longer than a
// chunk loses nothing at the boundary.
func TestChunkSizes(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s := newStore(t, d.pools(t, 1)[0], d.dialect)
			ctx := context.Background()
			for _, n := range []int{1, 2, 8, 9, 16, 17, 255, 256, 257, 299, 300, 301, 601, 650} {
				ids := make([]string, n)
				for i := range ids {
					ids[i] = fmt.Sprintf("m%d-%04d", n, i)
				}
				var id string
				err := s.Update(ctx, "acme", func(tx scimx.Tx) error {
					rec, err := tx.Create(group.Group{Name: fmt.Sprint("size ", n), Origin: origin.Source, Members: group.NewMembers(ids...)})
					id = rec.ID
					return err
				})
				if err != nil {
					t.Fatalf("create %d members: %v", n, err)
				}
				// Remove every second value, add as many new ones (and one
				// present one, which stays once).
				var remove, add []string
				want := []string{}
				for i, m := range ids {
					if i%2 == 0 {
						remove = append(remove, m)
					} else {
						want = append(want, m)
					}
				}
				for i := range len(remove) {
					m := fmt.Sprintf("n%d-%04d", n, i)
					add, want = append(add, m), append(want, m)
				}
				if n > 1 {
					add = append(add, ids[1])
				}
				slices.Sort(want)
				err = s.Update(ctx, "acme", func(tx scimx.Tx) error {
					_, err := tx.Change(id, scimx.Change{Remove: remove, Add: add})
					return err
				})
				if err != nil {
					t.Fatalf("change %d members: %v", n, err)
				}
				err = s.View(ctx, "acme", func(tx scimx.Tx) error {
					rec, err := tx.Group(id, true)
					if err != nil {
						return err
					}
					if diff := cmp.Diff(want, rec.Members.Slice()); diff != "" {
						t.Errorf("members of the group of %d after the change (-want +got):\n%s", n, diff)
					}
					probe := append(slices.Clone(ids[:n/2]), id, "no such group")
					got, err := tx.GroupIDs(probe)
					if err != nil {
						return err
					}
					if diff := cmp.Diff([]string{id}, got); diff != "" {
						t.Errorf("GroupIDs of %d values (-want +got):\n%s", len(probe), diff)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// With a pool of one connection, concurrent writers and readers all get
// through: a transaction never waits for a second connection to prepare
// a statement (stmts.go).
func TestStatementsNeedNoSecondConnection(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := d.pools(t, 1)[0]
			db.SetMaxOpenConns(1)
			s := newStore(t, db, d.dialect)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var id string
			err := s.Update(ctx, "acme", func(tx scimx.Tx) error {
				rec, err := tx.Create(group.Group{Name: "Everyone", Origin: origin.Source})
				id = rec.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						m := fmt.Sprintf("w%d-%d", w, i)
						err := s.Update(ctx, "acme", func(tx scimx.Tx) error {
							if _, err := tx.HasMember(id, m); err != nil {
								return err
							}
							_, err := tx.Change(id, scimx.Change{Add: []string{m}})
							return err
						})
						if err == nil {
							err = s.View(ctx, "acme", func(tx scimx.Tx) error {
								in, err := tx.HasMember(id, m)
								if err == nil && !in {
									err = fmt.Errorf("%s is not a member after its add", m)
								}
								return err
							})
						}
						if err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			err = s.View(ctx, "acme", func(tx scimx.Tx) error {
				rec, err := tx.Group(id, true)
				if err == nil && rec.Members.Len() != 8*20 {
					t.Errorf("%d members, want %d", rec.Members.Len(), 8*20)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
