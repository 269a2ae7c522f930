package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

// requestIDHeader carries the request ID in both directions, so a client
// (or a proxy in front) can correlate its own logs with ours and with the
// jobs a request created.
const requestIDHeader = "X-Request-ID"

// maxRequestID bounds an ID taken from a client: it is echoed in headers
// and stored on jobs, so it must stay short and printable.
const maxRequestID = 128

// validRequestID accepts what proxies commonly send (UUIDs, hex, base64,
// dotted or dashed tokens) and refuses anything that could break a header
// or a log line.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex. crypto/rand needs no
// seeding and no shared state; it does not fail on supported platforms.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// quietRoute reports routes that probes and scrapers hit every few
// seconds: their access lines go to debug level so they do not drown the
// requests people make.
func quietRoute(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// requestLog makes sure every request has an ID (the client's when it
// sent a usable one), returns it in the response, and, when accessLog is
// on, writes one structured line per request after it is served.
func (s *Server) requestLog(accessLog bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		// Handlers read the ID from the request header (and store it on
		// the jobs they create), so set it there too.
		c.Request.Header.Set(requestIDHeader, id)
		c.Header(requestIDHeader, id)
		if !accessLog {
			c.Next()
			return
		}
		start := time.Now()
		c.Next()
		route := routeLabel(c)
		level := slog.LevelInfo
		if quietRoute(route) && c.Writer.Status() < 400 {
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.String("request_id", id),
			slog.String("remote", c.Request.RemoteAddr), // not ClientIP: that trusts X-Forwarded-For from anyone
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("error", c.Errors.String()))
		}
		s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
	}
}
