package signaltype

// MD5 is the MD5 digest of a media file's bytes, as many partner lists
// still carry it: it matches only the very same file.
var MD5 = &Type{
	Name:      "md5",
	Title:     "MD5",
	Aliases:   []string{"video_md5"},
	Shared:    true,
	Content:   []Content{File, Image, Video},
	Canonical: canonicalHex(32),
}
