package api_test

// Drift tests between the code and openapi/openapi.json. They fail when a route, a
// request field, a query parameter, a response field or a status code changes on one
// side only. The scenario validates every response body and header of a live paymux
// against the schema documented for its operation and status code.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/paymux/paymux/internal/api"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider/sandbox"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

const (
	oaFile = "openapi/openapi.json"
	// oaBase is where the document is registered with the validator; nothing is fetched.
	oaBase = "https://paymux.invalid/openapi.json"
	// oaUnknown is the field or query parameter no endpoint takes.
	oaUnknown = "zz_not_a_field"
)

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaDoc is the parsed document with a validator over it.
type oaDoc struct {
	root map[string]any // decoded with json.Number, as the validator wants
	ops  []*oaOp

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

// oaOp is one operation of the document.
type oaOp struct {
	method string // upper case
	path   string // template, e.g. /v1/payments/{id}
	id     string
	node   map[string]any
	ptr    string // JSON pointer of node
}

func (o *oaOp) String() string { return o.method + " " + o.path }

var (
	oaOnce   sync.Once
	oaShared *oaDoc
	oaErr    error
)

// oaLoad parses openapi.json once for all tests.
func oaLoad(t testing.TB) *oaDoc {
	t.Helper()
	oaOnce.Do(func() { oaShared, oaErr = oaParse() })
	if oaErr != nil {
		t.Fatalf("%s: %v", oaFile, oaErr)
	}
	return oaShared
}

func oaParse() (*oaDoc, error) {
	raw, err := os.ReadFile(oaFile)
	if err != nil {
		return nil, err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	d := &oaDoc{root: root, compiled: map[string]*jsonschema.Schema{}}
	d.compiler = jsonschema.NewCompiler()
	d.compiler.DefaultDraft(jsonschema.Draft2020)
	d.compiler.AssertFormat()
	if err := d.compiler.AddResource(oaBase, root); err != nil {
		return nil, err
	}
	paths, _ := root["paths"].(map[string]any)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[p].(map[string]any)
		for _, m := range oaMethods {
			node, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			id, _ := node["operationId"].(string)
			d.ops = append(d.ops, &oaOp{method: strings.ToUpper(m), path: p, id: id, node: node,
				ptr: oaPtr("paths", p, m)})
		}
	}
	return d, nil
}

// oaPtr builds a JSON pointer from unescaped tokens.
func oaPtr(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

// lookup returns the node at a JSON pointer of the document.
func (d *oaDoc) lookup(ptr string) (any, bool) {
	var cur any = d.root
	if ptr == "" {
		return cur, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// resolve follows local $refs from the node at ptr and returns the final node and its pointer.
func (d *oaDoc) resolve(ptr string) (map[string]any, string, error) {
	for range 10 {
		v, ok := d.lookup(ptr)
		if !ok {
			return nil, ptr, fmt.Errorf("no node at #%s", ptr)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, ptr, fmt.Errorf("#%s is not an object", ptr)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, ptr, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, ptr, fmt.Errorf("#%s: only local $refs are used, got %q", ptr, ref)
		}
		ptr = strings.TrimPrefix(ref, "#")
	}
	return nil, ptr, fmt.Errorf("#%s: $ref loop", ptr)
}

// schema compiles the JSON schema at ptr.
func (d *oaDoc) schema(ptr string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.compiled[ptr]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(oaBase + "#" + ptr)
	if err != nil {
		return nil, err
	}
	d.compiled[ptr] = s
	return s, nil
}

// validate checks a Go value (marshalled to JSON) against the schema at ptr.
func (d *oaDoc) validate(ptr string, v any) error {
	s, err := d.schema(ptr)
	if err != nil {
		return err
	}
	var inst any
	switch b := v.(type) {
	case []byte:
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
	default:
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(j)); err != nil {
			return err
		}
	}
	return s.Validate(inst)
}

// find returns the operation whose template matches method and path.
func (d *oaDoc) find(method, path string) *oaOp {
	segs := strings.Split(path, "/")
	var best *oaOp
	bestLiterals := -1
	for _, o := range d.ops {
		if o.method != method {
			continue
		}
		tsegs := strings.Split(o.path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, ts := range tsegs {
			_, suffix, param := oaParamSegment(ts)
			switch {
			case param && suffix != "":
				// A parameter with a literal suffix ({id}.pdf) is more specific
				// than the bare parameter.
				ok = ok && len(segs[i]) > len(suffix) && strings.HasSuffix(segs[i], suffix)
				literals++
			case param:
				ok = ok && segs[i] != ""
			case ts == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = o, literals
		}
	}
	return best
}

// oaParamSegment splits a path template segment such as "{id}" or "{id}.pdf" into
// the parameter's name and the literal suffix after it.
func oaParamSegment(seg string) (name, suffix string, ok bool) {
	end := strings.Index(seg, "}")
	if !strings.HasPrefix(seg, "{") || end < 0 {
		return "", "", false
	}
	return seg[1:end], seg[end+1:], true
}

// params returns an operation's parameters (resolved) with their pointers.
func (d *oaDoc) params(o *oaOp) ([]map[string]any, []string, error) {
	list, _ := o.node["parameters"].([]any)
	var out []map[string]any
	var ptrs []string
	for i := range list {
		p, ptr, err := d.resolve(o.ptr + oaPtr("parameters", strconv.Itoa(i)))
		if err != nil {
			return nil, nil, err
		}
		out, ptrs = append(out, p), append(ptrs, ptr)
	}
	return out, ptrs, nil
}

// strictBody returns the pointer of the operation's JSON request body schema when it
// is a closed object (additionalProperties: false), the API's strict JSON bodies.
func (d *oaDoc) strictBody(o *oaOp) (string, map[string]any, bool) {
	if _, ok := o.node["requestBody"]; !ok {
		return "", nil, false
	}
	rb, rbPtr, err := d.resolve(o.ptr + "/requestBody")
	if err != nil {
		return "", nil, false
	}
	if _, ok := rb["content"].(map[string]any)["application/json"]; !ok {
		return "", nil, false
	}
	ptr := rbPtr + oaPtr("content", "application/json", "schema")
	s, _, err := d.resolve(ptr)
	if err != nil || s["additionalProperties"] != false {
		return "", nil, false
	}
	return ptr, s, true
}

// ---------------------------------------------------------------------------
// a. the route table and the document describe the same operations

func TestOpenAPIRoutesMatchDocument(t *testing.T) {
	t.Parallel()
	d := oaLoad(t)
	srv := api.New(api.Deps{})
	code := map[string]bool{}
	private := map[string]bool{}
	for _, r := range srv.Routes() {
		if r.Public {
			code[r.Method+" "+r.Path] = true
		} else {
			private[r.Method+" "+r.Path] = true
		}
	}
	doc := map[string]bool{}
	for _, o := range d.ops {
		doc[o.String()] = true
	}
	for k := range code {
		if !doc[k] {
			t.Errorf("public route %s is not in %s", k, oaFile)
		}
	}
	for k := range doc {
		if !code[k] {
			what := "no such route"
			if private[k] {
				what = "the route is not Public"
			}
			t.Errorf("%s documents %s, but %s in (*api.Server).Routes()", oaFile, k, what)
		}
	}
}

// ---------------------------------------------------------------------------
// The document is complete and self-consistent.

func TestOpenAPIDocumentIsComplete(t *testing.T) {
	t.Parallel()
	d := oaLoad(t)
	if v, _ := d.root["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if _, ok := d.root["jsonSchemaDialect"]; ok {
		t.Errorf("jsonSchemaDialect should be left to its default (JSON Schema 2020-12)")
	}
	tags := map[string]bool{}
	for _, tg := range d.root["tags"].([]any) {
		tags[tg.(map[string]any)["name"].(string)] = true
	}
	ids := map[string]bool{}
	for _, o := range d.ops {
		if o.id == "" || ids[o.id] {
			t.Errorf("%s: operationId %q missing or not unique", o, o.id)
		}
		ids[o.id] = true
		for _, k := range []string{"summary", "description"} {
			if s, _ := o.node[k].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s", o, k)
			}
		}
		otags, _ := o.node["tags"].([]any)
		if len(otags) == 0 {
			t.Errorf("%s: no tags", o)
		}
		for _, tg := range otags {
			if !tags[tg.(string)] {
				t.Errorf("%s: tag %v is not declared", o, tg)
			}
		}
		params, _, err := d.params(o)
		if err != nil {
			t.Errorf("%s: %v", o, err)
		}
		inPath := map[string]bool{}
		hasIdem := false
		for _, p := range params {
			if p["in"] == "path" {
				inPath[p["name"].(string)] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v must be required", o, p["name"])
				}
			}
			if p["in"] == "header" && p["name"] == "Idempotency-Key" {
				hasIdem = true
			}
			if s, _ := p["description"].(string); s == "" {
				t.Errorf("%s: parameter %v has no description", o, p["name"])
			}
		}
		for _, seg := range strings.Split(o.path, "/") {
			if name, _, ok := oaParamSegment(seg); ok {
				if !inPath[name] {
					t.Errorf("%s: path parameter %s is not declared", o, name)
				}
				delete(inPath, name)
			}
		}
		for name := range inPath {
			t.Errorf("%s: declares path parameter %s that is not in the path", o, name)
		}
		secured := true
		if sec, ok := o.node["security"].([]any); ok && len(sec) == 0 {
			secured = false
		}
		if secured != strings.HasPrefix(o.path, "/v1/") {
			t.Errorf("%s: only /v1/ operations take an API key (security)", o)
		}
		mutating := o.method == "POST" && strings.HasPrefix(o.path, "/v1/")
		if mutating != hasIdem {
			t.Errorf("%s: Idempotency-Key documented = %v, want %v (every POST /v1/… takes it)", o, hasIdem, mutating)
		}
		responses, _ := o.node["responses"].(map[string]any)
		for _, want := range []string{"401", "403", "500", "503"} {
			if _, ok := responses[want]; secured && !ok {
				t.Errorf("%s: response %s is not documented", o, want)
			}
		}
		success := 0
		for status := range responses {
			if _, err := strconv.Atoi(status); err != nil {
				t.Errorf("%s: response %q: list status codes, not ranges or default", o, status)
				continue
			}
			if status[0] == '2' {
				success++
			}
			r, rptr, err := d.resolve(o.ptr + oaPtr("responses", status))
			if err != nil {
				t.Errorf("%s %s: %v", o, status, err)
				continue
			}
			if s, _ := r["description"].(string); s == "" {
				t.Errorf("%s %s: no description", o, status)
			}
			hdrs, _ := r["headers"].(map[string]any)
			if _, ok := hdrs["Request-Id"]; !ok {
				t.Errorf("%s %s: Request-Id header not documented", o, status)
			}
			if _, ok := hdrs["Idempotent-Replayed"]; mutating && status[0] == '2' && !ok {
				t.Errorf("%s %s: Idempotent-Replayed header not documented", o, status)
			}
			content, _ := r["content"].(map[string]any)
			if _, sse := content["text/event-stream"]; sse && o.id == "streamEvents" && status == "200" {
				continue
			}
			mt, ok := content["application/json"].(map[string]any)
			if !ok {
				// A download (a PDF, a CSV file) documents its media type instead.
				if len(content) == 0 || status[0] != '2' {
					t.Errorf("%s %s: no application/json content", o, status)
				}
				for media, v := range content {
					if m, _ := v.(map[string]any); m["schema"] == nil {
						t.Errorf("%s %s: %s has no schema", o, status, media)
					}
				}
				continue
			}
			sptr := rptr + oaPtr("content", "application/json", "schema")
			if _, err := d.schema(sptr); err != nil {
				t.Errorf("%s %s: schema does not compile: %v", o, status, err)
			}
			if ex, ok := mt["example"]; ok {
				if err := d.validate(sptr, ex); err != nil {
					t.Errorf("%s %s: the example does not match the schema: %v", o, status, err)
				}
			}
			if ref, _ := mt["schema"].(map[string]any)["$ref"].(string); status[0] >= '4' && o.id != "getReadiness" && ref != "#/components/schemas/Error" {
				t.Errorf("%s %s: error responses use the Error schema", o, status)
			}
		}
		if success == 0 {
			t.Errorf("%s: no 2xx response documented", o)
		}
		if ptr, _, ok := d.strictBody(o); ok {
			rb, rbPtr, _ := d.resolve(o.ptr + "/requestBody")
			if ex, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)["example"]; ok {
				if err := d.validate(ptr, ex); err != nil {
					t.Errorf("%s: request example does not match the schema (#%s): %v", o, rbPtr, err)
				}
			} else {
				t.Errorf("%s: the request body has no example (the docs' curl uses it)", o)
			}
		}
	}
	// Every example of every component schema is valid.
	schemas, _ := d.root["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		ptr := oaPtr("components", "schemas", name)
		if _, err := d.schema(ptr); err != nil {
			t.Errorf("schema %s does not compile: %v", name, err)
			continue
		}
		oaWalk(schemas[name], ptr, func(node map[string]any, ptr string) {
			exs, _ := node["examples"].([]any)
			for i, ex := range exs {
				if err := d.validate(ptr, ex); err != nil {
					t.Errorf("example %d at #%s does not match its schema: %v", i, ptr, err)
				}
			}
		})
	}
}

// oaWalk visits every subschema reachable through properties, items and combinators.
func oaWalk(v any, ptr string, fn func(map[string]any, string)) {
	node, ok := v.(map[string]any)
	if !ok {
		return
	}
	fn(node, ptr)
	if props, ok := node["properties"].(map[string]any); ok {
		for k, p := range props {
			oaWalk(p, ptr+oaPtr("properties", k), fn)
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		oaWalk(node[k], ptr+oaPtr(k), fn)
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		list, _ := node[k].([]any)
		for i, s := range list {
			oaWalk(s, ptr+oaPtr(k, strconv.Itoa(i)), fn)
		}
	}
}

// ---------------------------------------------------------------------------
// Response objects: the component schemas list exactly the JSON fields of the Go
// types, and require exactly those that are always present (no omitempty).

func TestOpenAPIObjectsMatchGoTypes(t *testing.T) {
	t.Parallel()
	d := oaLoad(t)
	for name, typ := range map[string]reflect.Type{
		"Payment":    reflect.TypeFor[payment.Payment](),
		"Refund":     reflect.TypeFor[payment.Refund](),
		"Event":      reflect.TypeFor[payment.Event](),
		"Customer":   reflect.TypeFor[payment.Customer](),
		"Item":       reflect.TypeFor[payment.Item](),
		"NextAction": reflect.TypeFor[payment.NextAction](),
		"Actor":      reflect.TypeFor[payment.Actor](),
		// Provider connections.
		"ProviderConnection":             reflect.TypeFor[engine.ProviderConnection](),
		"DeletedProviderConnection":      reflect.TypeFor[engine.DeletedConnection](),
		"ProviderConnectionVerification": reflect.TypeFor[engine.ConnectionVerification](),
		// Outbound webhooks.
		"WebhookEndpoint":        reflect.TypeFor[engine.WebhookEndpoint](),
		"DeletedWebhookEndpoint": reflect.TypeFor[engine.DeletedWebhookEndpoint](),
		"WebhookDelivery":        reflect.TypeFor[engine.WebhookDelivery](),
		"WebhookAttempt":         reflect.TypeFor[engine.WebhookAttempt](),
		"WebhookReplay":          reflect.TypeFor[engine.WebhookReplay](),
		// Invoices.
		"Invoice":          reflect.TypeFor[invoice.Invoice](),
		"InvoiceSeller":    reflect.TypeFor[invoice.Seller](),
		"InvoiceCustomer":  reflect.TypeFor[invoice.Customer](),
		"InvoiceLine":      reflect.TypeFor[invoice.Line](),
		"InvoiceTaxTotal":  reflect.TypeFor[invoice.TaxTotal](),
		"InvoiceSettings":  reflect.TypeFor[invoice.Settings](),
		"InvoiceExportRow": reflect.TypeFor[invoice.ExportRow](),
		// Emails.
		"Notification":         reflect.TypeFor[engine.Notification](),
		"NotificationSettings": reflect.TypeFor[engine.NotificationSettings](),
		"NotificationKinds":    reflect.TypeFor[engine.NotificationKinds](),
		"NotificationBrand":    reflect.TypeFor[engine.NotificationBrand](),
	} {
		s, _, err := d.resolve(oaPtr("components", "schemas", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s["additionalProperties"] != false {
			t.Errorf("schema %s must have additionalProperties: false", name)
		}
		props, _ := s["properties"].(map[string]any)
		required := map[string]bool{}
		if list, ok := s["required"].([]any); ok {
			for _, r := range list {
				required[r.(string)] = true
			}
		}
		goFields := map[string]bool{} // name → always present
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" && opts == "" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			goFields[name] = !slices.Contains(strings.Split(opts, ","), "omitempty")
		}
		for f, always := range goFields {
			if _, ok := props[f]; !ok {
				t.Errorf("%s.%s is in the Go type's JSON but not in schema %s", typ, f, name)
			}
			if always != required[f] {
				t.Errorf("schema %s: %q required = %v, but the Go field is always present = %v", name, f, required[f], always)
			}
		}
		for f := range props {
			if _, ok := goFields[f]; !ok {
				t.Errorf("schema %s documents %q, which %s does not have", name, f, typ)
			}
		}
	}
	// The error body of respond.go.
	if s, _, _ := d.resolve(oaPtr("components", "schemas", "Error", "properties", "error")); s == nil {
		t.Errorf("schema Error has no property error")
	}
}

// ---------------------------------------------------------------------------
// b1. Request bodies: the documented schema of each JSON body lists exactly the fields
// of the handler's request struct (read from the source, as they are unexported).

type oaGoType struct {
	kind   string // string, integer, boolean, object, array
	fields map[string]*oaGoType
	elem   *oaGoType
	name   string
}

// oaScalarTypes are the request field types with their own UnmarshalJSON.
var oaScalarTypes = map[string]string{"amountField": "integer", "unitAmountField": "integer"}

func TestOpenAPIRequestBodiesMatchGoStructs(t *testing.T) {
	t.Parallel()
	d := oaLoad(t)
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	structs := map[string]*ast.StructType{}
	methods := map[string]*ast.FuncDecl{}
	unmarshalers := map[string]bool{}
	var routes *ast.FuncDecl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch x := decl.(type) {
			case *ast.GenDecl:
				for _, spec := range x.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok {
						if st, ok := ts.Type.(*ast.StructType); ok {
							structs[ts.Name.Name] = st
						}
					}
				}
			case *ast.FuncDecl:
				if x.Recv == nil || len(x.Recv.List) != 1 {
					continue
				}
				recv := x.Recv.List[0].Type
				if st, ok := recv.(*ast.StarExpr); ok {
					recv = st.X
				}
				rname, _ := recv.(*ast.Ident)
				if rname == nil {
					continue
				}
				if x.Name.Name == "UnmarshalJSON" {
					unmarshalers[rname.Name] = true
				}
				if rname.Name == "Server" {
					methods[x.Name.Name] = x
					if x.Name.Name == "routes" {
						routes = x
					}
				}
			}
		}
	}
	if routes == nil {
		t.Fatal("no (*Server).routes in the package")
	}
	var convert func(e ast.Expr) *oaGoType
	convert = func(e ast.Expr) *oaGoType {
		switch x := e.(type) {
		case *ast.StarExpr:
			return convert(x.X)
		case *ast.ArrayType:
			return &oaGoType{kind: "array", elem: convert(x.Elt)}
		case *ast.MapType:
			return &oaGoType{kind: "object"}
		case *ast.Ident:
			switch x.Name {
			case "string":
				return &oaGoType{kind: "string"}
			case "int", "int32", "int64", "uint", "uint32", "uint64":
				return &oaGoType{kind: "integer"}
			case "bool":
				return &oaGoType{kind: "boolean"}
			}
			if k, ok := oaScalarTypes[x.Name]; ok {
				return &oaGoType{kind: k, name: x.Name}
			}
			if unmarshalers[x.Name] {
				t.Errorf("request field type %s has its own UnmarshalJSON: add it to oaScalarTypes", x.Name)
				return &oaGoType{kind: "?", name: x.Name}
			}
			st, ok := structs[x.Name]
			if !ok {
				t.Errorf("request field type %s: unknown to this test", x.Name)
				return &oaGoType{kind: "?", name: x.Name}
			}
			out := &oaGoType{kind: "object", fields: map[string]*oaGoType{}, name: x.Name}
			for _, f := range st.Fields.List {
				tag := ""
				if f.Tag != nil {
					tag, _ = strconv.Unquote(f.Tag.Value)
				}
				jname, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				for _, n := range f.Names {
					if jname == "-" || !n.IsExported() {
						continue
					}
					key := jname
					if key == "" {
						key = n.Name
					}
					out.fields[key] = convert(f.Type)
				}
			}
			return out
		}
		t.Errorf("request field type %T: unknown to this test", e)
		return &oaGoType{kind: "?"}
	}
	// The route table: api("POST", "/v1/payments", s.secret(s.createPayment)).
	seen := map[string]bool{}
	ast.Inspect(routes.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 3 {
			return true
		}
		if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "api" {
			return true
		}
		method, _ := strconv.Unquote(call.Args[0].(*ast.BasicLit).Value)
		path, _ := strconv.Unquote(call.Args[1].(*ast.BasicLit).Value)
		var handler string
		ast.Inspect(call.Args[2], func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "s" && methods[sel.Sel.Name] != nil && sel.Sel.Name != "secret" {
					handler = sel.Sel.Name
				}
			}
			return true
		})
		o := d.find(method, path)
		if o == nil || o.path != path {
			t.Errorf("route %s %s (%s) is not documented", method, path, handler)
			return true
		}
		seen[o.String()] = true
		var reqType ast.Expr
		if fn := methods[handler]; fn != nil {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && vs.Names[0].Name == "req" {
					reqType = vs.Type
				}
				return true
			})
		}
		ptr, _, strict := d.strictBody(o)
		switch {
		case reqType == nil && strict:
			t.Errorf("%s documents a JSON body, but %s decodes none", o, handler)
		case reqType != nil && !strict:
			t.Errorf("%s: %s decodes a JSON body (%s) that is not documented as a closed object", o, handler, oaExprName(reqType))
		case reqType != nil:
			oaCompareBody(t, d, o.String()+" body", ptr, convert(reqType))
		}
		return true
	})
	for _, o := range d.ops {
		if _, _, strict := d.strictBody(o); strict && !seen[o.String()] {
			t.Errorf("%s: documented with a JSON body but not found in the route table", o)
		}
	}
}

func oaExprName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return fmt.Sprintf("%T", e)
}

// oaCompareBody compares a Go request type with the schema at ptr, recursively.
func oaCompareBody(t *testing.T, d *oaDoc, where, ptr string, g *oaGoType) {
	t.Helper()
	s, sptr, err := d.resolve(ptr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	kind, _ := s["type"].(string)
	if kind == "" {
		if e, ok := s["enum"].([]any); ok && len(e) > 0 {
			if _, ok := e[0].(string); ok {
				kind = "string"
			}
		}
	}
	if kind != g.kind {
		t.Errorf("%s: documented as %q (#%s), the Go field is %s (%s)", where, kind, sptr, g.kind, g.name)
		return
	}
	switch {
	case g.kind == "array":
		oaCompareBody(t, d, where+"[]", sptr+"/items", g.elem)
	case g.kind == "object" && g.fields != nil:
		if s["additionalProperties"] != false {
			t.Errorf("%s: unknown fields are refused, so the schema (#%s) needs additionalProperties: false", where, sptr)
		}
		props, _ := s["properties"].(map[string]any)
		for name, f := range g.fields {
			if _, ok := props[name]; !ok {
				t.Errorf("%s: %s.%s (json %q) is accepted by the server but not documented", where, g.name, name, name)
				continue
			}
			oaCompareBody(t, d, where+"."+name, sptr+oaPtr("properties", name), f)
		}
		for name := range props {
			if _, ok := g.fields[name]; !ok {
				t.Errorf("%s: documents %q, which %s does not take", where, name, g.name)
			}
		}
	case g.kind == "object":
		if _, ok := s["properties"]; ok {
			t.Errorf("%s: a map in Go, but the schema (#%s) lists properties", where, sptr)
		}
	}
}

// ---------------------------------------------------------------------------
// The validating client: every response is checked against the document.

type oaClient struct {
	t   *testing.T
	env *apptest.Env
	doc *oaDoc
	mu  sync.Mutex
	// seen counts responses per operation and status.
	seen map[string]map[int]int
}

func oaNewClient(t *testing.T, env *apptest.Env) *oaClient {
	return &oaClient{t: t, env: env, doc: oaLoad(t), seen: map[string]map[int]int{}}
}

// do sends a request and validates the response; key "" sends none.
func (c *oaClient) do(method, path, key string, body any, headers ...string) *apptest.Response {
	c.t.Helper()
	resp := c.env.Do(method, path, key, body, headers...)
	c.check(method, path, resp)
	return resp
}

// call sends with the test secret key and requires status; it returns the JSON body.
func (c *oaClient) call(status int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	return c.callKey(c.env.Keys.TestSecretKey, status, method, path, body, headers...)
}

func (c *oaClient) callKey(key string, status int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	r := c.do(method, path, key, body, headers...)
	if r.Status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	return r.JSON(c.t)
}

// follow opens the event stream at path, runs act once it is open, and reads until
// n events have come: each block's data must be a documented Event whose id and
// type match the block's. It records the 200 for the coverage check.
func (c *oaClient) follow(path string, n int, act func()) []map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.env.Keys.TestSecretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	o := c.doc.find("GET", strings.SplitN(path, "?", 2)[0])
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Request-Id") == "" {
		c.t.Fatalf("GET %s: %d %v", path, resp.StatusCode, resp.Header)
	}
	c.mu.Lock()
	if c.seen[o.id] == nil {
		c.seen[o.id] = map[int]int{}
	}
	c.seen[o.id][200]++
	c.mu.Unlock()
	act() // the socket buffers what the server sends meanwhile
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	block := map[string]string{}
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		if line != "" {
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, ":") {
				block[k] = v
			}
			continue
		}
		if block["data"] == "" {
			continue
		}
		if err := c.doc.validate("/components/schemas/Event", []byte(block["data"])); err != nil {
			c.t.Errorf("GET %s: event data does not match the Event schema: %v\n%s", path, err, block["data"])
		}
		var ev map[string]any
		_ = json.Unmarshal([]byte(block["data"]), &ev)
		if ev["id"] != block["id"] || ev["type"] != block["event"] {
			c.t.Errorf("GET %s: block id %q event %q carries event %v %v", path, block["id"], block["event"], ev["id"], ev["type"])
		}
		out = append(out, ev)
		block = map[string]string{}
	}
	if len(out) < n {
		c.t.Fatalf("GET %s: %d of %d events before the stream ended: %v", path, len(out), n, sc.Err())
	}
	return out
}

// fail requires an error response with status and code (and param, if given).
func (c *oaClient) fail(status int, code, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	return c.failKey(c.env.Keys.TestSecretKey, status, code, method, path, body, headers...)
}

func (c *oaClient) failKey(key string, status int, code, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	e, _ := c.callKey(key, status, method, path, body, headers...)["error"].(map[string]any)
	if e["code"] != code {
		c.t.Fatalf("%s %s: error code %v, want %s: %v", method, path, e["code"], code, e)
	}
	return e
}

// oaErrorTypes are the error types each status may carry (DESIGN.md, respond.go).
var oaErrorTypes = map[int][]string{
	400: {"invalid_request_error", "idempotency_error"},
	401: {"authentication_error"},
	403: {"permission_error"},
	404: {"invalid_request_error"},
	409: {"invalid_request_error", "idempotency_error"},
	413: {"invalid_request_error"},
	422: {"invalid_request_error", "idempotency_error"},
	429: {"rate_limit_error"},
	500: {"api_error"},
	502: {"provider_error"},
	503: {"api_error"},
}

// check validates status, headers and body against the document.
func (c *oaClient) check(method, rawPath string, resp *apptest.Response) {
	c.t.Helper()
	d := c.doc
	path, _, _ := strings.Cut(rawPath, "?")
	o := d.find(method, path)
	if o == nil {
		c.t.Fatalf("%s %s: no documented operation matches", method, path)
	}
	c.mu.Lock()
	if c.seen[o.id] == nil {
		c.seen[o.id] = map[int]int{}
	}
	c.seen[o.id][resp.Status]++
	c.mu.Unlock()
	status := strconv.Itoa(resp.Status)
	if _, ok := o.node["responses"].(map[string]any)[status]; !ok {
		c.t.Errorf("%s %s (%s): status %d is not documented: %s", method, rawPath, o.id, resp.Status, resp.Body)
		return
	}
	r, rptr, err := d.resolve(o.ptr + oaPtr("responses", status))
	if err != nil {
		c.t.Fatalf("%s %s: %v", o, status, err)
	}
	hdrs, _ := r["headers"].(map[string]any)
	for name := range hdrs {
		h, hptr, err := d.resolve(rptr + oaPtr("headers", name))
		if err != nil {
			c.t.Fatalf("%s %s header %s: %v", o, status, name, err)
		}
		v := resp.Header.Get(name)
		if v == "" {
			if h["required"] == true {
				c.t.Errorf("%s %s (%s %d): documented header %s is missing", method, rawPath, o.id, resp.Status, name)
			}
			continue
		}
		if err := d.validate(hptr+"/schema", v); err != nil {
			c.t.Errorf("%s %s (%s %d): header %s: %q does not match the document: %v", method, rawPath, o.id, resp.Status, name, v, err)
		}
	}
	for _, name := range []string{"Request-Id", "Idempotent-Replayed", "Retry-After"} {
		if _, ok := hdrs[name]; !ok && resp.Header.Get(name) != "" {
			c.t.Errorf("%s %s (%s %d): header %s is sent but not documented for this response", method, rawPath, o.id, resp.Status, name)
		}
	}
	content, _ := r["content"].(map[string]any)
	media, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if _, ok := content[media]; ok && media != "application/json" {
		// A download: its media type is documented; its bytes are checked by the
		// tests of the feature.
		if len(resp.Body) == 0 {
			c.t.Errorf("%s %s (%s %d): an empty %s", method, rawPath, o.id, resp.Status, media)
		}
		return
	}
	if _, ok := content["application/json"]; !ok {
		if len(bytes.TrimSpace(resp.Body)) > 0 {
			c.t.Errorf("%s %s (%s %d): a body is sent (%s) but none is documented", method, rawPath, o.id, resp.Status, media)
		}
		return
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s %s (%s %d): Content-Type %q, want application/json", method, rawPath, o.id, resp.Status, ct)
	}
	if err := d.validate(rptr+oaPtr("content", "application/json", "schema"), resp.Body); err != nil {
		c.t.Errorf("%s %s (%s %d): the body does not match the document: %v\nbody: %s", method, rawPath, o.id, resp.Status, err, resp.Body)
		return
	}
	if resp.Status >= 400 {
		var e struct {
			Error struct{ Type string } `json:"error"`
		}
		if json.Unmarshal(resp.Body, &e) == nil && e.Error.Type != "" && !slices.Contains(oaErrorTypes[resp.Status], e.Error.Type) {
			c.t.Errorf("%s %s: status %d with error type %s, want one of %v", method, rawPath, resp.Status, e.Error.Type, oaErrorTypes[resp.Status])
		}
	}
}

// example builds a value from the schema at ptr using every documented property, from
// the schema's examples, const or enum.
func (d *oaDoc) example(t *testing.T, ptr string) any {
	t.Helper()
	s, sptr, err := d.resolve(ptr)
	if err != nil {
		t.Fatal(err)
	}
	props, _ := s["properties"].(map[string]any)
	if s["type"] == "object" && len(props) > 0 || s["type"] == "object" && s["additionalProperties"] == false {
		out := map[string]any{}
		for name := range props {
			out[name] = d.example(t, sptr+oaPtr("properties", name))
		}
		return out
	}
	if s["type"] == "array" {
		return []any{d.example(t, sptr+"/items")}
	}
	if exs, ok := s["examples"].([]any); ok && len(exs) > 0 {
		return exs[0]
	}
	if v, ok := s["const"]; ok {
		return v
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	t.Fatalf("#%s: give the schema examples (the drift test builds a request from them)", sptr)
	return nil
}

// oaClosedObjects lists the paths (in an example body) of every closed object.
func (d *oaDoc) closedObjects(t *testing.T, ptr string, at []string, out *[][]string) {
	s, sptr, err := d.resolve(ptr)
	if err != nil {
		t.Fatal(err)
	}
	switch s["type"] {
	case "object":
		if s["additionalProperties"] == false {
			*out = append(*out, slices.Clone(at))
		}
		props, _ := s["properties"].(map[string]any)
		for name := range props {
			d.closedObjects(t, sptr+oaPtr("properties", name), append(at, name), out)
		}
	case "array":
		d.closedObjects(t, sptr+"/items", append(at, "0"), out)
	}
}

// oaDeepCopy copies a JSON value.
func oaDeepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// oaAt returns the object at path inside v.
func oaAt(v any, path []string) map[string]any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, _ := strconv.Atoi(p)
			v = x[i]
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// ---------------------------------------------------------------------------
// b2. Live: each documented body is taken with every property, and an unknown field
// anywhere in it is refused by name. Each list takes exactly its documented query
// parameters.

func TestOpenAPIRequestsLive(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	c := oaNewClient(t, env)
	d := c.doc
	newPayment := func(body string) string {
		return c.call(201, "POST", "/v1/payments", body)["id"].(string)
	}
	newConnection := func() string {
		return c.call(201, "POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"whsec_0123456789abcdef"}}`)["id"].(string)
	}
	paid := func(capture string) string {
		id := newPayment(`{"amount":2500,"currency":"EUR","capture_method":"` + capture + `"}`)
		c.call(200, "POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_visa"}`)
		return id
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	newWebhookEndpoint := func() string {
		return c.call(201, "POST", "/v1/webhook_endpoints", `{"url":"`+receiver.URL+`","enabled_events":["*"]}`)["id"].(string)
	}
	// How to make each strict-body request succeed: its path, overrides of top-level
	// fields and the status it then answers.
	setups := map[string]func() (string, map[string]any, int){
		"createPayment": func() (string, map[string]any, int) { return "/v1/payments", nil, 201 },
		"confirmPayment": func() (string, map[string]any, int) {
			return "/v1/payments/" + newPayment(`{"amount":2500,"currency":"EUR"}`) + "/confirm", nil, 200
		},
		"capturePayment": func() (string, map[string]any, int) {
			return "/v1/payments/" + paid("manual") + "/capture", map[string]any{"amount": 1500}, 200
		},
		"cancelPayment": func() (string, map[string]any, int) {
			return "/v1/payments/" + newPayment(`{"amount":2500,"currency":"EUR"}`) + "/cancel", nil, 200
		},
		"createProviderConnection": func() (string, map[string]any, int) { return "/v1/provider_connections", nil, 201 },
		"updateProviderConnection": func() (string, map[string]any, int) {
			return "/v1/provider_connections/" + newConnection(), nil, 200
		},
		"verifyProviderConnection": func() (string, map[string]any, int) {
			return "/v1/provider_connections/" + newConnection() + "/verify", nil, 200
		},
		"createApplePaySession": func() (string, map[string]any, int) {
			walletConnections(t, env, newWalletPSP(t))
			return "/v1/payments/" + newPayment(`{"amount":2500,"currency":"EUR"}`) + "/apple_pay_session",
				map[string]any{"provider": "adyen"}, 200
		},
		"registerWalletDomain": func() (string, map[string]any, int) {
			_, stripeConn := walletConnections(t, env, newWalletPSP(t))
			return "/v1/provider_connections/" + stripeConn + "/wallet_domains", nil, 200
		},
		"createRefund": func() (string, map[string]any, int) {
			return "/v1/refunds", map[string]any{"payment_id": paid("automatic"), "amount": 1000}, 201
		},
		"createWebhookEndpoint": func() (string, map[string]any, int) {
			return "/v1/webhook_endpoints", map[string]any{"url": receiver.URL}, 201
		},
		"updateWebhookEndpoint": func() (string, map[string]any, int) {
			return "/v1/webhook_endpoints/" + newWebhookEndpoint(), map[string]any{"url": receiver.URL + "/v2"}, 200
		},
		"rotateWebhookEndpointSecret": func() (string, map[string]any, int) {
			return "/v1/webhook_endpoints/" + newWebhookEndpoint() + "/rotate_secret", nil, 200
		},
		"replayWebhookDeliveries": func() (string, map[string]any, int) {
			return "/v1/webhook_endpoints/" + newWebhookEndpoint() + "/replay", nil, 200
		},
		"updateInvoiceSettings": func() (string, map[string]any, int) { return "/v1/invoice_settings", nil, 200 },
		"issueInvoice": func() (string, map[string]any, int) {
			c.call(200, "POST", "/v1/invoice_settings", oaInvoiceSettings)
			return "/v1/payments/" + paid("automatic") + "/invoice", nil, 200
		},
		"updateNotificationSettings": func() (string, map[string]any, int) { return "/v1/notification_settings", nil, 200 },
		"createPaymentNotification": func() (string, map[string]any, int) {
			return "/v1/payments/" + newPayment(`{"amount":2500,"currency":"EUR"}`) + "/notifications", nil, 201
		},
		"retryWebhookDelivery": func() (string, map[string]any, int) {
			ep := newWebhookEndpoint()
			newPayment(`{"amount":2500,"currency":"EUR"}`)
			d := c.call(200, "GET", "/v1/webhook_endpoints/"+ep+"/deliveries?limit=1", nil)["data"].([]any)[0]
			return "/v1/webhook_deliveries/" + d.(map[string]any)["id"].(string) + "/retry", nil, 200
		},
	}
	tested := 0
	for _, o := range d.ops {
		ptr, _, ok := d.strictBody(o)
		if !ok {
			continue
		}
		tested++
		setup := setups[o.id]
		if setup == nil {
			t.Errorf("%s (%s): add a setup to TestOpenAPIRequestsLive for its documented body", o, o.id)
			continue
		}
		path, overrides, want := setup()
		full, _ := d.example(t, ptr).(map[string]any)
		for k, v := range overrides {
			full[k] = v
		}
		if err := d.validate(ptr, full); err != nil {
			t.Errorf("%s: the body built from the documented examples does not match its schema: %v", o, err)
		}
		var closed [][]string
		d.closedObjects(t, ptr, nil, &closed)
		for _, at := range closed {
			body := oaDeepCopy(full)
			obj := oaAt(body, at)
			if obj == nil {
				t.Errorf("%s: no object at %v in %v", o, at, body)
				continue
			}
			obj[oaUnknown] = "x"
			e := c.fail(400, payment.CodeParameterUnknown, o.method, path, body)
			if p, _ := e["param"].(string); p != oaUnknown && !strings.HasSuffix(p, "."+oaUnknown) {
				t.Errorf("%s: unknown field at %v refused with param %q, want it named", o, at, p)
			}
		}
		r := c.do(o.method, path, env.Keys.TestSecretKey, full)
		if r.Status != want {
			t.Errorf("%s with every documented field %v: status %d, want %d: %s", o, full, r.Status, want, r.Body)
		}
	}
	if tested != len(setups) {
		t.Errorf("%d strict bodies documented, %d setups: remove the setups of removed bodies", tested, len(setups))
	}

	// Query parameters of lists. The lists need one object each for starting_after.
	hookEndpoint := newWebhookEndpoint()
	pay := paid("automatic")
	c.call(201, "POST", "/v1/refunds", `{"payment_id":"`+pay+`","amount":100}`)
	c.call(200, "POST", "/v1/invoice_settings", oaInvoiceSettings)
	c.call(200, "POST", "/v1/payments/"+pay+"/invoice", nil)
	c.call(201, "POST", "/v1/payments/"+pay+"/notifications", `{"subject":"s","message":"m","to":"ada@example.com"}`)
	for _, o := range d.ops {
		if o.method != "GET" {
			continue
		}
		params, ptrs, err := d.params(o)
		if err != nil {
			t.Fatal(err)
		}
		documented := map[string]string{}
		for i, p := range params {
			if p["in"] == "query" {
				documented[p["name"].(string)] = ptrs[i]
			}
		}
		if len(documented) == 0 {
			continue
		}
		id := pay
		if strings.HasPrefix(o.path, "/v1/webhook_endpoints/") {
			id = hookEndpoint
		}
		path := strings.ReplaceAll(o.path, "{id}", id)
		e := c.fail(400, payment.CodeParameterUnknown, "GET", path+"?"+oaUnknown+"=1", nil)
		if e["param"] != oaUnknown {
			t.Errorf("%s: unknown query parameter refused with param %v", o, e["param"])
		}
		// The message lists what the server takes: it must be what is documented.
		msg, _ := e["message"].(string)
		_, takes, ok := strings.Cut(msg, "this list takes ")
		if o.id == "streamEvents" {
			_, takes, ok = strings.Cut(msg, "this stream takes ")
			takes, _, _ = strings.Cut(takes, " (")
		}
		if !ok {
			t.Errorf("%s: the message %q no longer lists the parameters; update this test", o, msg)
		} else {
			server := strings.Split(takes, ", ")
			sort.Strings(server)
			doc := slices.Sorted(maps.Keys(documented))
			if !slices.Equal(server, doc) {
				t.Errorf("%s: the server takes query parameters %v, the document lists %v", o, server, doc)
			}
		}
		if o.id == "streamEvents" {
			continue // no pages to walk: TestOpenAPIScenario follows the stream
		}
		first := c.call(200, "GET", path, nil)["data"].([]any)
		if len(first) == 0 {
			t.Fatalf("%s: empty list", o)
		}
		for name, pptr := range documented {
			var value string
			switch name {
			case "starting_after":
				value = first[0].(map[string]any)["id"].(string)
			case "limit":
				value = "2"
			default:
				value = fmt.Sprint(d.example(t, pptr+"/schema"))
			}
			c.call(200, "GET", path+"?"+url.Values{name: {value}}.Encode(), nil)
		}
	}
}

// oaInvoiceSettings are complete invoice settings, automatic invoices off.
const oaInvoiceSettings = `{"enabled":false,"legal_name":"Tazze Rossi S.r.l.","address_lines":["Via Roma 1"],"country":"IT",` +
	`"tax_id":"IT01234567890","default_tax_rate":"22"}`

// ---------------------------------------------------------------------------
// c. A realistic scenario on a live paymux; every response is validated.

func TestOpenAPIScenario(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	c := oaNewClient(t, env)
	pk := env.Keys.TestPublishableKey
	const eur = `"currency":"EUR"`

	c.do("GET", "/healthz", "", nil)
	c.call(200, "GET", "/readyz", nil)

	// Automatic capture, every field, with an idempotency key.
	createBody := `{"amount":2500,"currency":"eur","order_id":"ORD-1","description":"Two mugs",` +
		`"customer":{"email":"ada@example.com","name":"Ada Lovelace","type":"individual","locale":"it"},` +
		`"items":[{"name":"Mug","quantity":2,"unit_amount":1250,"category":"kitchen"}],` +
		`"capture_method":"automatic","channel":"web","return_url":"https://shop.example/done","metadata":{"cart":"c1"}}`
	first := c.do("POST", "/v1/payments", env.Keys.TestSecretKey, createBody, "Idempotency-Key", "oa-create-1")
	if first.Status != 201 {
		t.Fatalf("create: %d %s", first.Status, first.Body)
	}
	auto := first.JSON(t)
	autoID := auto["id"].(string)
	if cu, _ := auto["customer"].(map[string]any); cu["locale"] != "it" {
		t.Fatalf("customer.locale not kept: %v", auto["customer"])
	}
	replay := c.do("POST", "/v1/payments", env.Keys.TestSecretKey, createBody, "Idempotency-Key", "oa-create-1")
	if replay.Status != 201 || replay.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(bytes.TrimSpace(replay.Body), bytes.TrimSpace(first.Body)) {
		t.Fatalf("replay: %d %v %s", replay.Status, replay.Header, replay.Body)
	}
	c.fail(422, payment.CodeIdempotencyMismatch, "POST", "/v1/payments", `{"amount":2600,`+eur+`}`, "Idempotency-Key", "oa-create-1")
	c.fail(400, payment.CodeIdempotencyKeyLong, "POST", "/v1/payments", `{"amount":2600,`+eur+`}`, "Idempotency-Key", strings.Repeat("k", 256))
	if p := c.call(200, "POST", "/v1/payments/"+autoID+"/confirm", `{"provider":"sandbox","payment_method":"pm_card_visa"}`); p["status"] != "succeeded" {
		t.Fatalf("confirm visa: %v", p)
	}

	// Manual capture: partial capture after a refused over-capture.
	manualID := c.call(201, "POST", "/v1/payments", `{"amount":5000,`+eur+`,"capture_method":"manual","order_id":"ORD-2"}`)["id"].(string)
	if p := c.call(200, "POST", "/v1/payments/"+manualID+"/confirm", `{"payment_method":"pm_card_visa"}`); p["status"] != "requires_capture" {
		t.Fatalf("confirm manual: %v", p)
	}
	c.fail(422, payment.CodeAmountTooLarge, "POST", "/v1/payments/"+manualID+"/capture", `{"amount":6000}`)
	c.fail(400, payment.CodeAmountInvalid, "POST", "/v1/payments/"+manualID+"/capture", `{"amount":0}`)
	c.fail(400, payment.CodeAmountInvalid, "POST", "/v1/payments/"+manualID+"/capture", `{"amount":10.5}`)
	if p := c.call(200, "POST", "/v1/payments/"+manualID+"/capture", `{"amount":3000}`, "Idempotency-Key", "oa-capture"); p["status"] != "succeeded" || p["amount_captured"] != 3000.0 {
		t.Fatalf("capture: %v", p)
	}
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/payments/"+manualID+"/capture", nil)
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/payments/"+manualID+"/cancel", nil)

	// A decline, then a retry that succeeds.
	declinedID := c.call(201, "POST", "/v1/payments", `{"amount":1200,`+eur+`}`)["id"].(string)
	if p := c.call(200, "POST", "/v1/payments/"+declinedID+"/confirm", `{"payment_method":"pm_card_chargeDeclined"}`); p["status"] != "failed" || p["failure_code"] == "" {
		t.Fatalf("declined: %v", p)
	}
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/payments/"+declinedID+"/confirm", `{"payment_method":"pm_card_nope"}`)
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/payments/"+declinedID+"/confirm", nil)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/payments/"+declinedID+"/confirm", `{"provider":"nope","payment_method":"pm_card_visa"}`)
	c.call(200, "POST", "/v1/payments/"+declinedID+"/confirm", `{"payment_method":"pm_card_visa"}`)

	// 3-D Secure: requires_action with a redirect, then canceled.
	tdsID := c.call(201, "POST", "/v1/payments", `{"amount":900,`+eur+`,"return_url":"https://shop.example/3ds"}`)["id"].(string)
	p := c.call(200, "POST", "/v1/payments/"+tdsID+"/confirm", `{"payment_method":"pm_card_threeDSecureRequired"}`)
	if next, _ := p["next_action"].(map[string]any); p["status"] != "requires_action" || next["redirect_url"] == "" {
		t.Fatalf("3DS: %v", p)
	}
	c.call(200, "POST", "/v1/payments/"+tdsID+"/cancel", `{}`)

	// Canceled before any confirmation; then nothing more is allowed (replayed 409).
	plainID := c.call(201, "POST", "/v1/payments", `{"amount":700,`+eur+`,"channel":"email"}`)["id"].(string)
	c.call(200, "POST", "/v1/payments/"+plainID+"/cancel", nil)
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/payments/"+plainID+"/cancel", nil)
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/payments/"+plainID+"/confirm", `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "oa-409")
	again := c.do("POST", "/v1/payments/"+plainID+"/confirm", env.Keys.TestSecretKey, `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "oa-409")
	if again.Status != 409 || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed 409: %d %v", again.Status, again.Header)
	}

	// Processing, settled by the sandbox's webhook.
	procID := c.call(201, "POST", "/v1/payments", `{"amount":1500,`+eur+`}`)["id"].(string)
	if p := c.call(200, "POST", "/v1/payments/"+procID+"/confirm", `{"payment_method":"pm_card_processing"}`); p["status"] != "processing" {
		t.Fatalf("processing: %v", p)
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c.call(200, "GET", "/v1/payments/"+procID, nil)["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("processing payment did not settle")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Refunds.
	r1 := c.call(201, "POST", "/v1/refunds", `{"payment_id":"`+autoID+`","amount":1000,"reason":"requested_by_customer","metadata":{"ticket":"T-1"}}`, "Idempotency-Key", "oa-refund-1")
	if r1["status"] != "succeeded" {
		t.Fatalf("refund: %v", r1)
	}
	if p := c.call(200, "GET", "/v1/payments/"+autoID, nil); p["refund_status"] != "partial" || p["amount_refunded"] != 1000.0 {
		t.Fatalf("after a partial refund: %v", p)
	}
	c.call(201, "POST", "/v1/refunds", `{"payment_id":"`+autoID+`"}`)
	c.fail(422, payment.CodeRefundExceeds, "POST", "/v1/refunds", `{"payment_id":"`+autoID+`","amount":1}`)
	c.call(201, "POST", "/v1/refunds", `{"payment_id":"`+manualID+`","amount":500,"reason":"duplicate"}`)
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/refunds", `{"payment_id":"`+plainID+`"}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/refunds", `{"payment_id":"pay_doesnotexist"}`)
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/refunds", `{"amount":100}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/refunds", `{"payment_id":"`+autoID+`","reason":"changed_mind"}`)
	c.fail(400, payment.CodeAmountInvalid, "POST", "/v1/refunds", `{"payment_id":"`+autoID+`","amount":-5}`)

	// Emails: settings, an operator's own email, the payment's list (email is not
	// set up here: notifications are recorded as skipped).
	c.call(200, "GET", "/v1/notification_settings", nil)
	c.call(200, "POST", "/v1/notification_settings", `{"kinds":{"payment_reminder":true},"reminder_delay":600,"brand":{"color":"#AA3300"}}`, "Idempotency-Key", "oa-settings")
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/notification_settings", `{"brand":{"logo_url":"http://x.example/l.png"}}`)
	c.fail(400, payment.CodeInvalidJSON, "POST", "/v1/notification_settings", ``)
	c.callKey(env.Keys.LiveSecretKey, 200, "GET", "/v1/notification_settings", nil)
	ntf := c.call(201, "POST", "/v1/payments/"+autoID+"/notifications", `{"subject":"Your order","message":"It ships tomorrow."}`, "Idempotency-Key", "oa-ntf")
	if ntf["status"] != "skipped" || ntf["to"] != "ada@example.com" || ntf["locale"] != "it" {
		t.Fatalf("free notification: %v", ntf)
	}
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/payments/"+autoID+"/notifications", `{"subject":"Your order"}`)
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/payments/"+manualID+"/notifications", `{"subject":"s","message":"m"}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/payments/pay_nope/notifications", `{"subject":"s","message":"m"}`)
	if l := c.call(200, "GET", "/v1/payments/"+autoID+"/notifications", nil)["data"].([]any); len(l) != 4 || l[0].(map[string]any)["id"] != ntf["id"] {
		t.Fatalf("notifications of %s: %v", autoID, l)
	}
	c.call(200, "GET", "/v1/payments/"+autoID+"/notifications?limit=1", nil)
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/payments/pay_nope/notifications", nil)
	c.fail(400, payment.CodeParameterInvalid, "GET", "/v1/payments/"+autoID+"/notifications?starting_after=ntf_nope", nil)

	// Lists, with every filter and pagination; then every object is read back.
	all := c.call(200, "GET", "/v1/payments?limit=100", nil)
	if n := len(all["data"].([]any)); n != 6 {
		t.Fatalf("%d payments, want 6", n)
	}
	page := c.call(200, "GET", "/v1/payments?limit=3", nil)
	for page["has_more"] == true {
		data := page["data"].([]any)
		last := data[len(data)-1].(map[string]any)["id"].(string)
		page = c.call(200, "GET", "/v1/payments?limit=3&starting_after="+last, nil)
	}
	since := time.Now().Add(-time.Hour)
	for _, q := range []string{"status=succeeded", "status=canceled", "provider=sandbox", "order_id=ORD-1",
		"created[gte]=" + strconv.FormatInt(since.Unix(), 10), "created[lt]=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))} {
		c.call(200, "GET", "/v1/payments?"+q, nil)
	}
	for _, it := range all["data"].([]any) {
		id := it.(map[string]any)["id"].(string)
		c.call(200, "GET", "/v1/payments/"+id, nil)
		c.call(200, "GET", "/v1/payments/"+id+"/events?limit=100", nil)
	}
	c.call(200, "GET", "/v1/payments/"+autoID+"/events?limit=1", nil)
	refunds := c.call(200, "GET", "/v1/refunds", nil)["data"].([]any)
	if len(refunds) != 3 {
		t.Fatalf("%d refunds, want 3", len(refunds))
	}
	c.call(200, "GET", "/v1/refunds?payment_id="+autoID, nil)
	for _, it := range refunds {
		c.call(200, "GET", "/v1/refunds/"+it.(map[string]any)["id"].(string), nil)
	}
	c.call(200, "GET", "/v1/events?type=payment.created", nil)
	evs := c.call(200, "GET", "/v1/events?limit=100", nil)["data"].([]any)
	types := map[string]bool{}
	for _, it := range evs {
		ev := it.(map[string]any)
		types[ev["type"].(string)] = true
		c.call(200, "GET", "/v1/events/"+ev["id"].(string), nil)
	}
	for _, want := range []string{"payment.created", "payment.succeeded", "payment.requires_capture", "payment.captured",
		"payment.failed", "payment.requires_action", "payment.processing", "payment.canceled", "refund.created", "refund.succeeded"} {
		if !types[want] {
			t.Errorf("no %s event in the stream", want)
		}
	}

	// Errors.
	for _, path := range []string{"/v1/payments/pay_nope", "/v1/payments/pay_nope/events", "/v1/refunds/re_nope", "/v1/events/evt_nope"} {
		c.fail(404, payment.CodeResourceMissing, "GET", path, nil)
	}
	for action, body := range map[string]string{"confirm": `{"payment_method":"pm_card_visa"}`, "capture": `{}`, "cancel": `{}`} {
		c.fail(404, payment.CodeResourceMissing, "POST", "/v1/payments/pay_nope/"+action, body)
	}
	for body, code := range map[string]string{
		`not json`: payment.CodeInvalidJSON, ``: payment.CodeInvalidJSON, `[1]`: payment.CodeInvalidJSON,
		`{"amount":"10",` + eur + `}`: payment.CodeAmountInvalid, `{"amount":10.5,` + eur + `}`: payment.CodeAmountInvalid,
		`{"amount":1000}`: payment.CodeParameterMissing, `{"currency":"EUR"}`: payment.CodeParameterMissing,
		`{"amount":1000,"currency":"XXX"}`:                     payment.CodeCurrencyInvalid,
		`{"amount":1000000000000,` + eur + `}`:                 payment.CodeAmountTooLarge,
		`{"amount":1000,` + eur + `,"capture_method":"later"}`: payment.CodeParameterInvalid,
		`{"amount":1000,` + eur + `,"channel":"fax"}`:          payment.CodeParameterInvalid,
		`{"amount":1000,` + eur + `,"return_url":"ftp://x"}`:   payment.CodeParameterInvalid,
		`{"amount":1000,` + eur + `,"items":[{"quantity":1}]}`: payment.CodeParameterMissing,
		`{"amount":1000,` + eur + `,"order_id":5}`:             payment.CodeParameterInvalid,
	} {
		c.fail(400, code, "POST", "/v1/payments", body)
	}
	for _, q := range []string{"limit=0", "limit=101", "status=bogus", "created[gte]=yesterday", "starting_after=pay_nope", "statuz=succeeded"} {
		c.do("GET", "/v1/payments?"+q, env.Keys.TestSecretKey, nil).MustStatus(t, 400)
	}
	c.fail(413, payment.CodeBodyTooLarge, "POST", "/v1/payments", `{"description":"`+strings.Repeat("x", 300<<10)+`"}`)
	c.failKey("", 401, payment.CodeAPIKeyMissing, "GET", "/v1/payments", nil)
	c.failKey("sk_test_doesnotexist", 401, payment.CodeAPIKeyInvalid, "GET", "/v1/payments", nil)
	c.failKey("nope", 401, payment.CodeAPIKeyInvalid, "GET", "/v1/payments", nil)
	c.callKey("", 200, "GET", "/v1/payments?limit=1", nil, "Authorization", "Basic "+oaBasicAuth(env.Keys.TestSecretKey))
	// A publishable key is refused by every operation that takes a key.
	for _, o := range c.doc.ops {
		if sec, ok := o.node["security"].([]any); ok && len(sec) == 0 {
			continue
		}
		var body any
		if o.method == "POST" {
			body = `{}`
		}
		c.failKey(pk, 403, payment.CodePublishableKey, o.method, strings.ReplaceAll(o.path, "{id}", autoID), body)
	}
	// Live mode sees none of the test data.
	live := env.Keys.LiveSecretKey
	if l := c.callKey(live, 200, "GET", "/v1/payments", nil); len(l["data"].([]any)) != 0 {
		t.Fatalf("live mode lists test payments: %v", l)
	}
	c.failKey(live, 404, payment.CodeResourceMissing, "GET", "/v1/payments/"+autoID, nil)
	livePay := c.callKey(live, 201, "POST", "/v1/payments", `{"amount":1000,`+eur+`}`)
	if livePay["livemode"] != true {
		t.Fatalf("live payment: %v", livePay)
	}
	c.failKey(live, 400, payment.CodeParameterMissing, "POST", "/v1/payments/"+livePay["id"].(string)+"/confirm", `{"payment_method":"pm_card_visa"}`)
	c.failKey(live, 400, payment.CodeParameterInvalid, "POST", "/v1/payments/"+livePay["id"].(string)+"/confirm", `{"provider":"sandbox","payment_method":"pm_card_visa"}`)

	// Provider webhook intake.
	conns, err := env.App.Store.ListConnections(t.Context(), store.Scope{MerchantID: env.Keys.ID})
	if err != nil || len(conns) == 0 {
		t.Fatalf("connections: %v %v", conns, err)
	}
	conn, err := env.App.Engine.ResolveConnection(conns[0])
	if err != nil {
		t.Fatal(err)
	}
	hook := `{"id":"sbxevt_oa_1","type":"transaction.captured","created":1,"data":{"id":"sbx_oa_unknown","payment_id":"","method":"pm_card_visa","status":"captured","amount":100,"amount_captured":100,"currency":"EUR"}}`
	c.fail(404, payment.CodeResourceMissing, "POST", "/hooks/sandbox/conn_nope", hook)
	c.failKey("", 400, "webhook_signature_invalid", "POST", "/hooks/sandbox/"+conn.ID, hook, sandbox.SignatureHeader, "t=1,v1=00")
	sig := sandbox.Sign(conn.Credentials["webhook_secret"], []byte(hook), time.Now())
	for range 2 { // the second is a redelivery
		if r := c.callKey("", 200, "POST", "/hooks/sandbox/"+conn.ID, hook, sandbox.SignatureHeader, sig); r["received"] != true {
			t.Fatalf("webhook: %v", r)
		}
	}

	// Provider connections: create (replayed), list, read, change, verify, delete.
	const secret = "whsec_oaScenarioSecret0123"
	connBody := `{"provider":"sandbox","credentials":{"webhook_secret":"` + secret + `"},"methods":["card","paypal"],"base_url":"http://127.0.0.1:12111"}`
	created := c.do("POST", "/v1/provider_connections", env.Keys.TestSecretKey, connBody, "Idempotency-Key", "oa-conn-1")
	if created.Status != 201 || bytes.Contains(created.Body, []byte(secret[6:])) {
		t.Fatalf("create connection: %d %s", created.Status, created.Body)
	}
	connID := created.JSON(t)["id"].(string)
	if r := c.do("POST", "/v1/provider_connections", env.Keys.TestSecretKey, connBody, "Idempotency-Key", "oa-conn-1"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed create connection: %d %v", r.Status, r.Header)
	}
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/provider_connections", `{"provider":"nope","credentials":{"webhook_secret":"`+secret+`"}}`)
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/provider_connections", `{"provider":"sandbox"}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+secret+`"},"methods":["satispay"]}`)
	c.failKey(live, 400, payment.CodeParameterInvalid, "POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+secret+`"}}`)
	c.failKey(live, 400, payment.CodeParameterInvalid, "POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+secret+`"},"base_url":"http://127.0.0.1:1"}`)
	if l := c.call(200, "GET", "/v1/provider_connections?limit=1", nil); l["has_more"] != true {
		t.Fatalf("connections: %v", l)
	}
	c.call(200, "GET", "/v1/provider_connections?starting_after="+connID, nil)
	c.call(200, "GET", "/v1/provider_connections/"+connID, nil)
	c.call(200, "PATCH", "/v1/provider_connections/"+connID, `{"enabled":false,"methods":["card"]}`)
	c.fail(400, payment.CodeParameterUnknown, "PATCH", "/v1/provider_connections/"+connID, `{"credentials":{"webhook_secret":"`+secret+`"}}`)
	if v := c.call(200, "POST", "/v1/provider_connections/"+connID+"/verify", nil, "Idempotency-Key", "oa-verify"); v["ok"] != true {
		t.Fatalf("verify: %v", v)
	}
	c.call(200, "DELETE", "/v1/provider_connections/"+connID, nil)
	for _, m := range []string{"GET", "DELETE"} {
		c.fail(404, payment.CodeResourceMissing, m, "/v1/provider_connections/"+connID, nil)
	}
	c.fail(404, payment.CodeResourceMissing, "PATCH", "/v1/provider_connections/"+connID, `{"enabled":true}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/provider_connections/"+connID+"/verify", nil)

	// Outbound webhooks: an endpoint (its creation replayed without the secret), a
	// delivery with its attempts, a retry, a replay, a rotation, a delete.
	hooks := make(chan string, 100)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooks <- r.Header.Get("Paymux-Event-Id")
	}))
	t.Cleanup(receiver.Close)
	epBody := `{"url":"` + receiver.URL + `/paymux","enabled_events":["payment.created","refund.succeeded"],"description":"ERP"}`
	ep := c.call(201, "POST", "/v1/webhook_endpoints", epBody, "Idempotency-Key", "oa-we-1")
	epID := ep["id"].(string)
	if r := c.do("POST", "/v1/webhook_endpoints", env.Keys.TestSecretKey, epBody, "Idempotency-Key", "oa-we-1"); r.Status != 201 ||
		r.Header.Get("Idempotent-Replayed") != "true" || bytes.Contains(r.Body, []byte(ep["secret"].(string))) {
		t.Fatalf("replayed create webhook endpoint: %d %s", r.Status, r.Body)
	}
	c.failKey(live, 400, payment.CodeParameterInvalid, "POST", "/v1/webhook_endpoints", `{"url":"https://169.254.169.254/","enabled_events":["*"]}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/webhook_endpoints", `{"url":"`+receiver.URL+`","enabled_events":["payment.nope"]}`)
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/webhook_endpoints", `{"enabled_events":["*"]}`)
	c.call(200, "GET", "/v1/webhook_endpoints?limit=1", nil)
	c.call(200, "GET", "/v1/webhook_endpoints/"+epID, nil)
	c.call(200, "PATCH", "/v1/webhook_endpoints/"+epID, `{"enabled_events":["*"]}`)
	c.fail(400, payment.CodeParameterUnknown, "PATCH", "/v1/webhook_endpoints/"+epID, `{"ordered":false}`)
	hookPay := c.call(201, "POST", "/v1/payments", `{"amount":300,`+eur+`}`)["id"].(string)
	select {
	case <-hooks:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook arrived")
	}
	dels := c.call(200, "GET", "/v1/webhook_endpoints/"+epID+"/deliveries?status=succeeded", nil)["data"].([]any)
	for len(dels) == 0 {
		time.Sleep(20 * time.Millisecond)
		dels = c.call(200, "GET", "/v1/webhook_endpoints/"+epID+"/deliveries?status=succeeded", nil)["data"].([]any)
	}
	delID := dels[0].(map[string]any)["id"].(string)
	if dl := c.call(200, "GET", "/v1/webhook_deliveries/"+delID, nil); len(dl["attempts"].([]any)) != 1 {
		t.Fatalf("delivery: %v", dl)
	}
	c.call(200, "POST", "/v1/webhook_deliveries/"+delID+"/retry", nil, "Idempotency-Key", "oa-retry")
	<-hooks
	c.call(200, "POST", "/v1/webhook_endpoints/"+epID+"/replay", `{"status":"all","since":"2026-01-01T00:00:00Z"}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/webhook_endpoints/"+epID+"/replay", `{"status":"pending"}`)
	c.call(200, "POST", "/v1/webhook_endpoints/"+epID+"/rotate_secret", `{"grace_period":60}`, "Idempotency-Key", "oa-rotate")
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/webhook_endpoints/"+epID+"/rotate_secret", `{"grace_period":-1}`)
	c.call(200, "PATCH", "/v1/webhook_endpoints/"+epID, `{"enabled":false}`)
	c.fail(409, "webhook_endpoint_disabled", "POST", "/v1/webhook_endpoints/"+epID+"/replay", nil)
	c.fail(409, "webhook_endpoint_disabled", "POST", "/v1/webhook_deliveries/"+delID+"/retry", nil)
	c.call(200, "DELETE", "/v1/webhook_endpoints/"+epID, nil, "Idempotency-Key", "oa-we-delete")
	for _, m := range []string{"GET", "DELETE"} {
		c.fail(404, payment.CodeResourceMissing, m, "/v1/webhook_endpoints/"+epID, nil)
	}
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/webhook_endpoints/"+epID+"/deliveries", nil)
	c.fail(404, payment.CodeResourceMissing, "PATCH", "/v1/webhook_endpoints/"+epID, `{"enabled":true}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/webhook_endpoints/"+epID+"/rotate_secret", nil)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/webhook_endpoints/"+epID+"/replay", nil)
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/webhook_deliveries/whd_nope", nil)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/webhook_deliveries/whd_nope/retry", nil)
	c.call(200, "GET", "/v1/webhook_deliveries/"+delID, nil)
	_ = hookPay

	// Wallets: an Adyen Apple Pay session, a Stripe wallet domain.
	walletAdyen, walletStripe := walletConnections(t, env, newWalletPSP(t))
	walletPay := c.call(201, "POST", "/v1/payments", `{"amount":990,`+eur+`}`)["id"].(string)
	c.call(200, "POST", "/v1/payments/"+walletPay+"/apple_pay_session", `{"provider":"adyen","display_name":"Ada's Mugs","domain_name":"pay.shop.example"}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/payments/"+walletPay+"/apple_pay_session", `{"provider":"stripe","display_name":"A","domain_name":"pay.shop.example"}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/payments/pay_nope/apple_pay_session", `{"provider":"adyen","display_name":"A","domain_name":"pay.shop.example"}`)
	c.call(200, "POST", "/v1/provider_connections/"+walletStripe+"/wallet_domains", `{"domain_name":"pay.shop.example"}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/provider_connections/"+walletAdyen+"/wallet_domains", `{"domain_name":"pay.shop.example"}`)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/provider_connections/conn_nope/wallet_domains", `{"domain_name":"pay.shop.example"}`)

	// The audit log holds the configuration changes above.
	if a := c.call(200, "GET", "/v1/audit_log?object_id="+walletStripe, nil)["data"].([]any); len(a) == 0 {
		t.Errorf("no audit entries for %s", walletStripe)
	}
	c.call(200, "GET", "/v1/audit_log?limit=2", nil)

	// The live stream: only the types asked for, as they happen, resumable.
	var streamed string
	sevs := c.follow("/v1/events/stream?types=payment.created,payment.canceled", 2, func() {
		streamed = c.call(201, "POST", "/v1/payments", `{"amount":700,`+eur+`}`)["id"].(string)
		c.call(200, "POST", "/v1/payments/"+streamed+"/cancel", nil)
	})
	if sevs[0]["type"] != "payment.created" || sevs[1]["type"] != "payment.canceled" || sevs[0]["payment_id"] != streamed {
		t.Errorf("streamed %v", sevs)
	}
	resumed := c.follow("/v1/events/stream?after="+sevs[0]["id"].(string), 1, func() {})
	if resumed[0]["id"] != sevs[1]["id"] {
		t.Errorf("resumed after %v with %v, want %v", sevs[0]["id"], resumed[0]["id"], sevs[1]["id"])
	}
	c.fail(400, payment.CodeParameterInvalid, "GET", "/v1/events/stream?types=payment.nope", nil)
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/events/stream?after=evt_nope", nil)

	// Invoices: settings (refused, then saved), an automatic invoice after a
	// payment, its PDF, a credit note after a refund, one on demand, the export.
	if st := c.call(200, "GET", "/v1/invoice_settings", nil); st["enabled"] != false {
		t.Fatalf("invoice settings: %v", st)
	}
	c.fail(400, payment.CodeParameterMissing, "POST", "/v1/invoice_settings", `{"enabled":true}`)
	c.fail(400, payment.CodeParameterInvalid, "POST", "/v1/invoice_settings", `{"country":"Italy"}`)
	c.fail(400, payment.CodeInvalidJSON, "POST", "/v1/invoice_settings", nil)
	c.call(200, "POST", "/v1/invoice_settings", strings.Replace(oaInvoiceSettings, `"enabled":false`, `"enabled":true`, 1),
		"Idempotency-Key", "oa-inv-settings")
	invPay := c.call(201, "POST", "/v1/payments", `{"amount":3480,`+eur+`,"items":[{"name":"Mug","quantity":2,"unit_amount":1220,"tax_rate":"22"},`+
		`{"name":"Cookbook","quantity":1,"unit_amount":1040,"tax_rate":"4"}]}`)["id"].(string)
	c.call(200, "POST", "/v1/payments/"+invPay+"/confirm", `{"payment_method":"pm_card_visa"}`)
	var invs []any
	for deadline := time.Now().Add(20 * time.Second); len(invs) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no invoice was issued")
		}
		invs = c.call(200, "GET", "/v1/invoices?payment_id="+invPay, nil)["data"].([]any)
	}
	invID := invs[0].(map[string]any)["id"].(string)
	c.call(200, "GET", "/v1/invoices/"+invID, nil)
	if r := c.do("GET", "/v1/invoices/"+invID+".pdf", env.Keys.TestSecretKey, nil); r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %v", r.Status, r.Header)
	}
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/invoices/inv_nope", nil)
	c.fail(404, payment.CodeResourceMissing, "GET", "/v1/invoices/inv_nope.pdf", nil)
	c.failKey(live, 404, payment.CodeResourceMissing, "GET", "/v1/invoices/"+invID+".pdf", nil)
	c.call(201, "POST", "/v1/refunds", `{"payment_id":"`+invPay+`","amount":1000}`)
	if inv := c.call(200, "POST", "/v1/payments/"+invPay+"/invoice", nil, "Idempotency-Key", "oa-issue"); inv["id"] != invID {
		t.Fatalf("issue on demand returned another invoice: %v", inv)
	}
	c.fail(409, payment.CodePaymentInvalidState, "POST", "/v1/payments/"+c.call(201, "POST", "/v1/payments", `{"amount":100,`+eur+`}`)["id"].(string)+"/invoice", nil)
	c.fail(404, payment.CodeResourceMissing, "POST", "/v1/payments/pay_nope/invoice", nil)
	for deadline := time.Now().Add(20 * time.Second); len(c.call(200, "GET", "/v1/invoices?type=credit_note", nil)["data"].([]any)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no credit note was issued")
		}
	}
	c.call(200, "GET", "/v1/invoices?limit=1&type=invoice", nil)
	c.call(200, "GET", "/v1/invoices/export?format=json", nil)
	if r := c.do("GET", "/v1/invoices/export?format=csv&created[gte]=2026-01-01T00:00:00Z", env.Keys.TestSecretKey, nil); r.Status != 200 || !strings.HasPrefix(string(r.Body), "type,number,") {
		t.Fatalf("CSV export: %d %s", r.Status, r.Body)
	}
	c.fail(400, payment.CodeParameterInvalid, "GET", "/v1/invoices/export?format=pdf", nil)
	// Invoice events are in the stream with the invoice under data.object.
	evs = c.call(200, "GET", "/v1/events?type=invoice.created&limit=1", nil)["data"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["data"].(map[string]any)["object"].(map[string]any)["object"] != "invoice" {
		t.Fatalf("invoice.created events: %v", evs)
	}

	// Every documented operation answered with success at least once.
	var cover []string
	for _, o := range c.doc.ops {
		ok := false
		var codes []int
		for status := range c.seen[o.id] {
			codes = append(codes, status)
			ok = ok || status/100 == 2
		}
		sort.Ints(codes)
		if !ok {
			t.Errorf("%s (%s) was never answered with success in the scenario", o, o.id)
		}
		cover = append(cover, fmt.Sprintf("%s %v", o.id, codes))
	}
	t.Logf("statuses validated: %s", strings.Join(cover, "; "))
}

func oaBasicAuth(user string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, "")
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// ---------------------------------------------------------------------------
// 4. /openapi.json serves the file as it is; /docs serves the self-contained page.

func TestOpenAPIServedDocument(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	raw, err := os.ReadFile(oaFile)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do("GET", "/openapi.json", "", nil).MustStatus(t, 200)
	if !bytes.Equal(r.Body, raw) {
		t.Errorf("/openapi.json is not %s byte for byte (%d vs %d bytes)", oaFile, len(r.Body), len(raw))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("/openapi.json Content-Type %q", ct)
	}
	if r.Header.Get("Request-Id") == "" {
		t.Errorf("/openapi.json has no Request-Id")
	}
	page, err := os.ReadFile("openapi/docs.html")
	if err != nil {
		t.Fatal(err)
	}
	r = env.Do("GET", "/docs", "", nil).MustStatus(t, 200)
	if !bytes.Equal(r.Body, page) {
		t.Errorf("/docs is not openapi/docs.html")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs Content-Type %q", ct)
	}
	html := strings.ToLower(string(page))
	if !strings.Contains(html, "openapi.json") {
		t.Errorf("docs.html does not load openapi.json")
	}
	// Self-hosted and offline: nothing is loaded from elsewhere.
	for _, bad := range []string{`src="http`, `src='http`, `href="http`, `href='http`, `src="//`, `href="//`, "@import", "url(http", "url(//", "fetch('http", `fetch("http`, "import(", "<link rel=\"stylesheet\" href=\"http"} {
		if strings.Contains(html, bad) {
			t.Errorf("docs.html loads something from elsewhere (%q): it must work offline", bad)
		}
	}
}

// TestOpenAPIDocsPageRenders opens /docs in a real browser: every operation and object
// of the document is rendered, and nothing is fetched from another origin.
func TestOpenAPIDocsPageRenders(t *testing.T) {
	t.Parallel()
	exe := chromium(t) // fails, not skips, without a browser
	d := oaLoad(t)
	env := apptest.Start(t, "sqlite")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/docs"), chromedp.WaitVisible(chromedp.CSS("section.op"))); err != nil {
		t.Fatalf("open /docs: %v", err)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("section.op")).map(e => e.id)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range d.ops {
		if !slices.Contains(ids, "op-"+o.id) {
			t.Errorf("/docs does not show %s (%s)", o, o.id)
		}
	}
	schemas, _ := d.root["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		if !slices.Contains(ids, "schema-"+name) {
			t.Errorf("/docs does not show object %s", name)
		}
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(loaded, env.URL+"/openapi.json") {
		t.Errorf("/docs did not load /openapi.json: %v", loaded)
	}
	for _, u := range loaded {
		if !strings.HasPrefix(u, env.URL+"/") {
			t.Errorf("/docs loaded %s from another origin: it must work offline", u)
		}
	}
}
