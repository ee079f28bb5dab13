package app

import (
	"regexp"
	"strings"
	"testing"
)

// TestBankExportAudited: a hash list leaving the unit is an audit entry
// naming the bank, the format and how many entries left.
func TestBankExportAudited(t *testing.T) {
	data, _ := auditedData(t)
	out, err := runCmd(t, data, nil, "bank", "export", "--bank", "own", "--bank-format", "csv")
	if err != nil || !strings.Contains(out, "d41d8cd98f00b204e9800998ecf8427e") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	out, err = runAuditCmd(t, data, "list")
	if err != nil || !regexp.MustCompile(`bank\.export\s+own\s+\{"entries":1,"format":"csv"\}`).MatchString(out) {
		t.Fatalf("audit list after an export: %v\n%s", err, out)
	}
}
