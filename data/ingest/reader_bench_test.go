package ingest

import (
	"strings"
	"testing"
)

func BenchmarkParseDate(b *testing.B) {
	for _, c := range []struct{ name, s string }{{"date", "2024-03-15"}, {"T", "2024-03-15T13:04:05"}, {"space", "2024-03-15 13:04:05"}} {
		s := c.s
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDate(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCSVReader reads a sales upload row by row; ns/op and allocs/op
// are per row. The rows change series at every line, the worst case for
// the identifiers.
func BenchmarkCSVReader(b *testing.B) {
	for _, size := range []struct {
		name       string
		skus, days int
	}{{"10x1000", 10, 1000}, {"500x200", 500, 200}} {
		body := salesCSV(size.skus, size.days)
		rows := size.skus * size.days
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)) / int64(rows))
			r := strings.NewReader(body)
			var rd *CSVReader
			n := 0
			for b.Loop() {
				if rd == nil || !rd.Next() {
					if rd != nil && rd.Err() != nil {
						b.Fatal(rd.Err())
					}
					b.StopTimer()
					r.Reset(body)
					var err error
					if rd, err = NewCSVReader(r); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if !rd.Next() {
						b.Fatal("no rows")
					}
				}
				n += int(rd.Row().Quantity)
			}
			_ = n
		})
	}
}

// BenchmarkDateFormat parses one field with a detected format: the ISO
// format keeps ParseDate's hot path, the others walk the compiled format;
// neither allocates.
func BenchmarkDateFormat(b *testing.B) {
	for _, c := range []struct{ name, format, s string }{
		{"iso", "", "2024-03-15"}, {"dmy", "%d/%m/%Y", "15/03/2024"}, {"dmy-time", "%d/%m/%Y %H:%M:%S", "15/03/2024 13:04:05"},
	} {
		f := isoFormat
		if c.format != "" {
			var err error
			if f, err = ParseDateFormat(c.format); err != nil {
				b.Fatal(err)
			}
		}
		s := []byte(c.s)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := f.parse(s); !ok {
					b.Fatal(c.s)
				}
			}
		})
	}
}
