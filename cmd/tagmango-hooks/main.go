// Command tagmango-hooks is the command-line companion for TagMango webhooks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

func main() {
	// A closed pipe (`listen | head`) must surface as a write error the command can
	// handle — listen still deletes its temporary subscriptions — not kill the process.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Main(ctx, factory.New(iostreams.System(os.Getenv)), os.Args[1:])
	stop()
	os.Exit(code)
}
