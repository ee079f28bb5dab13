// Package hashbank keeps banks of known content hashes (our own, partners',
// imported lists such as Tech Against Terrorism's and negative lists of
// known-benign content) and matches incoming hashes against them: exact
// algorithms through maps, 256-bit PDQ hashes through a multi-index hashing
// (MIH) index that answers Hamming-radius queries over millions of hashes.
// PDQ hashes are pdq.Hash values, whose four words the index cuts into
// chunks.
package hashbank

import "errors"

// ErrBadHash reports a hash string that is not what its algorithm needs.
var ErrBadHash = errors.New("bad hash")
