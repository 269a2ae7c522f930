package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/forecastd/forecastd/data"
)

// Upload is a sales upload read into columns, one Columns per series.
type Upload struct {
	// Covariates names the covariate columns of every series.
	Covariates []string
	// Series are sorted by key.
	Series []*Columns
	// Rows is the number of rows read.
	Rows int
	// Report says how the file was read.
	Report Report
}

// minPartBytes is the smallest file ReadUpload splits between readers:
// below it, starting them costs more than they save.
const minPartBytes = 8 << 20

// ReadUpload reads a sales CSV into columns, with the rules of ParseCSV
// and the same *ParseError for the same bad rows. A regular file of at
// least 8 MiB without quotes is cut at line ends into up to parts
// sections read at once (a quoted field might hold a line end, so a file
// with quotes is read in one piece); errors name the line of the whole
// file either way.
func ReadUpload(ctx context.Context, r io.Reader, parts int) (*Upload, error) {
	return ReadUploadWith(ctx, r, parts, nil)
}

// ReadUploadWith is ReadUpload for a file laid out as opts say (nil
// means defaults), as NewCSVReaderWith reads it.
func ReadUploadWith(ctx context.Context, r io.Reader, parts int, opts *Options) (*Upload, error) {
	f, ok := r.(*os.File)
	if ok && parts > 1 {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() >= minPartBytes {
			return readFileParts(ctx, f, st.Size(), parts, opts)
		}
	}
	rd, err := NewCSVReaderWith(r, opts)
	if err != nil {
		return nil, err
	}
	p, err := readPart(ctx, rd)
	if err != nil {
		return nil, releaseWith(rd.Close, err)
	}
	return p.upload(rd.Covariates(), rd.Report()), nil
}

// part is what one reader collected: its series, in the order first seen.
type part struct {
	byKey  map[data.Key]*Columns
	series []*Columns
	rows   int
	rep    Report
}

// readPart reads the rows of rd into columns.
func readPart(ctx context.Context, rd *CSVReader) (*part, error) {
	p := &part{byKey: map[data.Key]*Columns{}}
	ncov := len(rd.Covariates())
	var last *Columns
	for rd.Next() {
		row := rd.Row()
		if last == nil || last.Key != row.Key {
			last = p.byKey[row.Key]
			if last == nil {
				last = NewColumns(row.Key, ncov)
				p.byKey[row.Key] = last
				p.series = append(p.series, last)
			}
		}
		last.Append(row)
		p.rows++
		if p.rows%(1<<16) == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	p.rep = rd.Report()
	return p, rd.Err()
}

// merge adds the series of q, read after p's, to p.
func (p *part) merge(q *part) {
	p.rows += q.rows
	p.rep.NegativeRows += q.rep.NegativeRows
	p.rep.ClippedRows += q.rep.ClippedRows
	for _, s := range q.series {
		if t, ok := p.byKey[s.Key]; ok {
			t.Concat(s)
			continue
		}
		p.byKey[s.Key] = s
		p.series = append(p.series, s)
	}
}

// upload returns the series read, with the report of the reader that
// found the columns and the negatives p counted.
func (p *part) upload(covariates []string, rep Report) *Upload {
	slices.SortFunc(p.series, func(a, b *Columns) int { return compareKeys(a.Key, b.Key) })
	rep.NegativeRows, rep.ClippedRows = p.rep.NegativeRows, p.rep.ClippedRows
	return &Upload{Covariates: covariates, Series: p.series, Rows: p.rows, Report: rep}
}

// readFileParts reads f in sections at once. A section's bad rows are
// only known to be the first of the file once the sections before it are
// read, so when any section has one, the file is read again in one piece
// for the exact *ParseError that ParseCSV gives.
func readFileParts(ctx context.Context, f *os.File, size int64, parts int, opts *Options) (*Upload, error) {
	whole := func() (*Upload, error) { return ReadUploadWith(ctx, io.NewSectionReader(f, 0, size), 1, opts) }
	cuts, lines, err := cutLines(f, size, parts)
	if err != nil {
		return nil, err
	}
	if cuts == nil {
		return whole()
	}
	// The header reader looks at the whole file: the date format and the
	// text columns are decided by the rows.
	hdr, err := NewCSVReaderWith(io.NewSectionReader(f, 0, size), opts)
	if err != nil {
		return nil, err
	}
	if err := hdr.Close(); err != nil {
		return nil, err
	}
	if hdr.sc.numLine != lines[0] {
		// The first line was not the header (an empty line before it):
		// the reader in one piece reads it.
		return whole()
	}
	n := len(cuts) - 1
	got := make([]*part, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := hdr.Section(io.NewSectionReader(f, cuts[i], cuts[i+1]-cuts[i]), lines[i])
			got[i], errs[i] = readPart(ctx, rd)
		}()
	}
	wg.Wait()
	var pe *ParseError
	for _, err := range errs {
		if err != nil && !errors.As(err, &pe) {
			return nil, err
		}
	}
	if pe != nil {
		return whole()
	}
	for _, q := range got[1:] {
		got[0].merge(q)
	}
	return got[0].upload(hdr.Covariates(), hdr.Report()), nil
}

// cutLines finds, in one pass over f, the end of the header and n-1 more
// cuts, each just after the first line end at or past an n-th of the
// file: sections [cuts[i], cuts[i+1]) of whole lines, with lines[i] lines
// before each. It returns nil cuts when f has a quote or no line end.
func cutLines(f io.ReaderAt, size int64, n int) (cuts []int64, lines []int, err error) {
	cuts = make([]int64, n+1)
	lines = make([]int, n+1)
	cuts[n] = size
	buf := make([]byte, 1<<20)
	var off int64
	next, nl, headerEnd := 1, 0, int64(-1)
	for off < size {
		m, err := f.ReadAt(buf, off)
		if m == 0 && err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		b := buf[:m]
		if bytes.IndexByte(b, '"') >= 0 {
			return nil, nil, nil
		}
		// Whole-buffer searches and counts (vectorised) instead of a
		// search per line.
		i := 0
		if headerEnd < 0 {
			k := bytes.IndexByte(b, '\n')
			if k < 0 {
				off += int64(m)
				continue
			}
			i, nl = k+1, 1
			headerEnd = off + int64(i)
			cuts[0], lines[0] = headerEnd, 1
		}
		for next < n {
			from := max(i, int(size*int64(next)/int64(n)-off-1))
			if from >= m {
				break
			}
			k := bytes.IndexByte(b[from:], '\n')
			if k < 0 {
				break
			}
			j := from + k + 1
			nl += bytes.Count(b[i:j], []byte{'\n'})
			i = j
			cuts[next], lines[next] = off+int64(i), nl
			next++
		}
		nl += bytes.Count(b[i:], []byte{'\n'})
		off += int64(m)
	}
	if headerEnd < 0 {
		return nil, nil, nil
	}
	for ; next < n; next++ {
		cuts[next], lines[next] = size, nl
	}
	return cuts, lines, nil
}
