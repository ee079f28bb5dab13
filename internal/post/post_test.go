package post

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestMediaJSON reads media documents as stored before hashes were typed
// (md5, sha256, pdq and pdq_quality fields) and as written now.
func TestMediaJSON(t *testing.T) {
	const pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	typed := Media{Kind: "photo", Path: "a.jpg", Hashes: []Hash{{Type: "md5", Value: "cd"}, {Type: "sha256", Value: "ab"}, {Type: "pdq", Value: pdq, Quality: 93}}}
	for _, tc := range []struct {
		name, doc string
		want      Media
	}{
		{"legacy fields", `{"kind":"photo","path":"a.jpg","md5":"cd","sha256":"ab","pdq":"` + pdq + `","pdq_quality":93}`, typed},
		{"typed", `{"kind":"photo","path":"a.jpg","hashes":[{"type":"md5","value":"cd"},{"type":"sha256","value":"ab"},{"type":"pdq","value":"` + pdq + `","quality":93}]}`, typed},
		{"typed wins over a legacy field", `{"kind":"photo","path":"a.jpg","md5":"00","hashes":[{"type":"md5","value":"cd"},{"type":"sha256","value":"ab"},{"type":"pdq","value":"` + pdq + `","quality":93}]}`, typed},
		{"no hashes", `{"kind":"video","omitted":true}`, Media{Kind: "video", Omitted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Media
			if err := json.Unmarshal([]byte(tc.doc), &m); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tc.want) {
				t.Fatalf("read %+v, want %+v", m, tc.want)
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var again Media
			if err := json.Unmarshal(b, &again); err != nil || !reflect.DeepEqual(again, m) {
				t.Errorf("%s does not round-trip: %+v, %v", b, again, err)
			}
		})
	}
	var m Media
	if err := json.Unmarshal([]byte(`{"kind":1}`), &m); err == nil {
		t.Error("a bad document was read")
	}
}

func TestSetHash(t *testing.T) {
	var m Media
	m.SetHash(Hash{Type: "pdq", Value: "a", Quality: 10})
	m.SetHash(Hash{Type: "md5", Value: "b"})
	m.SetHash(Hash{Type: "pdq", Value: "c", Quality: 90})
	if want := []Hash{{Type: "pdq", Value: "c", Quality: 90}, {Type: "md5", Value: "b"}}; !reflect.DeepEqual(m.Hashes, want) {
		t.Errorf("hashes %+v, want %+v", m.Hashes, want)
	}
	if m.Hash("sha256") != "" || m.Hash("md5") != "b" {
		t.Errorf("Hash: %q %q", m.Hash("sha256"), m.Hash("md5"))
	}
}
