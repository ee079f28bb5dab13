// Package ingest reads export files and directories, recognizes their
// format, decodes them with the matching importer (internal/source/...) and
// hands the posts on in batches: the first stage of the pipeline. It streams:
// memory does not grow with the size of a file.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/feed"
	"github.com/raqib-project/raqib/internal/source/plain"
	"github.com/raqib-project/raqib/internal/source/rocketchat"
	"github.com/raqib-project/raqib/internal/source/telegram"
	"github.com/raqib-project/raqib/internal/source/whatsapp"
	"github.com/raqib-project/raqib/internal/source/xapi"
)

// ErrUnknownFormat means no importer recognized a file named on the command
// line.
var ErrUnknownFormat = errors.New("cannot tell the format")

// ErrSymlink refuses a symbolic link inside an export folder: an export is
// outside data, and a link in it may point anywhere (/etc/passwd).
var ErrSymlink = errors.New("symbolic link not followed")

// ErrFilesFailed is wrapped by Run's error when some files could not be
// read (or read to their end); the others were imported all the same and
// Summary.FailedFiles names them.
var ErrFilesFailed = errors.New("files could not be read")

// Decoders lists every importer, in the order formats are tried when
// sniffing: the most specific first, plain JSONL last.
func Decoders() []source.Decoder {
	return []source.Decoder{
		telegram.Decoder{},
		rocketchat.Decoder{},
		xapi.ArchiveDecoder{},
		xapi.Decoder{},
		whatsapp.Decoder{},
		feed.Decoder{},
		plain.JSONL{},
		plain.Text{},
	}
}

// Decoder returns the importer called name.
func Decoder(name string) (source.Decoder, error) {
	var names []string
	for _, d := range Decoders() {
		if d.Name() == name {
			return d, nil
		}
		names = append(names, d.Name())
	}
	return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(names, ", "))
}

// Sniff picks the importer for a file from its name and first bytes, or
// returns nil.
func Sniff(name string, head []byte) source.Decoder {
	for _, d := range Decoders() {
		if d.Sniff(name, head) {
			return d
		}
	}
	return nil
}

// Options configure a Run.
type Options struct {
	// Format forces one importer for every file; empty sniffs each file.
	Format string
	// Fallback is the importer for files no importer recognizes; empty
	// makes such a file an error (named on the command line) or a skip
	// (found in a directory).
	Fallback string
	// Batch is the number of posts handed to Publish at once.
	Batch int
	// Publish receives every batch; it owns the slice.
	Publish func(ctx context.Context, ps []post.Post) error
	// Reject is told about every skipped record.
	Reject func(r source.Rejection)
	// Warn is told about problems with records that were kept (an image
	// that does not decode).
	Warn func(w source.Rejection)
	// Progress, when not nil, shows a progress bar there.
	Progress io.Writer
	// Now stamps CollectedAt; time.Now when nil.
	Now func() time.Time
	// MaxRecord bounds one record's size in bytes (source.Input.MaxRecord);
	// MaxUnpacked the bytes unpacked from one archive.
	MaxRecord, MaxUnpacked int64
	// MaxPixels bounds images decoded for perceptual hashing (decompression
	// bombs); pdq.DefaultMaxPixels when zero.
	MaxPixels int
	// MediaDir, when set, keeps a content-addressed copy of every image
	// read (see post.MediaPath).
	MediaDir string
	// Source, when not nil, is told about every file read, once it was
	// read: where it is, its format and how many records it held. Every
	// post's Origin.Source names it.
	Source func(ctx context.Context, src post.Source) error
}

// Summary counts what a Run read.
type Summary struct {
	Files    int `json:"files"`    // files decoded
	Posts    int `json:"posts"`    // well-formed records handed on
	Rejected int `json:"rejected"` // malformed records skipped
	Warnings int `json:"warnings"` // records kept with a problem (see Options.Warn)
	Images   int `json:"images"`   // images perceptually hashed
	Videos   int `json:"videos"`   // videos hashed with vPDQ
	// Skipped names the files of no known format found in folders.
	Skipped []string `json:"skipped,omitempty"`
	// Failed says, per file, why it could not be read or read to its end.
	FailedFiles []string `json:"failed_files,omitempty"`
}

// Run imports every path (a file, a directory walked recursively, or "-" for
// standard input read from stdin).
func Run(ctx context.Context, opts Options, paths []string, stdin io.Reader) (Summary, error) {
	if opts.Batch < 1 {
		opts.Batch = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = pdq.DefaultMaxPixels
	}
	r := &run{opts: opts}
	r.media = mediaHasher{h: pdq.NewHasher(), maxPixels: opts.MaxPixels, dir: opts.MediaDir, warn: r.warn, hashed: &r.sum.Images, videos: &r.sum.Videos}
	for _, pick := range []struct {
		name string
		dst  *source.Decoder
	}{{opts.Format, &r.forced}, {opts.Fallback, &r.fallback}} {
		if pick.name == "" {
			continue
		}
		d, err := Decoder(pick.name)
		if err != nil {
			return Summary{}, err
		}
		*pick.dst = d
	}
	files, total, links, err := listFiles(paths)
	if err != nil {
		return Summary{}, err
	}
	r.sum.Skipped = links
	if opts.Progress != nil {
		r.bar = newBar(opts.Progress, total)
		defer r.bar.finish()
	}
	// A file that cannot be read costs only itself: the run goes on and
	// says at the end which files failed. Errors of the sink (the queue,
	// the store) and cancellation stop it.
	var failed []error
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return r.sum, err
		}
		err := r.file(ctx, f, stdin)
		var fe *fileError
		if errors.As(err, &fe) {
			failed = append(failed, fe.err)
			r.sum.FailedFiles = append(r.sum.FailedFiles, fe.err.Error())
			continue
		}
		if err != nil {
			return r.sum, err
		}
	}
	if err := r.flush(ctx); err != nil {
		return r.sum, err
	}
	if len(failed) > 0 {
		return r.sum, fmt.Errorf("%w (%d of %d): %w", ErrFilesFailed, len(failed), len(files), errors.Join(failed...))
	}
	return r.sum, nil
}

// fileError is a failure of one input file, as opposed to one of the sink
// or the context, which ends the run.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// file is one input to import; explicit says the user named it, so an
// unknown format is an error rather than a skip.
type file struct {
	path     string
	explicit bool
}

// listFiles returns the files to read, their total size, and the links
// found in folders, which are not followed.
func listFiles(paths []string) (files []file, total int64, skipped []string, err error) {
	for _, p := range paths {
		if p == "-" {
			files = append(files, file{path: p, explicit: true})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("input: %w", err)
		}
		if !st.IsDir() {
			files = append(files, file{path: p, explicit: true})
			total += st.Size()
			continue
		}
		var found []file
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case d.Type().IsRegular():
				if info, err := d.Info(); err == nil {
					total += info.Size()
				}
				found = append(found, file{path: path})
			case d.Type()&fs.ModeSymlink != 0:
				skipped = append(skipped, path+" ("+ErrSymlink.Error()+")")
			}
			return nil
		})
		if err != nil {
			return nil, 0, nil, fmt.Errorf("walk %s: %w", p, err)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
		files = append(files, found...)
	}
	return files, total, skipped, nil
}

type run struct {
	opts             Options
	forced, fallback source.Decoder
	batch            []post.Post
	sum              Summary
	bar              *bar
	media            mediaHasher
}

func (r *run) reject(rej source.Rejection) error {
	r.sum.Rejected++
	if r.opts.Reject != nil {
		r.opts.Reject(rej)
	}
	return nil
}

// warn reports a problem with a record that was kept.
func (r *run) warn(w source.Rejection) {
	r.sum.Warnings++
	if r.opts.Warn != nil {
		r.opts.Warn(w)
	}
}

func (r *run) file(ctx context.Context, f file, stdin io.Reader) error {
	var (
		rd   io.Reader
		name = f.path
		dir  string
	)
	if f.path == "-" {
		rd, name = stdin, "stdin"
	} else {
		fh, err := os.Open(f.path)
		if err != nil {
			return &fileError{fmt.Errorf("input: %w", err)}
		}
		defer fh.Close()
		rd, dir = fh, filepath.Dir(f.path)
	}
	if r.bar != nil {
		rd = &countingReader{r: rd, n: &r.bar.done}
	}
	// Sniff from the first 4 KiB, then replay them in front of the rest.
	head := make([]byte, 4096)
	n, err := io.ReadFull(rd, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return &fileError{fmt.Errorf("read %s: %w", name, err)}
	}
	head = head[:n]
	d := r.forced
	if d == nil {
		d = Sniff(name, head)
	}
	if d == nil {
		d = r.fallback
	}
	if d == nil {
		if f.explicit {
			return &fileError{fmt.Errorf("%s: %w (use --format)", name, ErrUnknownFormat)}
		}
		r.sum.Skipped = append(r.sum.Skipped, name)
		if r.bar != nil && f.path != "-" {
			// Count the unread rest of a skipped file as done.
			if st, err := os.Stat(f.path); err == nil {
				r.bar.done.Add(st.Size() - int64(n))
			}
		}
		return nil
	}
	in := source.Input{Name: name, R: io.MultiReader(bytes.NewReader(head), rd), MaxRecord: r.opts.MaxRecord, MaxUnpacked: r.opts.MaxUnpacked}
	if dir != "" {
		in.Open = openBeside(dir)
	}
	now := r.opts.Now().UTC()
	src, err := newSource(d.Name(), f.path, now)
	if err != nil {
		return err
	}
	// sinkErr tells the sink's own failures, which end the run, from the
	// file's.
	var sinkErr error
	// media reaches the attachments: beside the file, unless the decoder
	// says they are inside it.
	media := in
	err = d.Decode(in, source.SinkFuncs{
		OnPost: func(p post.Post) error {
			if p.CollectedAt.IsZero() {
				p.CollectedAt = now
			}
			p.Origin.Source = src.ID
			if src.Platform == "" {
				src.Platform = p.Platform
			}
			src.Read++
			r.media.hash(ctx, media, &p)
			r.batch = append(r.batch, p)
			r.sum.Posts++
			if r.bar != nil {
				r.bar.posts.Add(1)
			}
			if len(r.batch) >= r.opts.Batch {
				sinkErr = r.flush(ctx)
			}
			return sinkErr
		},
		OnReject: func(rej source.Rejection) error {
			src.Rejected++
			return r.reject(rej)
		},
		OnOpen: func(open func(string) (io.ReadCloser, error)) { media.Open = open },
	})
	// What was read of a file that failed half way was handed on: its
	// source is recorded too.
	if src.Read > 0 || src.Rejected > 0 || err == nil {
		if serr := r.recordSource(ctx, src); serr != nil {
			return errors.Join(err, serr)
		}
	}
	switch {
	case err == nil:
		r.sum.Files++
		return nil
	case sinkErr != nil, ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", name, d.Name(), err)
	case errors.Is(err, source.ErrFormat) && !f.explicit && r.forced == nil && src.Read == 0 && src.Rejected == 0:
		r.sum.Skipped = append(r.sum.Skipped, name)
		return nil
	}
	return &fileError{fmt.Errorf("%s (%s): %w", name, d.Name(), err)}
}

// newSource is the source of a file read by the named importer; the
// location is absolute so that importing from another folder is the same
// source.
func newSource(format, path string, now time.Time) (post.Source, error) {
	loc := "stdin"
	if path != "-" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return post.Source{}, fmt.Errorf("input %s: %w", path, err)
		}
		loc = abs
	}
	return post.Source{ID: post.SourceID(format, loc), Format: format, Location: loc, FirstCollected: now}, nil
}

func (r *run) recordSource(ctx context.Context, src post.Source) error {
	if r.opts.Source == nil {
		return nil
	}
	src.LastCollected = r.opts.Now().UTC()
	if err := r.opts.Source(ctx, src); err != nil {
		return fmt.Errorf("record source %s: %w", src.Location, err)
	}
	return nil
}

func (r *run) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	b := r.batch
	r.batch = make([]post.Post, 0, r.opts.Batch)
	return r.opts.Publish(ctx, b)
}

// openBeside opens files referenced by an export relative to its folder,
// refusing paths that climb out of it and symbolic links (an export is
// outside data).
func openBeside(dir string) func(string) (io.ReadCloser, error) {
	return func(rel string) (io.ReadCloser, error) {
		rel = filepath.FromSlash(rel)
		if !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("open %q: path leaves the export folder", rel)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		// Every component is checked, so that no link is followed, not even
		// one that stays inside the folder; the root still confines a link
		// swapped in after the check.
		for p := rel; p != "."; p = filepath.Dir(p) {
			st, err := root.Lstat(p)
			if err != nil {
				return nil, err
			}
			if st.Mode()&fs.ModeSymlink != 0 {
				return nil, fmt.Errorf("open %q: %s: %w", rel, p, ErrSymlink)
			}
		}
		return root.Open(rel)
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
