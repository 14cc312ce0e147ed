package enrich

import (
	"encoding/binary"
	"math/bits"
)

// numTable finds entries by a 6-digit message ID read as a number. Threat
// Defense and IBM event IDs are such numbers, and they are looked up for
// most recognised lines: an open-addressing table of integers, a few kB
// that stay in cache, costs a fraction of hashing the ID as a string.
type numTable struct {
	keys  []uint32 // ID+1; 0 marks an empty slot
	vals  []*entryEnc
	shift uint32
}

// newNumTable indexes the entries of m whose keys are six digits.
func newNumTable(m map[string]*entryEnc) numTable {
	n := 0
	for k := range m {
		if _, ok := sixDigits([]byte(k)); ok {
			n++
		}
	}
	// At most half full, so that probes stay short.
	bits := uint32(4)
	for 1<<bits < 2*n {
		bits++
	}
	t := numTable{keys: make([]uint32, 1<<bits), vals: make([]*entryEnc, 1<<bits), shift: 32 - bits}
	for k, v := range m {
		if id, ok := sixDigits([]byte(k)); ok {
			t.insert(id, v)
		}
	}
	return t
}

func (t *numTable) slot(id uint32) uint32 { return (id * 0x9E3779B1) >> t.shift }

func (t *numTable) insert(id uint32, v *entryEnc) {
	mask := uint32(len(t.keys) - 1)
	for i := t.slot(id); ; i = (i + 1) & mask {
		if t.keys[i] == 0 || t.keys[i] == id+1 {
			t.keys[i], t.vals[i] = id+1, v
			return
		}
	}
}

// lookup returns the entry of the 6-digit ID b, or nil.
func (t *numTable) lookup(b []byte) *entryEnc {
	ent, _ := t.find(b)
	return ent
}

// find is lookup that also reports whether b is six digits at all.
func (t *numTable) find(b []byte) (*entryEnc, bool) {
	id, ok := sixDigits(b)
	if !ok {
		return nil, false
	}
	return t.get(id), true
}

// get returns the entry of id, or nil.
func (t *numTable) get(id uint32) *entryEnc {
	if len(t.keys) == 0 {
		return nil
	}
	mask := uint32(len(t.keys) - 1)
	// The table is at most half full, so an empty slot ends every probe.
	for i := t.slot(id); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case id + 1:
			return t.vals[i]
		case 0:
			return nil
		}
	}
}

// sixDigits reads b as a 6-digit decimal number.
func sixDigits(b []byte) (uint32, bool) {
	if len(b) != 6 {
		return 0, false
	}
	var id uint32
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		id = id*10 + uint32(c-'0')
	}
	return id, true
}

// hashSet holds the hashes of a set of byte strings. It answers "certainly
// not in the set" for most strings with one hash of at most sixteen bytes
// and one probe; a hit still needs an exact lookup.
type hashSet struct {
	keys  []uint64 // hash with the low bit set; 0 marks an empty slot
	shift uint32
}

func newHashSet(members []string) hashSet {
	bits := uint32(4)
	for 1<<bits < 2*len(members) {
		bits++
	}
	s := hashSet{keys: make([]uint64, 1<<bits), shift: 64 - bits}
	mask := uint64(len(s.keys) - 1)
	for _, k := range members {
		h := shortHash([]byte(k))
		for i := h >> s.shift; ; i = (i + 1) & mask {
			if s.keys[i] == 0 || s.keys[i] == h {
				s.keys[i] = h
				break
			}
		}
	}
	return s
}

// has reports whether b may be a member.
func (s *hashSet) has(b []byte) bool {
	if len(s.keys) == 0 {
		return false
	}
	h := shortHash(b)
	mask := uint64(len(s.keys) - 1)
	// The table is at most half full, so an empty slot ends every probe.
	for i := h >> s.shift; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// shortHash hashes the length and the first and last eight bytes of b:
// enough to tell catalog mnemonics apart, at a constant cost.
func shortHash(b []byte) uint64 {
	var a, z uint64
	if n := len(b); n >= 8 {
		a = binary.LittleEndian.Uint64(b)
		z = binary.LittleEndian.Uint64(b[n-8:])
	} else {
		for i, c := range b {
			a |= uint64(c) << (8 * i)
		}
		z = a
	}
	h := a*0x9E3779B97F4A7C15 ^ bits.RotateLeft64(z*0xC2B2AE3D27D4EB4F, 31) ^ uint64(len(b))
	h ^= h >> 32
	h *= 0x94D049BB133111EB
	h ^= h >> 29
	return h | 1
}
