package vpdq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/shareddata"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install ffmpeg (apt-get install ffmpeg) to run the video tests", tool)
		}
	}
}

// TestSampleVideos hashes every frame of the reference's sample videos and
// compares them with the reference's per-frame hashes.
func TestSampleVideos(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes two videos; skipped in -short mode")
	}
	needFFmpeg(t)
	videos := shareddata.Need(t, "pdq-vectors", "tmk", "sample-videos")
	hashes := shareddata.Need(t, "pdq-vectors", "vpdq", "sample-hashes")
	for _, name := range []string{"doorknob-hd-no-bar", "test-padded-dimensions"} {
		t.Run(name, func(t *testing.T) {
			want, err := ReadFeaturesFile(filepath.Join(hashes, name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			got, info, err := Hash(context.Background(), filepath.Join(videos, name+".mp4"), Options{EveryFrame: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d frames hashed, the reference has %d", len(got), len(want))
			}
			// Featureless frames (quality near 0) hash to noise in every
			// implementation; vPDQ matching drops frames below quality 50,
			// so conformance is judged on the others.
			var all, good stats
			for i := range got {
				g, w := got[i], want[i]
				if g.Frame != w.Frame || fmtTS(g.Timestamp) != fmtTS(w.Timestamp) {
					t.Errorf("frame %d: number/timestamp %d/%.3f, reference %d/%.3f", i, g.Frame, g.Timestamp, w.Frame, w.Timestamp)
				}
				d := g.Hash.Distance(w.Hash)
				all.add(d)
				if w.Quality >= DefaultQuality {
					good.add(d)
				}
			}
			t.Logf("%dx%d at %.2f fps; all frames: %v; frames of quality >= %d: %v",
				info.Width, info.Height, info.FrameRate, all, DefaultQuality, good)
			if good.n == 0 || float64(good.close) < 0.95*float64(good.n) {
				t.Errorf("frames of quality >= %d: %v, want >= 95%% within distance %d", DefaultQuality, good, DefaultDistance)
			}
			q, tp := Match(got, want, DefaultDistance, DefaultQuality)
			t.Logf("vPDQ match against the reference hashes: query %.1f%%, target %.1f%%", q, tp)
			if q < 95 || tp < 95 {
				t.Errorf("match %.1f%% / %.1f%%, want >= 95%% both ways", q, tp)
			}
		})
	}
}

// stats summarises per-frame distances to the reference.
type stats struct{ n, close, sum, worst int }

func (s *stats) add(d int) {
	s.n++
	s.sum += d
	s.worst = max(s.worst, d)
	if d < DefaultDistance {
		s.close++
	}
}

func (s stats) String() string {
	if s.n == 0 {
		return "none"
	}
	return fmt.Sprintf("%d/%d within distance %d (%.1f%%), mean %.2f, max %d",
		s.close, s.n, DefaultDistance, 100*float64(s.close)/float64(s.n), float64(s.sum)/float64(s.n), s.worst)
}

func fmtTS(ts float64) string {
	var b bytes.Buffer
	_ = WriteFeatures(&b, []Feature{{Timestamp: ts}})
	s := strings.TrimSpace(b.String())
	return s[strings.LastIndexByte(s, ',')+1:]
}

// makeVideo writes a 3-second, 10 fps test-pattern video with ffmpeg.
func makeVideo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "testsrc.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
		"-i", "testsrc=size=96x64:rate=10:duration=3", "-c:v", "ffv1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("make test video: %v: %s", err, out)
	}
	return path
}

func TestSecondsPerHash(t *testing.T) {
	needFFmpeg(t)
	video := makeVideo(t)
	tests := []struct {
		name   string
		opt    Options
		frames []int
	}{
		{"default one a second", Options{}, []int{0, 10, 20}},
		{"every two seconds", Options{SecondsPerHash: 2}, []int{0, 20}},
		{"shorter than a frame", Options{SecondsPerHash: 0.01}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := Hash(context.Background(), video, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if info.Width != 96 || info.Height != 64 || info.FrameRate != 10 {
				t.Errorf("video info %+v", info)
			}
			var frames []int
			for _, f := range got {
				frames = append(frames, f.Frame)
				if want := float64(f.Frame) / 10; f.Timestamp != want {
					t.Errorf("frame %d timestamp %v, want %v", f.Frame, f.Timestamp, want)
				}
			}
			if !equalInts(frames, tc.frames) {
				t.Errorf("frames %v, want %v", frames, tc.frames)
			}
		})
	}
	t.Run("emit error stops hashing", func(t *testing.T) {
		stop := errors.New("enough")
		n := 0
		_, err := HashFile(context.Background(), video, Options{EveryFrame: true}, func(Feature) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("error %v after %d frames, want %v after 1", err, n, stop)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNoFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := Hash(context.Background(), "video.mp4", Options{})
	if !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("error %v, want ErrNoFFmpeg", err)
	}
	if !strings.Contains(err.Error(), "apt-get install ffmpeg") {
		t.Errorf("error %q does not say how to install ffmpeg", err)
	}
}

func TestNotAVideo(t *testing.T) {
	needFFmpeg(t)
	path := filepath.Join(t.TempDir(), "notes.mp4")
	if err := os.WriteFile(path, []byte("not a video at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Hash(context.Background(), path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming %s", err, path)
	}
}

func TestParseProbe(t *testing.T) {
	tests := []struct {
		name string
		json string
		want VideoInfo
		ok   bool
	}{
		{"avg rate", `{"streams":[{"width":1280,"height":720,"avg_frame_rate":"30000/1001","r_frame_rate":"30/1"}]}`, VideoInfo{1280, 720, 30000.0 / 1001}, true},
		{"r rate fallback", `{"streams":[{"width":64,"height":48,"avg_frame_rate":"0/0","r_frame_rate":"25/1"}]}`, VideoInfo{64, 48, 25}, true},
		{"no rate", `{"streams":[{"width":64,"height":48,"avg_frame_rate":"0/0","r_frame_rate":"0/0"}]}`, VideoInfo{}, false},
		{"no stream", `{"streams":[]}`, VideoInfo{}, false},
		{"garbage", `{"streams":`, VideoInfo{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProbe([]byte(tc.json), "v.mp4")
			if (err == nil) != tc.ok {
				t.Fatalf("error %v, want ok=%v", err, tc.ok)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func hashOf(t *testing.T, s string) pdq.Hash {
	t.Helper()
	h, err := pdq.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMatch(t *testing.T) {
	zero := hashOf(t, strings.Repeat("0", 64))
	near := hashOf(t, strings.Repeat("0", 56)+"ffffffff") // 32 bits away
	close := hashOf(t, strings.Repeat("0", 57)+"fffffff") // 28 bits away
	far := hashOf(t, strings.Repeat("f", 64))
	f := func(h pdq.Hash, q int) Feature { return Feature{Hash: h, Quality: q} }
	tests := []struct {
		name           string
		query, target  []Feature
		wantQ, wantT   float64
		distance, qual int
	}{
		{"identical", []Feature{f(zero, 100)}, []Feature{f(zero, 100)}, 100, 100, 31, 50},
		{"within distance", []Feature{f(zero, 100)}, []Feature{f(close, 100)}, 100, 100, 31, 50},
		{"32 bits is not below 31", []Feature{f(zero, 100)}, []Feature{f(near, 100)}, 0, 0, 31, 50},
		{"half the query", []Feature{f(zero, 90), f(far, 90)}, []Feature{f(zero, 90), f(zero, 90)}, 50, 100, 31, 50},
		{"low quality dropped", []Feature{f(zero, 90), f(far, 10)}, []Feature{f(zero, 90)}, 100, 100, 31, 50},
		{"nothing left", []Feature{f(zero, 10)}, []Feature{f(zero, 90)}, 0, 0, 31, 50},
		{"empty", nil, nil, 0, 0, 31, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, tp := Match(tc.query, tc.target, tc.distance, tc.qual)
			if q != tc.wantQ || tp != tc.wantT {
				t.Errorf("Match = %.1f, %.1f; want %.1f, %.1f", q, tp, tc.wantQ, tc.wantT)
			}
		})
	}
}
