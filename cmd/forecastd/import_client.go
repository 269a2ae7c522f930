package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// uploadStats is the server's answer to an upload.
type uploadStats struct {
	Rows   int `json:"rows"`
	Series int `json:"series"`
}

// problemDoc is the server's problem+json answer to a refused request.
type problemDoc struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Line   int    `json:"line"`
		Column string `json:"column"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// serverError is a request the server refused, with its problem's detail.
type serverError struct {
	status int
	p      problemDoc
}

func (e *serverError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server answered %d", e.status)
	if e.p.Title != "" {
		fmt.Fprintf(&b, " %s", e.p.Title)
	}
	if e.p.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.p.Detail)
	}
	// The detail usually lists the first row errors already; the list
	// carries the ones it summarizes.
	for i, re := range e.p.Errors {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... %d more", len(e.p.Errors)-i)
			break
		}
		line := fmt.Sprintf("line %d", re.Line)
		if re.Column != "" {
			line += ", " + re.Column
		}
		if !strings.Contains(e.p.Detail, re.Reason) {
			fmt.Fprintf(&b, "\n  %s: %s", line, re.Reason)
		}
	}
	return b.String()
}

// progress counts the rows of an upload and reports them on stderr, at
// most once per every, and once at the end.
type progress struct {
	w     io.Writer
	what  string
	every time.Duration
	start time.Time
	rows  atomic.Int64
	stop  chan struct{}
	done  chan struct{}
}

// startProgress reports until finish is called.
func startProgress(w io.Writer, what string, every time.Duration) *progress {
	p := &progress{w: w, what: what, every: every, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report("\r")
			}
		}
	}()
	return p
}

func (p *progress) report(prefix string) {
	fmt.Fprintf(p.w, "%s%s: %d rows sent, %s elapsed   ", prefix, p.what, p.rows.Load(), time.Since(p.start).Round(10*time.Millisecond))
}

// add counts n rows sent; a nil progress counts nothing.
func (p *progress) add(n int) {
	if p != nil {
		p.rows.Add(int64(n))
	}
}

// finish stops the reports and writes the last one.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.report("\r")
	fmt.Fprintln(p.w)
}

// errUploadEnded stops the writer of a body the server no longer reads.
var errUploadEnded = errors.New("the server answered before the whole file was sent")

// post streams what write produces to the server's path as the body of
// one request (io.Pipe: the body is never whole in memory) and decodes
// the answer. A refused upload is a *serverError with the problem's
// detail.
func (c *importCommand) post(ctx context.Context, path string, q url.Values, ctype string, write func(io.Writer) error) (uploadStats, error) {
	pr, pw := io.Pipe()
	wrote := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<16)
		err := write(bw)
		if err == nil {
			err = bw.Flush()
		}
		wrote <- err
		pw.CloseWithError(err) // nil closes the body cleanly
	}()
	st, err := c.send(ctx, path, q, ctype, pr)
	// The server may answer before reading the whole body (a refused
	// header); unblock the writer, then wait for it.
	pr.CloseWithError(errUploadEnded)
	werr := <-wrote
	switch {
	case werr != nil && !errors.Is(werr, errUploadEnded) && err == nil:
		return st, werr
	case werr != nil && errors.As(err, new(*url.Error)):
		// The request failed because the body did: the body's error
		// is the one worth showing.
		return st, werr
	}
	return st, err
}

// send makes the request and decodes the answer.
func (c *importCommand) send(ctx context.Context, path string, q url.Values, ctype string, body io.Reader) (_ uploadStats, err error) {
	u := c.server + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return uploadStats{}, err
	}
	req.Header.Set("Content-Type", ctype)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return uploadStats{}, err
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return uploadStats{}, fmt.Errorf("reading the answer of %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		se := &serverError{status: resp.StatusCode}
		if json.Unmarshal(b, &se.p) != nil {
			se.p.Detail = strings.TrimSpace(string(b))
		}
		return uploadStats{}, se
	}
	var st uploadStats
	if err := json.Unmarshal(b, &st); err != nil {
		return uploadStats{}, fmt.Errorf("answer of %s: %w", path, err)
	}
	return st, nil
}
