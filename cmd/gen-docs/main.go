// Command gen-docs writes the generated documentation from the live command tree:
// docs/cli/ (a markdown page per command), docs/man/ (section 1 man pages) and
// completions/ (bash, zsh, fish and PowerShell); and from the event catalog,
// docs/schema/ (JSON Schema and OpenAPI). Run it from the repository root:
//
//	go run ./cmd/gen-docs
//
// CI runs it and fails when the committed files differ.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/gendocs"
)

func main() {
	root := flag.String("root", ".", "repository root to write docs/ and completions/ into")
	flag.Parse()
	if err := gendocs.Generate(*root); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}
