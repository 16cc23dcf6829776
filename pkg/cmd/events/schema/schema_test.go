package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	schemaCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/schema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

func catalog(t *testing.T) *events.Catalog {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	res := cmdtest.New(t).Run(append([]string{"events", "schema"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("%v: exit %d: %s", args, res.Code, res.Stderr)
	}
	if res.Stderr != "" {
		t.Errorf("%v: stderr %q", args, res.Stderr)
	}
	return res
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return m
}

func TestParsing(t *testing.T) {
	tests := []struct {
		args    []string
		format  string
		types   []string
		wantErr string
	}{
		{nil, "json-schema", []string{}, ""},
		{[]string{"course.completed.50", "user.deleted"}, "json-schema", []string{"course.completed.50", "user.deleted"}, ""},
		{[]string{"--format", "openapi"}, "openapi", []string{}, ""},
		{[]string{"--format", "yaml"}, "", nil, `invalid --format "yaml": use json-schema or openapi`},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		var got *schemaCmd.SchemaOptions
		cmd := schemaCmd.NewCmdSchema(&cmdutil.Factory{IOStreams: ios}, func(o *schemaCmd.SchemaOptions) error {
			got = o
			return nil
		})
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got.Format != tt.format || strings.Join(got.Types, ",") != strings.Join(tt.types, ",") {
			t.Errorf("%v: format %q types %q", tt.args, got.Format, got.Types)
		}
	}
}

func TestOneEventIsAStandaloneSchema(t *testing.T) {
	m := decode(t, run(t, "course.completed.50").Stdout)
	if m["$schema"] != eventschema.Dialect || m["$id"] != eventschema.BaseURL+"events/course.completed.50.schema.json" ||
		m["title"] != "course.completed.50" || m["type"] != "object" {
		t.Errorf("header: %v", m)
	}
	if _, ok := m["$defs"]; ok {
		t.Error("one event has no $defs")
	}
}

func TestSeveralOrNoEventsAreABundle(t *testing.T) {
	c := catalog(t)
	all := decode(t, run(t).Stdout)
	if all["$id"] != eventschema.BaseURL+eventschema.BundleFile || len(all["$defs"].(map[string]any)) != len(c.Events) {
		t.Errorf("the whole catalog: $id %v, %d $defs", all["$id"], len(all["$defs"].(map[string]any)))
	}
	two := decode(t, run(t, "user.deleted", "course.completed.50", "user.deleted").Stdout)
	defs := two["$defs"].(map[string]any)
	if len(defs) != 2 || defs["user.deleted"] == nil || defs["course.completed.50"] == nil {
		t.Errorf("two events: %v", defs)
	}
	if _, ok := two["$id"]; ok {
		t.Error("a selection must not claim the published bundle's $id")
	}
	// The same event twice is one event.
	if one := decode(t, run(t, "user.deleted", "user.deleted").Stdout); one["title"] != "user.deleted" {
		t.Errorf("a repeated TYPE: %v", one["title"])
	}
}

func TestOpenAPIYAMLKeepsTheJSONOrder(t *testing.T) {
	j := run(t, "--format", "openapi").Stdout
	y := run(t, "--format", "openapi", "-o", "yaml").Stdout
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(j), &fromJSON); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromYAML)
	b, _ := json.Marshal(fromJSON)
	if !bytes.Equal(a, b) {
		t.Error("the YAML and the JSON documents differ")
	}
	if !strings.HasPrefix(y, "openapi: 3.1.0\ninfo:\n  title: TagMango webhooks\n  version: 1.0.0-test\n") {
		t.Errorf("YAML starts:\n%s", y[:200])
	}
	if !strings.HasPrefix(j, "{\n  \"openapi\": \"3.1.0\",\n  \"info\": {\n    \"title\": \"TagMango webhooks\",\n    \"version\": \"1.0.0-test\",") {
		t.Errorf("JSON starts:\n%s", j[:200])
	}
	var keys []string
	var node yaml.Node
	_ = yaml.Unmarshal([]byte(y), &node)
	for i := 0; i < len(node.Content[0].Content); i += 2 {
		keys = append(keys, node.Content[0].Content[i].Value)
	}
	if got := strings.Join(keys, " "); got != "openapi info externalDocs servers tags paths webhooks components" {
		t.Errorf("top-level keys: %s", got)
	}
}

func TestOpenAPIWithTypesHasOnlyThoseWebhooks(t *testing.T) {
	m := decode(t, run(t, "--format", "openapi", "webinar.reminder.all").Stdout)
	hooks := m["webhooks"].(map[string]any)
	if len(hooks) != 1 || hooks["webinar.reminder.all"] == nil {
		t.Errorf("webhooks: %v", hooks)
	}
	schemas := m["components"].(map[string]any)["schemas"].(map[string]any)
	if schemas["webinar.reminder.all"] == nil || schemas["RegisterRequest"] == nil || schemas["user.deleted"] != nil {
		t.Errorf("schemas: %v", schemas)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"course.completed.5"}, 2, `unknown event "course.completed.5"; did you mean "course.completed.50"?`},
		{[]string{"user.deleted", "nope"}, 2, `unknown event "nope"`},
		{[]string{"--format", "swagger"}, 2, `invalid --format "swagger": use json-schema or openapi`},
	}
	for _, tt := range tests {
		res := cmdtest.New(t).Run(append([]string{"events", "schema"}, tt.args...)...)
		if res.Code != tt.code || !strings.Contains(res.Stderr, tt.stderr) || res.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tt.args, res.Code, res.Stdout, res.Stderr)
		}
	}
}

// TestSchemaValidatesTheSamples is the promise of `events schema`: what `events sample`
// prints — and so what trigger and the emulator send — validates against it.
func TestSchemaValidatesTheSamples(t *testing.T) {
	c := catalog(t)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(run(t).Stdout))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("mem://events.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Events {
		s, err := comp.Compile("mem://events.schema.json#/$defs/" + e.Type)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{}, {"--fake", "--seed", "1"}, {"--fake", "--seed", "77"}, {"--fake", "--seed", "123456"}} {
			res := cmdtest.New(t).Run(append([]string{"events", "sample", e.Type}, args...)...)
			if res.Code != 0 {
				t.Fatalf("sample %s %v: exit %d: %s", e.Type, args, res.Code, res.Stderr)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(res.Stdout))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(inst); err != nil {
				t.Errorf("events sample %s %v does not validate: %v\n%s", e.Type, args, err, res.Stdout)
			}
		}
	}
}

// TestPublishedFilesAreWhatTheCommandPrints: docs/schema/ (written by gen-docs) holds
// exactly the command's output, the OpenAPI version aside.
func TestPublishedFilesAreWhatTheCommandPrints(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "docs", "schema")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatalf("%v (run go run ./cmd/gen-docs)", err)
		}
		return string(b)
	}
	if got := run(t).Stdout; got != read(eventschema.BundleFile) {
		t.Errorf("%s is not `events schema`", eventschema.BundleFile)
	}
	if got := run(t, "webinar.created.recurring").Stdout; got != read(eventschema.EventFile("webinar.created.recurring")) {
		t.Error("the published webinar.created.recurring schema is not `events schema webinar.created.recurring`")
	}
	got := run(t, "--format", "openapi", "-o", "yaml").Stdout
	got = strings.Replace(got, "version: 1.0.0-test\n", "version: main\n", 1)
	if got != read(eventschema.OpenAPIFile) {
		t.Errorf("%s is not `events schema --format openapi -o yaml`", eventschema.OpenAPIFile)
	}
}
