package signaltype

// OCRText is the SHA-256 of the normalized text read from an image or a
// video's keyframes (internal/ocr), kept as a hash of the media file: a
// claim card re-encoded, cropped or recoloured has another file hash and
// another PDQ, but the same words. Values are computed as TextSHA256's are
// (TextHash), from the text inside the media rather than the post's.
var OCRText = &Type{
	Name:      "ocr_text",
	Title:     "hash of the text inside the image",
	Aliases:   []string{"ocr"},
	Content:   []Content{Image, Video},
	Canonical: canonicalText,
}
