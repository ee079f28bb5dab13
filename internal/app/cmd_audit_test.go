package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// auditedData runs commands that change state without a web user (ingest,
// bank import, disable, enable of an entry) on a new data directory and
// returns it and the text file it imported.
func auditedData(t *testing.T) (data, text string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	// Hand-made Arabic line.
	text = filepath.Join(dir, "note.txt")
	list := filepath.Join(dir, "list.csv")
	if err := errors.Join(os.WriteFile(text, []byte("سطر أول\n"), 0o600),
		os.WriteFile(list, []byte("hash,algo,labels,entity,source,provenance\nd41d8cd98f00b204e9800998ecf8427e,md5,propaganda,isis,,\n"), 0o600)); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{text}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	for _, args := range [][]string{
		{"bank", "import", "--bank", "own", "--kind", "own", list},
		{"bank", "disable", "--bank", "own"},
		{"bank", "disable", "1"},
	} {
		b := testConfig(t, args...)
		b.Data = c.Data
		if err := Run(ctx, "bank", b); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, b.Stderr)
		}
	}
	return c.Data, text
}

// runAuditCmd runs `raqib audit ARGS` on data and returns its output.
func runAuditCmd(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	c := testConfig(t, append([]string{"audit"}, args...)...)
	c.Data = data
	err := Run(context.Background(), "audit", c)
	return c.Stdout.(*bytes.Buffer).String(), err
}

func TestAuditRecordsCLIChanges(t *testing.T) {
	data, text := auditedData(t)
	out, err := runAuditCmd(t, data, "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	var es []audit.Entry
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var e audit.Entry
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		es = append(es, e)
		actions = append(actions, e.Action+" "+e.Subject)
	}
	if len(es) > 0 && !strings.Contains(string(es[0].After), `"location":`+strconv.Quote(text)) {
		t.Errorf("ingest entry %s does not name the file read", es[0].After)
	}
	want := []string{"ingest.run " + post.SourceID("text", text), "bank.import own", "bank.disable own", "bank.entry.disable own#1"}
	if !slices.Equal(actions, want) {
		t.Fatalf("actions %q, want %q", actions, want)
	}
	for _, e := range es {
		if e.Actor == "" || !strings.HasPrefix(e.Source, "cli:"+e.Actor+"@") {
			t.Errorf("entry %d: actor %q source %q, want the OS user on this host", e.Seq, e.Actor, e.Source)
		}
	}
	for _, c := range []struct {
		entry int
		field json.RawMessage
		want  string
	}{
		{0, es[0].After, `"read":1,"rejected":0`},
		{1, es[1].After, `"added":1`},
		{2, es[2].Before, `"Enabled":true`},
		{2, es[2].After, `"Enabled":false`},
		{3, es[3].After, `"Enabled":false`},
	} {
		if !strings.Contains(string(c.field), c.want) {
			t.Errorf("entry %d: %s, want %s in it", c.entry+1, c.field, c.want)
		}
	}

	out, err = runAuditCmd(t, data, "list", "--actor", es[0].Actor, "--since", "1h")
	if err != nil || strings.Count(out, "\n") != 5 || !strings.Contains(out, "bank.entry.disable") {
		t.Errorf("list --actor --since: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"list", "--actor", "nobody"}, {"list", "--since", time.Now().Add(time.Hour).Format(time.RFC3339)}} {
		if out, err := runAuditCmd(t, data, args...); err != nil || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: %v\n%s, want the header alone", args, err, out)
		}
	}
	if _, err := runAuditCmd(t, data, "list", "--since", "last tuesday"); !errors.Is(err, ErrUsage) {
		t.Errorf("bad --since: %v, want a usage error", err)
	}
	out, err = runAuditCmd(t, data, "verify")
	if err != nil || !strings.Contains(out, "4 audit entries verified; head "+es[3].Hash) {
		t.Errorf("verify: %v\n%s", err, out)
	}
}

// tamperDB edits the audit table of the database in data as someone with
// the file could: dropping the append-only triggers first.
func tamperDB(t *testing.T, data string, edit func(db *sql.DB) error) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete`)
	if err == nil {
		err = edit(db)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(db *sql.DB) error
		want string
	}{
		{"one byte flipped", func(db *sql.DB) error {
			var after []byte
			if err := db.QueryRow(`SELECT after_json FROM audit WHERE seq = 2`).Scan(&after); err != nil {
				return err
			}
			after[len(after)/2] ^= 1
			_, err := db.Exec(`UPDATE audit SET after_json = ? WHERE seq = 2`, after)
			return err
		}, "audit entry 2: hash mismatch"},
		{"middle entry deleted", func(db *sql.DB) error {
			_, err := db.Exec(`DELETE FROM audit WHERE seq = 3`)
			return err
		}, "audit entry 4: gap in seq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := auditedData(t)
			tamperDB(t, data, tc.edit)
			_, err := runAuditCmd(t, data, "verify")
			var msg bytes.Buffer
			if code := ExitCode(&msg, err); code != 1 || !errors.Is(err, audit.ErrBroken) || !strings.Contains(msg.String(), tc.want) {
				t.Errorf("verify exited %d: %s, want %q", code, msg.String(), tc.want)
			}
		})
	}
}
