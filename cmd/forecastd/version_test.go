package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestWriteVersion(t *testing.T) {
	cases := []struct {
		name    string
		bi      debug.BuildInfo
		verbose bool
		want    []string
	}{
		{"revision", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/forecastd/forecastd", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-26T14:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			false, []string{"forecastd v1.2.3", "revision  abc123 (modified)", "committed 2026-11-26T14:00:00Z", "go        go1.26.8"}},
		{"no vcs", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/forecastd/forecastd", Version: "(devel)"}},
			false, []string{"forecastd (devel)", "revision  (not recorded"}},
		{"verbose", debug.BuildInfo{Main: debug.Module{Path: "m"}, Deps: []*debug.Module{{Path: "gonum.org/v1/plot", Version: "v0.17.0"}},
			Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}},
			true, []string{"forecastd (unknown)", "dep       gonum.org/v1/plot v0.17.0", "build     -trimpath=true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			writeVersion(&buf, &c.bi, c.verbose)
			for _, w := range c.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}

func TestRunVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runVersion(context.Background(), nil, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "forecastd ") || !strings.Contains(out.String(), "module") {
		t.Fatalf("output:\n%s", out.String())
	}
	if err := runVersion(context.Background(), []string{"extra"}, &out, &errOut); err == nil {
		t.Fatal("extra argument accepted")
	}
}
