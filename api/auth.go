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
		auth := c.GetHeader("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !validToken(tokens, []byte(strings.TrimSpace(tok))) {
			c.Header("WWW-Authenticate", `Bearer realm="forecastd"`)
			problem(c, http.StatusUnauthorized, "missing or invalid bearer token (Authorization: Bearer <token>)")
			return
		}
	}}
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
