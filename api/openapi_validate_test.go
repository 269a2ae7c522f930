package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The document is checked by kin-openapi, an implementation independent of
// the code that builds it: here as a whole (TestOpenAPIValidates), and in
// every API test against the traffic (openapi_transport_test.go).

// loadOpenAPI parses and validates the document (examples included) with
// kin-openapi, an implementation independent of the code that builds it.
func loadOpenAPI(ctx context.Context, b []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation(), openapi3.EnableMultiError()); err != nil {
		return nil, err
	}
	return doc, nil
}

// openAPIProblems lists the problems of a Validate error one by one.
func openAPIProblems(err error) []string {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		return []string{err.Error()}
	}
	var out []string
	for _, e := range me {
		out = append(out, openAPIProblems(e)...)
	}
	return out
}

// TestOpenAPIValidates loads the document the server serves, as a client
// would, with kin-openapi, and validates it with examples checked against
// their schemas.
func TestOpenAPIValidates(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	code, _, body := ts.get("/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	if !json.Valid([]byte(body)) {
		t.Fatal("GET /openapi.json is not JSON")
	}
	if _, err := loadOpenAPI(context.Background(), []byte(body)); err != nil {
		for _, p := range openAPIProblems(err) {
			// The first line names the problem and where; the rest
			// (the schema and the value) is for the log.
			first, rest, _ := strings.Cut(strings.TrimSpace(p), "\n")
			t.Errorf("OpenAPI document: %s", first)
			if rest != "" {
				t.Logf("%s", rest)
			}
		}
	}
}

// TestOpenAPIReads makes every documented GET without path parameters on
// a fresh server through the validating client, so that the reads no
// other test makes (GET /v1/models, for one) are checked against the
// document too.
func TestOpenAPIReads(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	b, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var reads []string
	for p, methods := range doc.Paths {
		if _, ok := methods["get"]; ok && !strings.Contains(p, "{") {
			reads = append(reads, p)
		}
	}
	sort.Strings(reads)
	for _, p := range reads {
		if code, _, body := ts.get(p, nil); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, code, clip([]byte(body), 256))
		}
	}
}
