// Package logbuf is a log sink for tests that read what a server's
// goroutines log: a buffer safe for concurrent writers and readers.
package logbuf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer behind a mutex. The zero value is ready.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// JSONLines parses what was written as JSON log records, one a line (the
// format of slog's JSON handler).
func (b *Buffer) JSONLines() ([]map[string]any, error) {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return out, fmt.Errorf("log line is not JSON: %q: %w", l, err)
		}
		out = append(out, m)
	}
	return out, nil
}
