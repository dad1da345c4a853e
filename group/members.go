package group

import (
	"encoding/json"
	"iter"
	"slices"
	"strings"
)

// Members is an immutable set of member ids, kept sorted by byte order and
// free of duplicates. The zero value is the empty set.
//
// Members values may be copied and shared between goroutines freely: no
// method changes a set in place. Contains costs O(log n); With, Without,
// Diff and Equal cost one linear merge (plus sorting their arguments).
type Members struct {
	ids []string // sorted, unique; never written after construction
}

// NewMembers returns the set of the given ids. It copies ids, so the caller
// keeps its slice.
func NewMembers(ids ...string) Members {
	return fromOwned(slices.Clone(ids))
}

// fromOwned sorts and de-duplicates s in place and returns it as a set.
func fromOwned(s []string) Members {
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
	return Members{slices.Clip(slices.Compact(s))}
}

// Len returns the number of members.
func (m Members) Len() int { return len(m.ids) }

// Contains reports whether id is a member.
func (m Members) Contains(id string) bool {
	_, ok := slices.BinarySearch(m.ids, id)
	return ok
}

// All returns the members in ascending byte order.
func (m Members) All() iter.Seq[string] {
	return slices.Values(m.ids)
}

// Slice returns the members in ascending byte order, in a new slice.
func (m Members) Slice() []string {
	return slices.Clone(m.ids)
}

// Equal reports whether m and o hold the same members.
func (m Members) Equal(o Members) bool {
	return slices.Equal(m.ids, o.ids)
}

// With returns m with ids added. It leaves m unchanged.
func (m Members) With(ids ...string) Members {
	add := NewMembers(ids...)
	if add.Len() == 0 {
		return m
	}
	out := make([]string, 0, len(m.ids)+len(add.ids))
	i, j := 0, 0
	for i < len(m.ids) && j < len(add.ids) {
		switch c := strings.Compare(m.ids[i], add.ids[j]); {
		case c < 0:
			out = append(out, m.ids[i])
			i++
		case c > 0:
			out = append(out, add.ids[j])
			j++
		default:
			out = append(out, m.ids[i])
			i++
			j++
		}
	}
	out = append(out, m.ids[i:]...)
	out = append(out, add.ids[j:]...)
	return Members{slices.Clip(out)}
}

// Without returns m with ids removed. It leaves m unchanged.
func (m Members) Without(ids ...string) Members {
	drop := NewMembers(ids...)
	if drop.Len() == 0 || m.Len() == 0 {
		return m
	}
	out := make([]string, 0, len(m.ids))
	j := 0
	for _, id := range m.ids {
		for j < len(drop.ids) && drop.ids[j] < id {
			j++
		}
		if j < len(drop.ids) && drop.ids[j] == id {
			continue
		}
		out = append(out, id)
	}
	return Members{slices.Clip(out)}
}

// Diff returns what turns m into want: the ids of want missing from m, and
// the ids of m missing from want, both sorted. It costs two linear merges and
// one allocation; both results are nil when m equals want.
func (m Members) Diff(want Members) (add, remove []string) {
	nAdd, nRemove := diff(m.ids, want.ids, nil, nil)
	if nAdd+nRemove == 0 {
		return nil, nil
	}
	buf := make([]string, nAdd+nRemove)
	add, remove = buf[:nAdd:nAdd], buf[nAdd:]
	diff(m.ids, want.ids, add, remove)
	if nAdd == 0 {
		add = nil
	}
	if nRemove == 0 {
		remove = nil
	}
	return add, remove
}

// diff merges the sorted, unique slices have and want and counts the
// elements only want holds (adds) and only have holds (removes). When add
// and remove are non-nil it also stores them there; they must be long enough.
func diff(have, want, add, remove []string) (nAdd, nRemove int) {
	fill := add != nil || remove != nil
	i, j := 0, 0
	for i < len(have) && j < len(want) {
		switch c := strings.Compare(have[i], want[j]); {
		case c < 0:
			if fill {
				remove[nRemove] = have[i]
			}
			nRemove++
			i++
		case c > 0:
			if fill {
				add[nAdd] = want[j]
			}
			nAdd++
			j++
		default:
			i++
			j++
		}
	}
	if fill {
		copy(remove[nRemove:], have[i:])
		copy(add[nAdd:], want[j:])
	}
	return nAdd + len(want) - j, nRemove + len(have) - i
}

// MarshalJSON encodes m as a sorted JSON array of strings.
func (m Members) MarshalJSON() ([]byte, error) {
	if m.ids == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(m.ids)
}

// UnmarshalJSON decodes a JSON array of strings; null is the empty set.
func (m *Members) UnmarshalJSON(data []byte) error {
	var ids []string
	if err := json.Unmarshal(data, &ids); err != nil {
		return err
	}
	*m = fromOwned(ids)
	return nil
}
