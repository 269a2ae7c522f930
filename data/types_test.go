package data

import (
	"testing"
	"time"
)

func TestInferFrequency(t *testing.T) {
	d := func(s string) time.Time {
		layout := "2006-01-02"
		if len(s) > len(layout) {
			layout = "2006-01-02T15:04:05"
		}
		t, _ := time.Parse(layout, s)
		return t
	}
	cases := []struct {
		dates []time.Time
		want  Frequency
	}{
		{[]time.Time{d("2024-01-01T00:00:00"), d("2024-01-01T01:00:00"), d("2024-01-01T02:00:00")}, Hourly},
		{[]time.Time{d("2024-01-01"), d("2024-01-02"), d("2024-01-04")}, Daily},
		{[]time.Time{d("2024-01-01"), d("2024-01-08"), d("2024-01-15")}, Weekly},
		{[]time.Time{d("2024-01-01"), d("2024-02-01"), d("2024-03-01")}, Monthly},
	}
	for _, c := range cases {
		got, err := InferFrequency(c.dates)
		if err != nil || got != c.want {
			t.Errorf("InferFrequency = %v, %v; want %v", got, err, c.want)
		}
	}
}
