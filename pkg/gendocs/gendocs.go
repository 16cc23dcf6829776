// Package gendocs generates the command reference, man pages and shell completions
// from the command tree, and the published schemas from the event catalog, so that
// they can never drift from the code.
package gendocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// manDate is fixed so that regenerating the pages changes nothing unless the commands
// changed.
var manDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// PublishedVersion is the info.version of the published OpenAPI document. The file is
// committed and must not change with whoever builds it, so it carries no build
// version: it describes the catalog of the branch it is on, and `events schema
// --format openapi` of a released binary prints that release's version instead.
const PublishedVersion = "main"

// Generate writes docs/cli, docs/man, docs/schema and completions under dir,
// replacing what the previous run wrote there.
func Generate(dir string) error {
	cmd := newRoot()
	cliDir := filepath.Join(dir, "docs", "cli")
	manDir := filepath.Join(dir, "docs", "man")
	schemaDir := filepath.Join(dir, "docs", "schema")
	compDir := filepath.Join(dir, "completions")
	for _, d := range []string{cliDir, manDir, schemaDir, compDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(cmd, cliDir); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	if err := writeHelpTopics(cmd, cliDir); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "TAGMANGO-HOOKS", Section: "1", Source: "tagmango-hooks", Manual: "tagmango-hooks manual", Date: &manDate}
	if err := doc.GenManTree(cmd, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := writeSchemas(schemaDir); err != nil {
		return err
	}
	return writeCompletions(cmd, compDir)
}

// writeSchemas publishes the catalog as JSON Schema (the bundle, and each event on its
// own at its $id) and as the OpenAPI document.
func writeSchemas(dir string) error {
	c, err := events.Load()
	if err != nil {
		return err
	}
	b := eventschema.NewBuilder(c)
	files := map[string]*eventschema.Object{}
	if files[eventschema.BundleFile], err = b.Bundle(c.Events, true); err != nil {
		return err
	}
	for _, e := range c.Events {
		if files[eventschema.EventFile(e.Type)], err = b.EventSchema(e); err != nil {
			return err
		}
	}
	if files[eventschema.OpenAPIFile], err = b.OpenAPI(c.Events, PublishedVersion); err != nil {
		return err
	}
	for name, doc := range files {
		var data []byte
		if strings.HasSuffix(name, ".yaml") {
			data, err = doc.YAML()
		} else {
			data, err = doc.JSON()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func newRoot() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios)
	// The docs must not depend on who builds them.
	f.AppVersion = ""
	cmd := root.NewCmdRoot(f)
	cmd.DisableAutoGenTag = true
	return cmd
}

// writeHelpTopics writes a page for each `help TOPIC`, which cobra's generator skips.
func writeHelpTopics(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "## %s help %s\n\n%s\n\n```\n%s```\n\n### SEE ALSO\n\n* [%s](%s.md)\t - %s\n",
			cmd.Name(), c.Name(), c.Short, c.Long, cmd.Name(), cmd.Name(), cmd.Short)
		name := filepath.Join(dir, cmd.Name()+"_help_"+c.Name()+".md")
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeCompletions(cmd *cobra.Command, dir string) error {
	name := cmd.Name()
	gens := map[string]func(*bytes.Buffer) error{
		name + ".bash": func(b *bytes.Buffer) error { return cmd.GenBashCompletionV2(b, true) },
		"_" + name:     func(b *bytes.Buffer) error { return cmd.GenZshCompletion(b) },
		name + ".fish": func(b *bytes.Buffer) error { return cmd.GenFishCompletion(b, true) },
		name + ".ps1":  func(b *bytes.Buffer) error { return cmd.GenPowerShellCompletionWithDesc(b) },
	}
	for file, gen := range gens {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("completion %s: %w", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
