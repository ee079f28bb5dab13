package classifier

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Format names a training or evaluation file layout.
type Format string

// Data formats the readers understand.
const (
	// FormatCSV is a CSV file with a header row; DataFile.TextColumn,
	// LabelColumn and IDColumn name the columns (defaults text, label, id)
	// and DataFile.Positive lists the label values that are violating.
	FormatCSV Format = "csv"
	// FormatAlfifi is the Alfifi et al. extremism set: CSV id,label,text
	// where the label ISIS is positive.
	FormatAlfifi Format = "alfifi"
	// FormatASTD is the ASTD sentiment set: text<TAB>label, all negative.
	FormatASTD Format = "astd"
	// FormatOSACT is the OSACT 2022 offensive-speech set:
	// id<TAB>text<TAB>labels..., all negative.
	FormatOSACT Format = "osact"
	// FormatText is plain text read paragraph by paragraph (blank-line
	// separated), all negative: news articles and other hard negatives. A
	// first line starting with '#' is a comment, where hand-made fixtures
	// say that they are.
	FormatText Format = "text"
	// FormatLines is plain text with one example per line, each its own
	// group, all negative; lines starting with '#' are comments. Hand-made
	// sentence sets use it, so that cross-validation folds split them
	// sentence by sentence rather than keeping the file in one fold.
	FormatLines Format = "lines"
	// FormatDecisions is the CSV that `raqib export decisions` writes:
	// id,author,decision,label,reason,text. Rows an analyst confirmed are
	// positive, rows dismissed negative; an author's rows share a group.
	FormatDecisions Format = "decisions"
)

// Formats lists every format, for flag help.
var Formats = []Format{FormatCSV, FormatAlfifi, FormatASTD, FormatOSACT, FormatText, FormatLines, FormatDecisions}

// DecisionWeight is the default training weight of an analyst's decision:
// it is about the stack's own output, a mistake it made or nearly made,
// worth far more than a random tweet of the data sets. Measured: at 50 a
// dismissed post scored 0.49 after retraining against a threshold of 0.07.
const DecisionWeight = 200

// Analyst decisions in a FormatDecisions file.
const (
	DecisionConfirmed = "confirmed"
	DecisionDismissed = "dismissed"
)

// Reader errors.
var (
	ErrUnknownFormat = errors.New("unknown data format")
	ErrBadRow        = errors.New("bad row")
	ErrNoColumn      = errors.New("missing column")
)

// DataFile is one input of training or evaluation.
type DataFile struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	// Positive lists the label values that count as violating (FormatCSV;
	// FormatAlfifi defaults to ISIS). Comparison ignores case.
	Positive    []string `json:"positive,omitempty"`
	TextColumn  string   `json:"text_column,omitempty"`
	LabelColumn string   `json:"label_column,omitempty"`
	IDColumn    string   `json:"id_column,omitempty"`
	// GroupColumn names the author column used to keep one author's posts
	// in one fold; without it every row is its own group.
	GroupColumn string `json:"group_column,omitempty"`
	// Weight multiplies the training weight of every row (default 1); hand-
	// made hard negatives are few and worth more than random tweets.
	Weight float64 `json:"weight,omitempty"`
}

// Example is one labelled text.
type Example struct {
	Text     string
	Positive bool
	// Group keeps related rows (one author) in the same fold.
	Group string
	// Where is file:line, for error reports and worst-mistake listings.
	Where  string
	Weight float64
	// Train keeps the example out of the early-stopping validation split:
	// analysts' decisions are few and each is a mistake to learn from.
	Train bool
}

// RowError reports a skipped input row.
type RowError struct {
	File string
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// ParseDataFlag parses a data flag value FORMAT:PATH, or PATH alone for
// which the format is guessed from the name (.txt -> text, .csv -> csv,
// Tweets.txt -> astd, OSACT* -> osact, alfifi* -> alfifi, decisions* ->
// decisions).
func ParseDataFlag(v string) (DataFile, error) {
	if f, p, ok := strings.Cut(v, ":"); ok && slices.Contains(Formats, Format(f)) {
		return DataFile{Path: p, Format: Format(f)}, nil
	}
	base := strings.ToLower(v[strings.LastIndexAny(v, `/\`)+1:])
	switch {
	case strings.HasPrefix(base, "alfifi"):
		return DataFile{Path: v, Format: FormatAlfifi}, nil
	case strings.HasPrefix(base, "decisions"):
		return DataFile{Path: v, Format: FormatDecisions}, nil
	case strings.HasPrefix(base, "osact"):
		return DataFile{Path: v, Format: FormatOSACT}, nil
	case base == "tweets.txt":
		return DataFile{Path: v, Format: FormatASTD}, nil
	case strings.HasSuffix(base, ".csv"):
		return DataFile{Path: v, Format: FormatCSV}, nil
	case strings.HasSuffix(base, ".txt"):
		return DataFile{Path: v, Format: FormatText}, nil
	}
	return DataFile{}, fmt.Errorf("%w: cannot guess the format of %s; write FORMAT:PATH", ErrUnknownFormat, v)
}

// Load reads a data file. Bad rows are reported through bad (which may be
// nil) and skipped; the error is for the file as a whole.
func Load(df DataFile, bad func(*RowError)) ([]Example, error) {
	f, err := os.Open(df.Path)
	if err != nil {
		return nil, fmt.Errorf("load data: %w", err)
	}
	defer f.Close()
	return Decode(f, df, bad)
}

// Decode reads examples in df's format from r; df.Path names the source in
// error reports.
func Decode(r io.Reader, df DataFile, bad func(*RowError)) ([]Example, error) {
	if bad == nil {
		bad = func(*RowError) {}
	}
	w := df.Weight
	switch {
	case w > 0:
	case df.Format == FormatDecisions:
		w = DecisionWeight
	default:
		w = 1
	}
	var (
		out []Example
		err error
	)
	switch df.Format {
	case FormatCSV, FormatAlfifi:
		out, err = decodeCSV(r, df, bad)
	case FormatASTD:
		out, err = decodeTSV(r, df.Path, 2, 0, bad)
	case FormatOSACT:
		out, err = decodeTSV(r, df.Path, 3, 1, bad)
	case FormatText:
		out, err = decodeText(r, df.Path)
	case FormatLines:
		out, err = decodeLines(r, df.Path)
	case FormatDecisions:
		out, err = decodeCSV(r, df, bad)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, df.Format)
	}
	for i := range out {
		out[i].Weight = w
		out[i].Train = df.Format == FormatDecisions
	}
	return out, err
}

func decodeCSV(r io.Reader, df DataFile, bad func(*RowError)) ([]Example, error) {
	pos := df.Positive
	if len(pos) == 0 && df.Format == FormatAlfifi {
		pos = []string{"ISIS"}
	}
	decisions := df.Format == FormatDecisions
	if decisions {
		// The export's own columns: the decision is the label, one
		// author's posts stay in one fold.
		pos = []string{DecisionConfirmed}
		df.LabelColumn, df.TextColumn, df.IDColumn, df.GroupColumn = "decision", "text", "id", "author"
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", df.Path, err)
	}
	col := func(name, def string) int {
		if name == "" {
			name = def
		}
		for i, h := range head {
			if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), name) {
				return i
			}
		}
		return -1
	}
	ti, li, ii, gi := col(df.TextColumn, "text"), col(df.LabelColumn, "label"), col(df.IDColumn, "id"), -1
	if df.GroupColumn != "" {
		if gi = col(df.GroupColumn, ""); gi < 0 {
			return nil, fmt.Errorf("%s: %w %q", df.Path, ErrNoColumn, df.GroupColumn)
		}
	}
	if ti < 0 || li < 0 {
		return nil, fmt.Errorf("%s: %w: need text and label columns, header is %v", df.Path, ErrNoColumn, head)
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(&RowError{df.Path, pe.StartLine, fmt.Errorf("%w: %w", ErrBadRow, pe.Err)})
				continue
			}
			return out, fmt.Errorf("%s: %w", df.Path, err)
		}
		line, _ := cr.FieldPos(0)
		if ti >= len(rec) || li >= len(rec) || gi >= len(rec) {
			bad(&RowError{df.Path, line, fmt.Errorf("%w: %d fields, header has %d", ErrBadRow, len(rec), len(head))})
			continue
		}
		text := strings.TrimSpace(rec[ti])
		if text == "" {
			bad(&RowError{df.Path, line, fmt.Errorf("%w: empty text", ErrBadRow)})
			continue
		}
		if d := strings.TrimSpace(rec[li]); decisions && !strings.EqualFold(d, DecisionConfirmed) && !strings.EqualFold(d, DecisionDismissed) {
			bad(&RowError{df.Path, line, fmt.Errorf("%w: decision %q, want %s or %s", ErrBadRow, d, DecisionConfirmed, DecisionDismissed)})
			continue
		}
		ex := Example{Text: text, Where: fmt.Sprintf("%s:%d", df.Path, line)}
		for _, p := range pos {
			if strings.EqualFold(strings.TrimSpace(rec[li]), p) {
				ex.Positive = true
			}
		}
		switch {
		case gi >= 0 && rec[gi] != "":
			ex.Group = rec[gi]
		case ii >= 0 && ii < len(rec):
			ex.Group = rec[ii]
		default:
			ex.Group = ex.Where
		}
		out = append(out, ex)
	}
}

// decodeTSV reads tab-separated rows with at least fields columns, taking
// the text from column text. Every row is negative.
func decodeTSV(r io.Reader, path string, fields, text int, bad func(*RowError)) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var out []Example
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		parts := strings.Split(s, "\t")
		if len(parts) < fields {
			bad(&RowError{path, line, fmt.Errorf("%w: %d tab-separated fields, want %d", ErrBadRow, len(parts), fields)})
			continue
		}
		t := strings.TrimSpace(parts[text])
		if t == "" {
			bad(&RowError{path, line, fmt.Errorf("%w: empty text", ErrBadRow)})
			continue
		}
		where := fmt.Sprintf("%s:%d", path, line)
		out = append(out, Example{Text: t, Group: where, Where: where})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	return out, nil
}

// decodeText splits plain text into paragraphs at blank lines; each
// paragraph is a negative example, and the whole file is one group.
func decodeText(r io.Reader, path string) ([]Example, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Example
	var para []string
	start := 0
	flush := func() {
		if len(para) > 0 {
			out = append(out, Example{Text: strings.Join(para, "\n"), Group: path, Where: fmt.Sprintf("%s:%d", path, start)})
			para = para[:0]
		}
	}
	for i, l := range bytes.Split(b, []byte("\n")) {
		t := strings.TrimSpace(strings.ReplaceAll(string(l), "\u00a0", " "))
		if t == "" || i == 0 && strings.HasPrefix(t, "#") {
			flush()
			continue
		}
		if len(para) == 0 {
			start = i + 1
		}
		para = append(para, t)
	}
	flush()
	return out, nil
}

// decodeLines reads one negative example per non-empty line; '#' lines are
// comments.
func decodeLines(r io.Reader, path string) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var out []Example
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(strings.ReplaceAll(sc.Text(), "\u00a0", " "))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, line)
		out = append(out, Example{Text: t, Group: where, Where: where})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	return out, nil
}
