package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/source"
)

// hashLine is one line of `raqib hash --json`. Error names the file.
type hashLine struct {
	File    string `json:"file"`
	PDQ     string `json:"pdq,omitempty"`
	Quality int    `json:"quality"`
	MD5     string `json:"md5"`
	SHA256  string `json:"sha256"`
	Frames  int    `json:"frames,omitempty"` // videos: vPDQ frame hashes
	VPDQ    string `json:"vpdq,omitempty"`   // videos: the frames as a bank value
	Error   string `json:"error,omitempty"`
}

// runHash prints the perceptual and exact hashes of files. A file that
// cannot be hashed is reported and the others still are; the exit status
// says whether any failed.
func runHash(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: hash needs at least one FILE", ErrUsage)
	}
	h := pdq.NewHasher()
	enc := json.NewEncoder(c.Stdout)
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	if !c.JSON {
		fmt.Fprintln(tw, "FILE\tPDQ\tQUALITY\tMD5\tSHA-256")
	}
	failed := 0
	for _, path := range c.Args {
		line := hashFile(ctx, h, path, c.MaxPixels)
		if line.Error != "" {
			failed++
			fmt.Fprintln(c.Stderr, line.Error)
		}
		if c.JSON {
			enc.Encode(line)
			continue
		}
		pdqCol := line.PDQ
		if line.Frames > 0 {
			pdqCol = fmt.Sprintf("(video: %d frame hashes, use --json)", line.Frames)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", line.File, pdqCol, line.Quality, line.MD5, line.SHA256)
	}
	tw.Flush()
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be hashed", failed, len(c.Args))
	}
	return nil
}

func hashFile(ctx context.Context, h *pdq.Hasher, path string, maxPixels int) hashLine {
	line := hashLine{File: path}
	if ingest.IsVideoFile(path) {
		feats, _, err := vpdq.Hash(ctx, path, vpdq.Options{})
		if err == nil {
			line.VPDQ, err = signaltype.VPDQValue(feats)
		}
		if err != nil {
			line.Error = path + ": " + err.Error()
			return line
		}
		line.Frames = len(feats)
		// Stream the digests: a video may not fit in memory.
		f, err := os.Open(path)
		if err != nil {
			line.Error = err.Error()
			return line
		}
		defer f.Close()
		m := source.HashMedia(post.Media{}, f)
		line.MD5, line.SHA256 = m.Hash(signaltype.MD5.Name), m.Hash(signaltype.SHA256.Name)
		return line
	}
	res, err := h.HashFile(path, maxPixels)
	line.MD5, line.SHA256 = res.MD5, res.SHA256
	if err != nil {
		line.Error = err.Error()
		return line
	}
	line.PDQ, line.Quality = res.PDQ.String(), res.Quality
	return line
}
