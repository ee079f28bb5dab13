package signaltype

// builtins lists raqib's signal types in the order they are tried and
// shown. A new type is a file of its own and one line here.
var builtins = []*Type{
	MD5,
	SHA256,
	PDQ,
	VPDQ,
	TextSHA256,
	TextMinHash,
	OCRText,
}

func init() {
	for _, t := range builtins {
		if err := Register(t); err != nil {
			panic(err) // a programming error in the list above
		}
	}
}
