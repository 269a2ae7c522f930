package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints the module version and the VCS revision the binary
// was built from, as recorded by the go command (debug.ReadBuildInfo).
// Builds with -buildvcs=false, or from outside a checkout, carry no
// revision; the output says so instead of guessing.
func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "also list the module dependencies and build settings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("no build information in this binary (built without module support)")
	}
	writeVersion(stdout, bi, *verbose)
	return nil
}

func writeVersion(w io.Writer, bi *debug.BuildInfo, verbose bool) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	version := bi.Main.Version
	if version == "" {
		version = "(unknown)"
	}
	fmt.Fprintf(w, "forecastd %s\n", version)
	fmt.Fprintf(w, "  module    %s\n", bi.Main.Path)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(w, "  revision  %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(w, "  committed %s\n", t)
		}
	} else {
		fmt.Fprintf(w, "  revision  (not recorded: built with -buildvcs=false or outside a VCS checkout)\n")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	fmt.Fprintf(w, "  go        %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	if !verbose {
		return
	}
	for _, s := range bi.Settings {
		fmt.Fprintf(w, "  build     %s=%s\n", s.Key, s.Value)
	}
	for _, d := range bi.Deps {
		line := d.Path + " " + d.Version
		if d.Replace != nil {
			line += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		fmt.Fprintf(w, "  dep       %s\n", line)
	}
}
