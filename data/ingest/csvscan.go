package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
)

// errLineTooLong and errTooManyFields are the limits of one record.
var (
	errLineTooLong   = fmt.Errorf("line longer than %d bytes (limit MaxLineBytes)", MaxLineBytes)
	errTooManyFields = fmt.Errorf("more than %d fields (limit MaxColumns)", MaxColumns)
)

// csvScanner splits CSV records as encoding/csv's Reader does with its
// defaults (a comma or the delimiter given, no comments, strict quotes, \r\n read as \n, empty
// lines skipped), and refuses the same records with the same
// *csv.ParseError (its Err, StartLine and Line; Column is not kept),
// but hands out the fields as byte slices of one reused buffer: reading a
// record allocates nothing, where csv.Reader makes a string of every
// record. Unlike csv.Reader it bounds a record: a line or record longer
// than MaxLineBytes, or with more than MaxColumns fields, is refused
// with a *csv.ParseError whose Err is errLineTooLong or errTooManyFields.
// The parsing below follows encoding/csv's readRecord.
type csvScanner struct {
	r       *bufio.Reader
	comma   byte
	raw     []byte // a line longer than r's buffer
	numLine int
	// The last record: its fields are buf[ends[i-1]:ends[i]], and it
	// started on line recLine.
	buf     []byte
	ends    []int
	recLine int
}

func newCSVScanner(r *bufio.Reader, comma byte) *csvScanner {
	return &csvScanner{r: r, comma: comma}
}

// fields returns the number of fields of the last record.
func (s *csvScanner) fields() int { return len(s.ends) }

// field returns field i of the last record, valid until the next scan.
func (s *csvScanner) field(i int) []byte {
	from := 0
	if i > 0 {
		from = s.ends[i-1]
	}
	return s.buf[from:s.ends[i]]
}

func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.raw = append(s.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(s.raw) > MaxLineBytes {
				s.numLine++
				return nil, errLineTooLong
			}
			line, err = s.r.ReadSlice('\n')
			s.raw = append(s.raw, line...)
		}
		line = s.raw
	}
	if len(line) > MaxLineBytes {
		s.numLine++
		return nil, errLineTooLong
	}
	if n := len(line); n > 0 && err == io.EOF {
		err = nil
		// As encoding/csv: a trailing \r before EOF is dropped.
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	s.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// scan reads the next record. It returns io.EOF at the end, a
// *csv.ParseError for a malformed record, or the reader's error.
func (s *csvScanner) scan() error {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = s.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // skip empty lines
		}
		break
	}
	if errRead == io.EOF {
		return errRead
	}
	s.recLine = s.numLine
	if errRead == errLineTooLong {
		return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: errLineTooLong}
	}
	s.buf, s.ends = s.buf[:0], s.ends[:0]
	err := s.parseFields(line, &errRead)
	if err == nil {
		err = errRead
	}
	return err
}

// parseFields splits the record that starts with line into s.buf and
// s.ends, reading more lines for a quoted field that spans them.
func (s *csvScanner) parseFields(line []byte, errRead *error) error {
	for {
		if len(s.ends) >= MaxColumns {
			return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: errTooManyFields}
		}
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, s.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if bytes.IndexByte(field, '"') >= 0 {
				return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: csv.ErrBareQuote}
			}
			s.buf = append(s.buf, field...)
			s.ends = append(s.ends, len(s.buf))
			if i < 0 {
				return nil
			}
			line = line[i+1:]
			continue
		}
		// A quoted field.
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.buf = append(s.buf, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					s.buf = append(s.buf, '"')
					line = line[1:]
					continue
				case len(line) > 0 && line[0] == s.comma:
					line = line[1:]
					s.ends = append(s.ends, len(s.buf))
				case lengthNL(line) == len(line):
					s.ends = append(s.ends, len(s.buf))
					return nil
				default:
					return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: csv.ErrQuote}
				}
			case len(line) > 0:
				s.buf = append(s.buf, line...)
				if *errRead != nil {
					s.ends = append(s.ends, len(s.buf))
					return nil
				}
				if len(s.buf) > MaxLineBytes {
					return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: errLineTooLong}
				}
				var err error
				line, err = s.readLine()
				if err == errLineTooLong {
					return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: errLineTooLong}
				}
				if err != io.EOF {
					*errRead = err
				}
				continue
			default:
				if *errRead == nil {
					return &csv.ParseError{StartLine: s.recLine, Line: s.numLine, Err: csv.ErrQuote}
				}
				s.ends = append(s.ends, len(s.buf))
				return nil
			}
			break // the `",` case: the next field
		}
	}
}
