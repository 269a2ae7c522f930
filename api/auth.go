package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// SecurityOptions configure authentication.
//
// Writes (sales uploads, jobs, cancellation, quarantine changes) always
// need a bearer token when tokens are configured; reads need one too
// unless PublicReads is set. /metrics, /healthz and /readyz stay open for
// probes and scrapers. With no tokens configured the server runs open,
// which New allows only on a loopback address unless Insecure is set.
type SecurityOptions struct {
	// Tokens are the accepted bearer tokens (`forecastd serve` takes them
	// from FORECASTD_API_TOKENS, comma-separated).
	Tokens []string
	// PublicReads lets GET requests through without a token.
	PublicReads bool
	// Insecure allows a non-loopback listener without tokens.
	Insecure bool
}

// check refuses an open server on a non-loopback address.
func (o SecurityOptions) check(addr string) error {
	if len(o.Tokens) > 0 || o.Insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("api: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("api: refusing to listen on " + addr + " without API tokens: set FORECASTD_API_TOKENS, or -insecure to run open")
}

// openPaths never need a token.
var openPaths = map[string]bool{"/metrics": true, "/healthz": true, "/readyz": true}

func (s *Server) securityMiddleware() []gin.HandlerFunc {
	tokens := make([][]byte, len(s.opts.Security.Tokens))
	for i, t := range s.opts.Security.Tokens {
		tokens[i] = []byte(t)
	}
	if len(tokens) == 0 {
		return nil
	}
	public := s.opts.Security.PublicReads
	return []gin.HandlerFunc{func(c *gin.Context) {
		if openPaths[c.Request.URL.Path] {
			return
		}
		if public && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
			return
		}
		tok, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok || !validToken(tokens, []byte(tok)) {
			c.Header("WWW-Authenticate", `Bearer realm="forecastd"`)
			problem(c, http.StatusUnauthorized, "missing or invalid bearer token (Authorization: Bearer <token>)")
			return
		}
	}}
}

// bearerToken takes the token of an Authorization header. The scheme is
// case-insensitive and may be followed by more than one space (RFC 9110
// section 11.1 and 11.4).
func bearerToken(auth string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// contentSecurityPolicy is sent with every response. The pages are
// server-rendered HTML with inline SVG charts: they load nothing but
// their own links, run no script, and style themselves with a <style>
// block and style attributes (the charts', the progress bars'), hence
// 'unsafe-inline' for styles only. JSON responses are covered as well:
// a document opened in a browser gets no script either.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers that keep a browser from running,
// sniffing or framing what the server sends, on every response, before
// the handler, so refusals get them too.
func (s *Server) securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		c.Next()
	}
}

// validToken compares against every token in constant time, so neither
// the match nor its position leaks through timing.
func validToken(tokens [][]byte, got []byte) bool {
	ok := 0
	for _, t := range tokens {
		ok |= subtle.ConstantTimeCompare(t, got)
	}
	return ok == 1 && len(got) > 0
}
