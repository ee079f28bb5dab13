package neardup

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadSignature reports bytes that are no encoded signature.
var ErrBadSignature = errors.New("bad signature")

// Bytes encodes the signature, little-endian, for storage.
func (s *Signature) Bytes() []byte {
	b := make([]byte, 4*NumHashes)
	for i, v := range s {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// ParseSignature decodes what Bytes encoded.
func ParseSignature(b []byte) (Signature, error) {
	var s Signature
	if len(b) != 4*NumHashes {
		return s, fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(b), 4*NumHashes)
	}
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return s, nil
}

// AddSignature indexes a signature computed before, under key.
func (ix *Index) AddSignature(key string, sig Signature) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, dup := ix.byKey[key]; dup {
		return fmt.Errorf("add %q: %w", key, ErrDuplicateKey)
	}
	ix.insert(key, &sig)
	return nil
}
