// Package gendocs generates the command reference, man pages and shell completions
// from the command tree, so that they can never drift from the code.
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
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// manDate is fixed so that regenerating the pages changes nothing unless the commands
// changed.
var manDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Generate writes docs/cli, docs/man and completions under dir, replacing what the
// previous run wrote there.
func Generate(dir string) error {
	cmd := newRoot()
	cliDir := filepath.Join(dir, "docs", "cli")
	manDir := filepath.Join(dir, "docs", "man")
	compDir := filepath.Join(dir, "completions")
	for _, d := range []string{cliDir, manDir, compDir} {
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
	return writeCompletions(cmd, compDir)
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
