package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The API tests check the OpenAPI document against what the server really
// does: their clients send every request through a validatingTransport,
// which matches it to an operation of the document, checks the request
// against it, and checks the response's status, Content-Type and body
// against the operation's responses. A mismatch fails the test that made
// the request, naming the operation and the problem, so the document
// cannot drift from the handlers without a test noticing.

// openAPIRouter is the validated document and its router, built once for
// all the tests of the package: the document is a constant of the build.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	registerBodyDecoders()
	b, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	doc, err := loadOpenAPI(context.Background(), b)
	if err != nil {
		return nil, fmt.Errorf("the OpenAPI document does not validate: %w", err)
	}
	return gorillamux.NewRouter(doc)
})

// registerBodyDecoders teaches openapi3filter (whose decoders are a
// package-level registry) the two media types of the document it does not
// know: NDJSON uploads, each line of which is one object of the schema,
// and the dashboard's HTML pages, which are strings.
func registerBodyDecoders() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", ndjsonBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// ndjsonBodyDecoder checks every line of an NDJSON body against the
// schema (OpenAPI 3.0 has no way to say "a stream of these"), and gives
// the validator the last line, which has passed the same check.
func ndjsonBodyDecoder(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var last any
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		v, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(sc.Bytes()), h, schema, enc)
		if err != nil {
			return nil, fmt.Errorf("NDJSON line %d: %w", line, err)
		}
		if err := schema.Value.VisitJSON(v); err != nil {
			return nil, fmt.Errorf("NDJSON line %d: %w", line, err)
		}
		last = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if last == nil {
		return nil, errors.New("NDJSON body without a row")
	}
	return last, nil
}

// validation says what a validatingTransport checks.
type validation int

const (
	// checkAll validates requests and responses.
	checkAll validation = iota
	// checkResponses validates responses only, for tests that send
	// deliberately invalid requests (hostile input, bad bodies) or stream
	// a request body that must not be read ahead: what the server answers
	// them must still be documented.
	checkResponses
)

// validatingTransport is a test-only http.RoundTripper that validates each
// request and response against the OpenAPI document, and reports a
// mismatch with t.Errorf (safe from any goroutine), so the test goes on
// and fails at its end with every mismatch listed.
type validatingTransport struct {
	t     testing.TB
	base  http.RoundTripper
	check validation
}

// apiClient is the HTTP client of the API tests: every request it sends
// and every response it receives is validated against the document.
func apiClient(t testing.TB) *http.Client {
	return &http.Client{Transport: apiTransport(t, checkAll)}
}

// apiClientResponsesOnly validates responses only: for deliberately
// invalid or streamed requests.
func apiClientResponsesOnly(t testing.TB) *http.Client {
	return &http.Client{Transport: apiTransport(t, checkResponses)}
}

// apiTransport validates over http.DefaultTransport, which the tests'
// clients used before, so connections are pooled as they were.
func apiTransport(t testing.TB, check validation) http.RoundTripper {
	return &validatingTransport{t: t, base: http.DefaultTransport, check: check}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport below.
func (vt *validatingTransport) CloseIdleConnections() {
	if c, ok := vt.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	router, err := openAPIRouter()
	if err != nil {
		vt.t.Errorf("%v", err)
		return vt.base.RoundTrip(req)
	}
	var reqBody []byte
	if vt.check == checkAll && req.Body != nil && req.Body != http.NoBody {
		// Read ahead so the validator and the server each get the body.
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		if err := req.Body.Close(); err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	route, params, routeErr := router.FindRoute(req)
	if routeErr != nil {
		return vt.undocumented(req, routeErr)
	}
	input := &openapi3filter.RequestValidationInput{
		Request: validationCopy(req, reqBody), PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			// The server, not the validator, judges tokens.
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true, MultiError: true, SkipSettingDefaults: true,
		},
	}
	if vt.check == checkAll {
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			vt.t.Errorf("OpenAPI: request %s %s (operation %s %s) does not match the document: %v",
				req.Method, req.URL.RequestURI(), route.Method, route.Path, err)
		}
	}
	resp, err := vt.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	vt.checkResponse(input, resp)
	return resp, nil
}

// undocumented sends a request for which the document has no operation:
// the tests ask for unknown routes and methods on purpose, and may only
// be refused them.
func (vt *validatingTransport) undocumented(req *http.Request, routeErr error) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err == nil && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		vt.t.Errorf("OpenAPI: %s %s answered %d but the document has no such operation: %v",
			req.Method, req.URL.RequestURI(), resp.StatusCode, routeErr)
	}
	return resp, err
}

// checkResponse validates the status, Content-Type and body of resp,
// whose body it reads and puts back (with the read error, if any, at its
// end, as the caller would have met it).
func (vt *validatingTransport) checkResponse(input *openapi3filter.RequestValidationInput, resp *http.Response) {
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), iotest.ErrReader(err)))
		return // a body cut short is not the document's fault
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Options: input.Options}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(input.Request.Context(), out); err != nil {
		req, route := input.Request, input.Route
		vt.t.Errorf("OpenAPI: response %d to %s %s (operation %s %s) does not match the document: %v\nbody: %s",
			resp.StatusCode, req.Method, req.URL.RequestURI(), route.Method, route.Path, err, clip(body, 512))
	}
}

// validationCopy is the request as the validator reads it, with a body of
// its own so the one sent is left whole.
func validationCopy(req *http.Request, body []byte) *http.Request {
	c := req.Clone(req.Context())
	if body != nil {
		c.Body = io.NopCloser(bytes.NewReader(body))
	} else {
		c.Body = http.NoBody
	}
	c.GetBody = nil
	return c
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// recordingTB keeps what the transport reports instead of failing.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// TestValidatingTransportReports shows that the transport the API tests
// rely on does fail them: a fake server answers in ways the document does
// not allow, and each way must be reported, naming the operation.
func TestValidatingTransportReports(t *testing.T) {
	answer := func(w http.ResponseWriter, ctype, body string) {
		w.Header().Set("Content-Type", ctype)
		if _, err := io.WriteString(w, body); err != nil {
			t.Errorf("fake server: %v", err)
		}
	}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			answer(w, "application/json", `{"items": "not an array"}`)
		case "/v1/jobs":
			w.WriteHeader(http.StatusTeapot)
		case "/v1/memguard/quarantine":
			answer(w, "text/plain", "items")
		default:
			answer(w, "application/json", `{"rows": 1, "series": 1}`)
		}
	}))
	defer fake.Close()

	cases := []struct {
		name, method, path, ctype, body string
		check                           validation
		want                            string // in the report; "" for none
	}{
		{"body off its schema", "GET", "/v1/models", "", "", checkAll, "GET /v1/models"},
		{"undocumented status", "POST", "/v1/jobs", "application/json", `{"horizon": 7}`, checkAll, "status is not supported"},
		{"undocumented Content-Type", "GET", "/v1/memguard/quarantine", "", "", checkAll, "text/plain"},
		{"invalid request", "POST", "/v1/sales", "application/x-ndjson", `{"store": "S1"}`, checkAll, "request POST /v1/sales"},
		{"invalid request, responses only", "POST", "/v1/sales", "application/x-ndjson", `{"store": "S1"}`, checkResponses, ""},
		{"valid NDJSON", "POST", "/v1/sales", "application/x-ndjson",
			`{"date":"2026-01-01","store":"S1","sku":"A","quantity":1}` + "\n" + `{"date":"2026-01-02","store":"S1","sku":"A","quantity":2}`, checkAll, ""},
		{"NDJSON line off its schema", "POST", "/v1/sales", "application/x-ndjson",
			`{"date":"2026-01-01","store":"S1","sku":"A","quantity":1}` + "\n" + `{"date":"2026-01-02","store":"S1","sku":"A"}`, checkAll, "NDJSON line 2"},
		{"undocumented route answered", "GET", "/v1/nowhere", "", "", checkAll, "no such operation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			req, err := http.NewRequest(c.method, fake.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := (&http.Client{Transport: apiTransport(rec, c.check)}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			got := rec.reported()
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("reported %q, want nothing", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Errorf("reported %q, want one report with %q", got, c.want)
			}
		})
	}
}
