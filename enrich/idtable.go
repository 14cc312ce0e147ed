package enrich

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
	id, ok := sixDigits(b)
	if !ok || len(t.keys) == 0 {
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
