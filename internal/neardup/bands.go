package neardup

// bandTable maps the key of a band value to the newest bucket entry that
// has it: the heads of the LSH buckets. It is open-addressed with linear
// probing, so that a lookup usually reads one cache line; a query makes
// Bands of them, and with the Go map they were a quarter of a query's
// time on recycled text, whose band values recur.
type bandTable struct {
	slots []bandSlot // a power of two long, at most 3/4 full
	n     int
}

type bandSlot struct {
	key uint64
	e   int32 // the entry plus one; 0 marks an empty slot
}

func (t *bandTable) home(key uint64) int {
	// The keys are mixed hashes already: their top bits are uniform.
	return int(key>>32) & (len(t.slots) - 1)
}

// get returns the entry of key.
func (t *bandTable) get(key uint64) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	for i := t.home(key); ; i = (i + 1) & (len(t.slots) - 1) {
		s := &t.slots[i]
		if s.e == 0 {
			return 0, false
		}
		if s.key == key {
			return s.e - 1, true
		}
	}
}

// set makes e the entry of key.
func (t *bandTable) set(key uint64, e int32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	for i := t.home(key); ; i = (i + 1) & (len(t.slots) - 1) {
		s := &t.slots[i]
		if s.e == 0 {
			*s = bandSlot{key, e + 1}
			t.n++
			return
		}
		if s.key == key {
			s.e = e + 1
			return
		}
	}
}

// del removes key, shifting back the slots after it that probed past it,
// so that no lookup stops early at the hole (no tombstones).
func (t *bandTable) del(key uint64) {
	if len(t.slots) == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(key)
	for ; t.slots[i].key != key || t.slots[i].e == 0; i = (i + 1) & mask {
		if t.slots[i].e == 0 {
			return
		}
	}
	for j := (i + 1) & mask; t.slots[j].e != 0; j = (j + 1) & mask {
		// Slot j may move to the hole at i if its home is not in (i, j].
		if h := t.home(t.slots[j].key); (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = bandSlot{}
	t.n--
}

func (t *bandTable) grow() {
	old := t.slots
	t.slots = make([]bandSlot, max(1024, 2*len(old)))
	t.n = 0
	for _, s := range old {
		if s.e != 0 {
			t.set(s.key, s.e-1)
		}
	}
}
