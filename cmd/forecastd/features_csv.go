package main

import (
	"bufio"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
)

// csvWriter writes store,sku,date,quantity,<features...>; an undefined
// value (NaN) is an empty field, as pandas' to_csv writes it.
type csvWriter struct {
	w      *bufio.Writer
	layout string
	line   []byte
}

func (c *csvWriter) header(names []string) error {
	c.line = append(c.line[:0], "store,sku,date,quantity"...)
	for _, n := range names {
		c.line = append(c.line, ',')
		c.line = appendField(c.line, n)
	}
	c.line = append(c.line, '\n')
	_, err := c.w.Write(c.line)
	return err
}

func (c *csvWriter) series(key data.Key, start time.Time, freq data.Frequency, y, m []float64, p int) error {
	prefix := appendField(append(appendField(nil, key.Store), ','), key.SKU)
	for t := range y {
		l := append(c.line[:0], prefix...)
		l = append(l, ',')
		l = freq.Add(start, t).AppendFormat(l, c.layout)
		l = append(l, ',')
		l = appendNum(l, y[t])
		for _, v := range m[t*p : (t+1)*p] {
			l = append(l, ',')
			l = appendNum(l, v)
		}
		l = append(l, '\n')
		c.line = l
		if _, err := c.w.Write(l); err != nil {
			return err
		}
	}
	return nil
}

func appendNum(b []byte, v float64) []byte {
	if v != v {
		return b
	}
	// Counts, lags, extremes and calendar fields are whole numbers; the
	// integer path is several times faster than the shortest-float one.
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendField quotes a field only when CSV needs it.
func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
