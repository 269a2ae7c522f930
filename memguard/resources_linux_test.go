//go:build linux

package memguard_test

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// TestOffHeapLeaks leaks memory outside the Go heap, one descriptor and
// one touched 512 KiB anonymous mapping per job, and expects each called a
// leak within 15 jobs, on its own resource, while the heap stays clean.
func TestOffHeapLeaks(t *testing.T) {
	var files []*os.File
	var mapped [][]byte
	t.Cleanup(func() {
		for _, f := range files {
			if err := f.Close(); err != nil {
				t.Error(err)
			}
		}
		for _, m := range mapped {
			if err := syscall.Munmap(m); err != nil {
				t.Error(err)
			}
		}
	})
	cases := []struct {
		name, resource string
		job            func() error
	}{
		{"descriptor never closed", memguard.ResourceFDs, func() error {
			f, err := os.Open(os.DevNull)
			files = append(files, f)
			return err
		}},
		{"mmap never unmapped", memguard.ResourceOffHeap, func() error {
			m, err := syscall.Mmap(-1, 0, 512<<10, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
			if err != nil {
				return err
			}
			for i := 0; i < len(m); i += os.Getpagesize() {
				m[i] = 1 // resident
			}
			mapped = append(mapped, m)
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			var reps []*memguard.Report
			for len(reps) < 15 && (len(reps) == 0 || reps[len(reps)-1].Verdict.State != memguard.StateLeak) {
				reps = append(reps, runJobs(t, g, "offheap", 1, func(context.Context) error { return tc.job() })...)
			}
			v := reps[len(reps)-1].Verdict
			if v.State != memguard.StateLeak || v.Resource != tc.resource {
				t.Fatalf("after %d jobs (%s): verdict %s on %q, want leak on %s: %s", len(reps), states(reps), v.State, v.Resource, tc.resource, v.Reason)
			}
			if !strings.HasPrefix(v.Reason, tc.resource) {
				t.Errorf("reason %q does not name %s", v.Reason, tc.resource)
			}
			t.Logf("leak at job %d: %s", len(reps), v.Reason)
		})
	}
}
