package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// shareFile, in the queue directory, tells other raqib processes on the
// same data directory where the owner's embedded server listens. It holds
// a secret: only the user may read it.
const shareFile = "share.json"

// errNotShared means the data directory's owner does not share its queue.
var errNotShared = errors.New("the process does not share its queue (only `raqib serve` and `raqib worker` do)")

type share struct {
	URL   string `json:"url"`
	Token string `json:"token,omitempty"`
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("queue token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// writeShare publishes where srv listens. The file is written under a
// temporary name and renamed, so that a joining process never reads half
// of it; a file left by a killed owner is simply replaced.
func writeShare(dir string, srv *server.Server, token string) (string, error) {
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok {
		return "", errors.New("share queue: the embedded server does not listen")
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	data, err := json.Marshal(share{URL: "nats://" + net.JoinHostPort(host, fmt.Sprint(addr.Port)), Token: token})
	if err != nil {
		return "", fmt.Errorf("share queue: %w", err)
	}
	path := filepath.Join(dir, shareFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return "", fmt.Errorf("share queue: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("share queue: %w", err)
	}
	return path, nil
}

// joinShared connects to the embedded server another process shares on
// the queue directory dir.
func joinShared(dir string) (*nats.Conn, error) {
	data, err := os.ReadFile(filepath.Join(dir, shareFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNotShared
	}
	if err != nil {
		return nil, fmt.Errorf("join queue: %w", err)
	}
	var sh share
	if err := json.Unmarshal(data, &sh); err != nil || sh.URL == "" {
		return nil, fmt.Errorf("join queue: %s is not a share file", filepath.Join(dir, shareFile))
	}
	opts := []nats.Option{nats.Name("raqib")}
	if sh.Token != "" {
		opts = append(opts, nats.Token(sh.Token))
	}
	nc, err := nats.Connect(sh.URL, opts...)
	if err != nil {
		// The error names the URL, never the token.
		return nil, fmt.Errorf("join queue at %s: %w", sh.URL, err)
	}
	return nc, nil
}
