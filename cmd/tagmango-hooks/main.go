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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Main(ctx, factory.New(iostreams.System(os.Getenv)), os.Args[1:])
	stop()
	os.Exit(code)
}
