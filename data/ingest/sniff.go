package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

// A CSV upload tells how to read it from its beginning: the header gives
// the delimiter and the columns, the first rows which extra columns hold
// text and, most often, the date format. Only when the first sniffBytes
// leave the date format open (every day up to 12) is the whole date
// column read first, from a second pass over a seekable body or over a
// spooled copy: memory stays bounded whatever the size of the upload.

// sniffBytes is how much of an upload is looked at before its rows are
// read, and the buffer of its reader (longer lines are read past it, up
// to MaxLineBytes). A valid header fits: MaxColumns names of at most
// MaxIDBytes, quoted with every byte a doubled quote.
const sniffBytes = 2 * (MaxColumns * (2*MaxIDBytes + 3))

// delimiters are the field delimiters detected, in order of preference
// on a tie.
var delimiters = []byte{',', ';', '\t', '|'}

// DetectDelimiter picks the delimiter (comma, semicolon, tab or bar) that
// splits the header line into the most fields, outside quotes; a comma
// when none does. It is the rule of an upload, for callers that read a
// file themselves (`forecastd import`).
func DetectDelimiter(line []byte) byte {
	best, most := byte(','), 0
	for _, d := range delimiters {
		n, quoted := 0, false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case c == d && !quoted:
				n++
			}
		}
		if n > most {
			best, most = d, n
		}
	}
	return best
}

func skipBOM(br *bufio.Reader) {
	// Excel writes a UTF-8 byte-order mark; it is not part of the header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
}

func newCSVReader(r io.Reader, kind uploadKind, o *Options) (*CSVReader, error) {
	opts, err := o.compile(kind == salesUpload)
	if err != nil {
		return nil, fmt.Errorf("ingest: options: %w", err)
	}
	seeker, _ := r.(io.ReadSeeker)
	var base int64
	if seeker != nil {
		if base, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		}
	}
	br := bufio.NewReaderSize(r, sniffBytes)
	skipBOM(br)
	prefix, err := br.Peek(sniffBytes)
	// A body that fails (too large, cut off) ends here as far as the
	// sniffing goes; the rows before the failure are read, and then the
	// error is returned as is.
	eof := err != nil && err != bufio.ErrBufferFull
	var bodyErr error
	if eof && err != io.EOF {
		bodyErr = err
	}
	cols, det, err := sniff(prefix, eof, kind, opts)
	if err != nil {
		return nil, cmp.Or(bodyErr, err)
	}
	var release func() error
	if cols.format == nil {
		stopped := false
		if !eof && (det.seen == 0 || det.ambiguous()) {
			var src io.Reader
			if src, det, stopped, release, err = detectAll(br, seeker, base, &cols, opts.tempDir); err != nil {
				return nil, err
			}
			br = bufio.NewReaderSize(src, sniffBytes)
			skipBOM(br)
		}
		if det.ambiguous() && !stopped {
			// A body cut short says nothing about its dates.
			return nil, releaseWith(release, cmp.Or(bodyErr, error(&ParseError{Errors: []RowError{det.ambiguity(cols.dateName)}, Subject: kind.subject()})))
		}
		cols.format = det.format()
	}
	sc := newCSVScanner(br, cols.comma)
	if err := sc.scan(); err != nil { // the header, read by sniff
		return nil, releaseWith(release, err)
	}
	rd := newRowReader(cols, sc, 0)
	rd.release = release
	return rd, nil
}

// releaseWith releases a spooled body on the way out with err.
func releaseWith(release func() error, err error) error {
	if release != nil {
		if rerr := release(); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// sniff reads the header and the whole rows of prefix, the first bytes
// of an upload (all of it when eof): it returns the columns, with the
// extra columns that hold text set aside, and the date detector fed with
// the rows' dates (nil when opts name the format).
func sniff(prefix []byte, eof bool, kind uploadKind, opts *compiled) (csvColumns, *dateDetector, error) {
	nl := bytes.IndexByte(prefix, '\n')
	if nl < 0 && !eof {
		return csvColumns{}, nil, &ParseError{Errors: []RowError{{Line: 1, Reason: fmt.Sprintf(
			"header longer than %d bytes: at most %d columns (limit MaxColumns) of names of at most %d bytes (limit MaxIDBytes)",
			sniffBytes, MaxColumns, MaxIDBytes)}}, Subject: kind.subject()}
	}
	if !eof {
		prefix = prefix[:bytes.LastIndexByte(prefix, '\n')+1]
	}
	header := prefix
	if nl >= 0 {
		header = prefix[:nl]
	}
	sc := newCSVScanner(bufio.NewReaderSize(bytes.NewReader(prefix), 64<<10), DetectDelimiter(header))
	cols, err := readHeader(sc, kind, opts)
	if err != nil {
		return cols, nil, err
	}
	var det *dateDetector
	if cols.format == nil {
		det = newDateDetector()
	}
	// Only a sales upload sets text columns aside: every extra column of a
	// plan is a covariate, so a word in one is a bad value.
	text := make([]bool, len(cols.covIdx))
	for sc.scan() == nil {
		if sc.fields() != cols.fields {
			continue
		}
		if det != nil {
			det.add(sc.field(cols.date), sc.recLine)
		}
		for j, i := range cols.covIdx {
			if f := trimSpace(sc.field(i)); kind == salesUpload && !text[j] && len(f) > 0 {
				_, ok := parseNumber(f)
				text[j] = !ok
			}
		}
	}
	cols.setAsideText(text)
	if re := cols.checkCovariates(); re != nil {
		return cols, nil, &ParseError{Errors: []RowError{*re}, Subject: kind.subject()}
	}
	return cols, det, nil
}

// setAsideText moves the covariate columns marked text to the ignored
// ones: a name or a description beside the sales is not a covariate.
func (c *csvColumns) setAsideText(text []bool) {
	names, idx := c.covNames[:0:0], c.covIdx[:0:0]
	for j, t := range text {
		if t {
			c.ignored = append(c.ignored, c.covNames[j])
			continue
		}
		names, idx = append(names, c.covNames[j]), append(idx, c.covIdx[j])
	}
	c.covNames, c.covIdx = names, idx
}

// detectAll reads the date column of the whole upload, until its dates
// settle the format or end, and returns the upload to read the rows
// from: seeker again from base, or else a spooled copy of what the
// detection read from br followed by the rest of br (release removes the
// copy). stopped is true when a malformed record ended the detection:
// the rows' reader reports it, and the format is the best guess so far.
func detectAll(br *bufio.Reader, seeker io.ReadSeeker, base int64, cols *csvColumns, tempDir string) (
	src io.Reader, det *dateDetector, stopped bool, release func() error, err error) {
	if seeker != nil {
		if _, err = seeker.Seek(base, io.SeekStart); err != nil {
			return nil, nil, false, nil, err
		}
		if det, stopped, err = detectDates(seeker, cols); err == nil {
			_, err = seeker.Seek(base, io.SeekStart)
		}
		return seeker, det, stopped, nil, err
	}
	f, err := os.CreateTemp(tempDir, "forecastd-upload-*.csv")
	if err != nil {
		return nil, nil, false, nil, fmt.Errorf("ingest: spool: %w", err)
	}
	release = func() error {
		cerr := f.Close()
		if err := os.Remove(f.Name()); err != nil {
			return err
		}
		return cerr
	}
	if det, stopped, err = detectDates(io.TeeReader(br, f), cols); err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, nil, false, nil, releaseWith(release, err)
	}
	return io.MultiReader(f, br), det, stopped, release, nil
}

// detectDates reads the date column of the upload r, until its dates
// settle the format or end, or a malformed record stops it (stopped).
func detectDates(r io.Reader, cols *csvColumns) (det *dateDetector, stopped bool, err error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	skipBOM(br)
	sc := newCSVScanner(br, cols.comma)
	det = newDateDetector()
	for first := true; ; first = false {
		err := sc.scan()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return det, false, nil
		case errors.As(err, &pe):
			return det, true, nil
		case err != nil:
			return nil, false, err
		}
		if !first && sc.fields() == cols.fields {
			det.add(sc.field(cols.date), sc.recLine)
			if det.decided() {
				return det, false, nil
			}
		}
	}
}
