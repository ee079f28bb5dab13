package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/raqib-project/raqib/internal/account"
)

// benchAccounts generates a registry of N accounts with planted
// successors of removed accounts and prints successor linking's recall@5,
// top-candidate precision and query latency as one JSON line.
func benchAccounts(_ context.Context, c *Config) error {
	n, err := benchN(c, 1_000_000)
	if err != nil {
		return err
	}
	res := account.Evaluate(account.Generate(n, 1), 2000)
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("bench accounts: %w", err)
	}
	_, err = fmt.Fprintln(c.Stdout, string(b))
	return err
}
