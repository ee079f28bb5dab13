package signaltype

// SHA256 is the SHA-256 digest of a media file's bytes. Kept media files
// are named by it.
var SHA256 = &Type{
	Name:      "sha256",
	Title:     "SHA-256",
	Aliases:   []string{"sha-256"},
	Shared:    true,
	Content:   []Content{File, Image, Video},
	Canonical: canonicalHex(64),
}
