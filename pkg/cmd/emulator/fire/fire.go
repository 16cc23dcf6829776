// Package fire implements `emulator fire`.
package fire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// EnvEmulatorURL names the emulator when --emulator is not given.
const EnvEmulatorURL = "TAGMANGO_EMULATOR_URL"

// FireOptions are the inputs of `emulator fire`.
type FireOptions struct {
	IO      *iostreams.IOStreams
	Catalog func() (*events.Catalog, error)
	Format  func() (output.Format, error)
	// Transport carries the call to the emulator; nil means the default.
	Transport http.RoundTripper
	Getenv    func(string) string

	Event        string
	Mango        string
	Course       string
	Webinar      string
	Participants int
	Sets         []string
	Force        bool
	// EmulatorURL is --emulator, else $TAGMANGO_EMULATOR_URL, else the default.
	EmulatorURL string
}

// NewCmdFire builds `emulator fire`.
func NewCmdFire(f *cmdutil.Factory, runF func(*FireOptions) error) *cobra.Command {
	opts := &FireOptions{
		IO:        f.IOStreams,
		Catalog:   f.Catalog,
		Format:    f.OutputFormat,
		Transport: f.HTTPTransport,
		Getenv:    os.Getenv,
	}
	cmd := &cobra.Command{
		Use:   "fire EVENT [--course|--webinar|--mango ID] [--participants N] [--set field=value ...]",
		Short: "Ask a running emulator to deliver an event to the registered URLs",
		Long: `Ask a running emulator (` + "`emulator serve`" + `) to fire EVENT: it delivers one POST per
participant, each with distinct fake participant data, to every registration whose
event is EVENT and whose filter is empty or the given id — and prints the report:
registrations matched, deliveries sent, their statuses and the failures.

The id (--course, --webinar or --mango, whichever the event is about) is also put
into the payload's id field (courseId, webinarId). --set field=value changes a field
of every delivery exactly as trigger --set does: typed as the catalog documents it
(phone is a number in course events and a string in webinar.completed.all), nested
fields by dotted path (callList.0.webinar=...); --force adds undocumented fields.

webinar.reminder.all is sent as TagMango sends it: three rounds (1 day, 30 min and
15 min before), each to every participant; the counts sum the three rounds.

A fire makes at most ` + output.Thousands(emulator.DefaultMaxDeliveries) + ` deliveries (registrations × participants × rounds);
a larger one is refused (exit 2). The report lists the first ` + output.Thousands(emulator.MaxListedFailures) + ` failures and counts
every failure by cause ("failed by" lines; "failuresByCause" and "failuresOmitted"
in JSON).

Exits 3 when any delivery failed (no connection, timed out, or not 2xx) and when no
registration matched (nothing was sent: a mistyped id must not pass a CI check), 1
when no emulator answers. -o json prints the emulator's report as it came.`,
		Example: `  $ tagmango-hooks emulator fire course.completed.50 --course 634fc35ddaf58580e2418c40 --participants 25
  $ tagmango-hooks emulator fire webinar.reminder.all --webinar 6149b1e5612c4e5fd96041d3 --participants 100
  $ tagmango-hooks emulator fire order.created.completed --set amount=4999 --set coupon=LAUNCH -o json
  $ tagmango-hooks emulator fire webinar.created.single --set callList.0.webinar="Live Q&A"`,
		Args:              cmdutil.ExactArgs(1, "fire needs one EVENT (see `tagmango-hooks events`)"),
		ValidArgsFunction: cmdutil.CompleteEvents(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Event = args[0]
			if !c.Flags().Changed("emulator") {
				if v := opts.Getenv(EnvEmulatorURL); v != "" {
					opts.EmulatorURL = v
				}
			}
			var ids []string
			for _, name := range []string{"mango", "course", "webinar"} {
				if c.Flags().Changed(name) {
					ids = append(ids, "--"+name)
				}
			}
			if len(ids) > 1 {
				return cmdutil.FlagErrorf("give one of --mango, --course, --webinar, not %s", strings.Join(ids, " and "))
			}
			if opts.Participants < 1 || opts.Participants > emulator.DefaultMaxParticipants {
				return cmdutil.FlagErrorf("--participants must be between 1 and %d, not %d", emulator.DefaultMaxParticipants, opts.Participants)
			}
			if runF != nil {
				return runF(opts)
			}
			return fireRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Mango, "mango", "", "the mango (product) the event is about")
	fl.StringVar(&opts.Course, "course", "", "the course the event is about")
	fl.StringVar(&opts.Webinar, "webinar", "", "the webinar the event is about")
	fl.IntVarP(&opts.Participants, "participants", "n", 1, "participants: one delivery each to every matching registration")
	fl.StringArrayVar(&opts.Sets, "set", nil, "set a field of every delivery: `field=value`, dotted paths such as callList.0.webinar (repeatable)")
	fl.BoolVar(&opts.Force, "force", false, "let --set add fields the catalog does not document (as strings)")
	_ = cmd.RegisterFlagCompletionFunc("set", shared.CompleteSet(f))
	fl.StringVar(&opts.EmulatorURL, "emulator", emulator.DefaultURL, "the emulator's URL (env "+EnvEmulatorURL+"; localhost:4280 needs no http://)")
	return cmd
}

func fireRun(ctx context.Context, opts *FireOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	e, ok := catalog.Lookup(opts.Event)
	if !ok {
		return cmdutil.Invalidf("%s", catalog.UnknownMessage(opts.Event))
	}
	req := emulator.FireRequest{Event: e.Type, Mango: opts.Mango, Course: opts.Course, Webinar: opts.Webinar, Participants: opts.Participants}
	given := events.FilterSet{Mango: req.Mango, Course: req.Course, Webinar: req.Webinar}
	if bad := e.Misapplied(given); len(bad) > 0 {
		if e.Filter() == "" {
			return cmdutil.Invalidf("--%s does not apply to %s, which is about no entity: leave it out", bad[0], e.Type)
		}
		return cmdutil.Invalidf("--%s does not apply to %s, which is about a %s: use --%s", bad[0], e.Type, e.Filter(), e.Filter())
	}
	// The entity fired: the event's own, the only filter left given.
	key, id := e.Filter(), given.Get(e.Filter())
	if err := checkSets(e, opts.Sets, opts.Force); err != nil {
		return err
	}
	req.Set, req.Force = opts.Sets, opts.Force
	emulatorURL, err := hookurl.WithLoopbackScheme(opts.EmulatorURL)
	if err != nil {
		return cmdutil.Invalidf("--emulator: %v", err)
	}
	client, err := emulator.NewClient(emulatorURL, opts.Transport)
	if err != nil {
		return cmdutil.Invalidf("--emulator: %v", err)
	}

	raw, rep, err := client.Fire(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return cmdutil.ErrCancel
		}
		if ae, ok := errors.AsType[*emulator.AnswerError](err); ok && ae.Status == http.StatusBadRequest {
			return cmdutil.Invalidf("%s", ae.Message)
		}
		return err
	}

	switch {
	case format == output.FormatJSON:
		if err := printJSON(opts.IO.Out, raw); err != nil {
			return err
		}
	case format.IsStructured():
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if err := output.WriteStructured(opts.IO.Out, format, v); err != nil {
			return err
		}
	default:
		if err := printReport(opts.IO, rep, key, id); err != nil {
			return err
		}
	}
	if rep.Matched == 0 {
		// A typo in --course must not pass a CI check: matching nothing is an unmet
		// expectation, said after the report so that scripts still get it.
		what := e.Type
		if id != "" {
			what += " about " + key + " " + id
		}
		return cmdutil.Expectationf("no registration receives %s, so nothing was sent: register a URL with the emulator first (TAGMANGO_BASE_URL=%s tagmango-hooks register --url URL --event %s)",
			output.SanitizeCell(what), output.SanitizeCell(emulatorURL), e.Type)
	}
	if rep.HasFailures() {
		return cmdutil.Expectationf("%d of %d deliveries failed", rep.FailedCount(), rep.Sent)
	}
	return nil
}

// checkSets tries the --set assignments on the event's example, so that a misspelt
// field or a value of the wrong type is refused (exit 2, with trigger's words) before
// the emulator is called. The emulator applies them to every delivery with the same
// sample.Set.
func checkSets(e *events.Event, sets []string, force bool) error {
	if len(sets) == 0 {
		return nil
	}
	scratch, err := sample.Example(e)
	if err != nil {
		scratch = sample.NewDocument()
	}
	for _, a := range sets {
		if err := shared.ApplySet(scratch, e, a, force); err != nil {
			return err
		}
	}
	return nil
}

func printJSON(w io.Writer, raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// printReport writes the report as "name value" lines (tab-separated in a pipe), then
// the failures grouped by URL and result: a table on a terminal, "failure" lines in a
// pipe.
func printReport(ios *iostreams.IOStreams, rep *emulator.Report, key, id string) error {
	tty := ios.IsStdoutTTY()
	var b strings.Builder
	line := func(name, value string) {
		if tty {
			fmt.Fprintf(&b, "%-13s %s\n", name, value)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", name, value)
		}
	}
	event := rep.Event
	if id != "" {
		event += " (" + key + " " + output.SanitizeCell(id) + ")"
	}
	line("event", event)
	line("participants", strconv.Itoa(rep.Participants))
	if rep.Rounds > 1 {
		line("rounds", fmt.Sprintf("%d (1 day, 30 min and 15 min before); the counts below sum all rounds", rep.Rounds))
	}
	line("matched", strconv.Itoa(rep.Matched))
	line("sent", strconv.Itoa(rep.Sent))
	codes := make([]string, 0, len(rep.Statuses))
	for c := range rep.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		line("status "+output.SanitizeCell(c), strconv.Itoa(rep.Statuses[c]))
	}
	if rep.Duplicates > 0 {
		line("duplicates", strconv.Itoa(rep.Duplicates))
	}
	if rep.Retries > 0 {
		line("retries", strconv.Itoa(rep.Retries))
	}
	line("failed", strconv.Itoa(rep.FailedCount()))
	if rep.FailuresOmitted > 0 {
		// The list below is the first failures only: the causes count them all.
		causes := make([]string, 0, len(rep.FailuresByCause))
		for c := range rep.FailuresByCause {
			causes = append(causes, c)
		}
		sort.Slice(causes, func(i, j int) bool {
			if ni, nj := rep.FailuresByCause[causes[i]], rep.FailuresByCause[causes[j]]; ni != nj {
				return ni > nj
			}
			return causes[i] < causes[j]
		})
		for _, c := range causes {
			line("failed by", output.SanitizeCell(c)+": "+strconv.Itoa(rep.FailuresByCause[c]))
		}
		line("listed", fmt.Sprintf("the first %d failures of %d", len(rep.Failures), rep.FailedCount()))
	}
	if _, err := io.WriteString(ios.Out, b.String()); err != nil {
		return err
	}
	if len(rep.Failures) == 0 {
		return nil
	}

	type group struct{ url, result string }
	counts := map[group]int{}
	var order []group
	for _, f := range rep.Failures {
		g := group{f.HookURL, f.Error}
		if f.Status != 0 {
			g.result = "HTTP " + strconv.Itoa(f.Status)
		}
		if counts[g] == 0 {
			order = append(order, g)
		}
		counts[g]++
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].url != order[j].url {
			return order[i].url < order[j].url
		}
		return order[i].result < order[j].result
	})
	if !tty {
		// In a pipe every line starts with its name, like the summary's.
		b.Reset()
		for _, g := range order {
			fmt.Fprintf(&b, "failure\t%s\t%s\t%d\n", output.SanitizeCell(g.url), output.SanitizeCell(g.result), counts[g])
		}
		_, err := io.WriteString(ios.Out, b.String())
		return err
	}
	fmt.Fprintln(ios.Out)
	t := output.NewTable(ios.Out, tty, "FAILED URL", "RESULT", "DELIVERIES")
	for _, g := range order {
		t.AddRow(g.url, g.result, strconv.Itoa(counts[g]))
	}
	return t.Render()
}
