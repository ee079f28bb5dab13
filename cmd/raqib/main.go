// Command raqib is the one binary of raqib (رقيب): `raqib help` lists its
// commands. It parses the command line and environment into a Config and
// runs the command; everything else lives in internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/raqib-project/raqib/internal/app"
)

func main() {
	name, cfg, err := app.Parse(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = app.Run(ctx, name, cfg)
		stop()
	}
	os.Exit(app.ExitCode(os.Stderr, err))
}
