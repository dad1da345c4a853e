// Package statefile keeps a push's state (links, last-pushed snapshots,
// statuses and the last plan) in one JSON file, for the examples. Every
// change rewrites the file atomically (a temporary file renamed over it).
package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	groupsync "github.com/groupsync/groupsync/sync"
)

// Store is a [groupsync.Store] backed by a JSON file.
type Store struct {
	path string
	mu   gosync.Mutex // serialises writes of the file
	mem  groupsync.MemStore
}

var _ groupsync.Store = (*Store)(nil)

// Open reads the state at path; a missing file is an empty state.
func Open(path string) (*Store, error) {
	s := &Store{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var st groupsync.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	ctx := context.Background()
	for _, l := range st.Links {
		_ = s.mem.Link(ctx, l)
	}
	for _, x := range st.Statuses {
		_ = s.mem.SetStatus(ctx, x)
	}
	if st.LastPlan != nil {
		_ = s.mem.SavePlan(ctx, *st.LastPlan)
	}
	return s, nil
}

// Load implements [groupsync.Store].
func (s *Store) Load(ctx context.Context) (groupsync.State, error) { return s.mem.Load(ctx) }

// Link implements [groupsync.Store].
func (s *Store) Link(ctx context.Context, l groupsync.Link) error {
	return s.write(ctx, func() error { return s.mem.Link(ctx, l) })
}

// Pushed implements [groupsync.Store].
func (s *Store) Pushed(ctx context.Context, sourceID string, c groupsync.Change) error {
	return s.write(ctx, func() error { return s.mem.Pushed(ctx, sourceID, c) })
}

// Unlink implements [groupsync.Store].
func (s *Store) Unlink(ctx context.Context, sourceID string) error {
	return s.write(ctx, func() error { return s.mem.Unlink(ctx, sourceID) })
}

// SetStatus implements [groupsync.Store].
func (s *Store) SetStatus(ctx context.Context, st groupsync.Status) error {
	return s.write(ctx, func() error { return s.mem.SetStatus(ctx, st) })
}

// SavePlan implements [groupsync.Store].
func (s *Store) SavePlan(ctx context.Context, p groupsync.Plan) error {
	return s.write(ctx, func() error { return s.mem.SavePlan(ctx, p) })
}

// Lease implements [groupsync.Store] within this process.
func (s *Store) Lease(ctx context.Context, owner string, ttl time.Duration) (func(context.Context) error, error) {
	return s.mem.Lease(ctx, owner, ttl)
}

// write applies change in memory and rewrites the file.
func (s *Store) write(ctx context.Context, change func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := change(); err != nil {
		return err
	}
	st, err := s.mem.Load(ctx)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}
