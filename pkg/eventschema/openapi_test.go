package eventschema_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// loadOpenAPI parses the document with an independent OpenAPI 3.1 library and checks
// it against the OpenAPI specification's schema.
func loadOpenAPI(t *testing.T, data []byte) (validator.Validator, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("invalid OpenAPI document: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason)
			}
		}
		t.FailNow()
	}
	return v, &model.Model
}

func openAPIDoc(t *testing.T, c *events.Catalog, yaml bool) []byte {
	t.Helper()
	doc, err := eventschema.NewBuilder(c).OpenAPI(c.Events, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	if yaml {
		data, err = doc.YAML()
	} else {
		data, err = doc.JSON()
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	c := catalog(t)
	for _, yaml := range []bool{true, false} {
		_, m := loadOpenAPI(t, openAPIDoc(t, c, yaml))
		if m.Version != "3.1.0" || m.Info.Version != "1.2.3" || m.Info.Title != "TagMango webhooks" {
			t.Errorf("header: %q %q %q", m.Version, m.Info.Version, m.Info.Title)
		}
		if len(m.Servers) != 1 || m.Servers[0].URL != api.DefaultBaseURL {
			t.Errorf("servers: %v", m.Servers)
		}
		p, ok := m.Paths.PathItems.Get(api.RegisterPath)
		if !ok || p.Post == nil || p.Delete == nil || p.Post.RequestBody == nil || p.Delete.RequestBody == nil {
			t.Fatalf("paths: %v", p)
		}
		for _, op := range []*v3.Operation{p.Post, p.Delete} {
			if len(op.Security) != 1 {
				t.Errorf("%s: security %v", op.OperationId, op.Security)
			}
			for _, code := range []string{"200", "401", "429"} {
				if _, ok := op.Responses.Codes.Get(code); !ok {
					t.Errorf("%s: no %s response", op.OperationId, code)
				}
			}
		}
		scheme, ok := m.Components.SecuritySchemes.Get("apiKey")
		if !ok || scheme.Type != "apiKey" || scheme.In != "header" || scheme.Name != "x-api-key" {
			t.Errorf("security scheme: %+v", scheme)
		}
		if m.Webhooks.Len() != len(c.Events) {
			t.Errorf("%d webhooks, want %d", m.Webhooks.Len(), len(c.Events))
		}
		for _, e := range c.Events {
			w, ok := m.Webhooks.Get(e.Type)
			if !ok || w.Post == nil {
				t.Errorf("no webhook %s", e.Type)
				continue
			}
			mt, _ := w.Post.RequestBody.Content.Get("application/json")
			if mt == nil || mt.Schema.GetReference() != "#/components/schemas/"+e.Type {
				t.Errorf("%s: request body %v", e.Type, mt)
			}
			if !strings.Contains(w.Post.Description, "one call per participant") || !strings.Contains(w.Post.Description, "30 seconds") ||
				!strings.Contains(w.Post.Description, "idempotently") {
				t.Errorf("%s: the delivery rules are missing: %s", e.Type, w.Post.Description)
			}
			if (w.Post.Deprecated != nil && *w.Post.Deprecated) != e.Deprecated {
				t.Errorf("%s: deprecated %v", e.Type, w.Post.Deprecated)
			}
			sp, ok := m.Components.Schemas.Get(e.Type)
			if !ok {
				t.Errorf("no components/schemas/%s", e.Type)
				continue
			}
			// Numbers are doubles: generators otherwise pick float32, too small for a phone.
			for name, prop := range sp.Schema().Properties.FromOldest() {
				ps := prop.Schema()
				if slices.Contains(ps.Type, "number") && ps.Format != "double" {
					t.Errorf("%s.%s: a number of format %q", e.Type, name, ps.Format)
				}
			}
		}
	}
}

func TestOpenAPIValidatesRegisterAndDeleteRequests(t *testing.T) {
	c := catalog(t)
	v, _ := loadOpenAPI(t, openAPIDoc(t, c, true))
	tests := []struct {
		method, body string
		ok           bool
	}{
		{http.MethodPost, `{"hookUrl":"https://example.com/hooks/tm","event":"course.completed.50","course":"634fc35ddaf58580e2418c40"}`, true},
		{http.MethodPost, `{"hookUrl":"https://example.com/hooks/tm","event":"course.completed"}`, true},
		{http.MethodPost, `{"hookUrl":"https://example.com/hooks/tm","event":"course.completed.7"}`, false},
		{http.MethodPost, `{"event":"course.completed.50"}`, false},
		{http.MethodDelete, `{"hookUrl":"https://example.com/hooks/tm"}`, true},
		{http.MethodDelete, `{}`, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, api.DefaultBaseURL+api.RegisterPath, strings.NewReader(tt.body))
		req.Header.Set("content-type", "application/json")
		req.Header.Set("x-api-key", "k")
		ok, errs := v.ValidateHttpRequestSync(req)
		if ok != tt.ok {
			t.Errorf("%s %s: valid %v, want %v (%v)", tt.method, tt.body, ok, tt.ok, errs)
		}
	}
}

// TestOpenAPIWebhooksValidateDeliveries posts the examples and --fake payloads, as
// trigger and the emulator send them, to each webhook of the document.
func TestOpenAPIWebhooksValidateDeliveries(t *testing.T) {
	c := catalog(t)
	v, m := loadOpenAPI(t, openAPIDoc(t, c, true))
	deliver := func(e *events.Event, body []byte) (bool, string) {
		w, _ := m.Webhooks.Get(e.Type)
		req := httptest.NewRequest(http.MethodPost, "https://example.com/hooks/tm", bytes.NewReader(body))
		req.Header.Set("content-type", "application/json")
		ok, errs := v.ValidateHttpRequestSyncWithPathItem(req, w, "/hooks/tm")
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message+": "+e.Reason)
		}
		return ok, strings.Join(msgs, "; ")
	}
	g := sample.NewGenerator(7)
	for _, e := range c.Events {
		if ok, why := deliver(e, e.Example); !ok {
			t.Errorf("%s: the example is refused: %s", e.Type, why)
		}
		for i := 0; i < 3; i++ {
			body, err := g.Fake(e).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if ok, why := deliver(e, body); !ok {
				t.Errorf("%s: a --fake payload is refused: %s\n%s", e.Type, why, body)
			}
		}
		if ok, _ := deliver(e, []byte(`{"name":"only a name"}`)); ok {
			t.Errorf("%s: a payload missing its fields is accepted", e.Type)
		}
	}
}
