// Package mih is a multi-index hashing (MIH) index of 256-bit perceptual
// hashes (pdq.Hash: PDQ, and the frames of vPDQ) that answers
// Hamming-radius queries over millions of them.
package mih
