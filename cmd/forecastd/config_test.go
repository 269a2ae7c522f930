package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/internal/app"
)

// TestMain doubles as the forecastd binary: with FORECASTD_TEST_MAIN=1
// the test binary runs main, so TestBinaryRefusesBadEnvironment sees the
// real exit status and stderr without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("FORECASTD_TEST_MAIN") == "1" {
		os.Args = append([]string{"forecastd"}, os.Args[1:]...)
		main()
	}
	os.Exit(m.Run())
}

// TestRefusedConfiguration: serve and worker stop before opening
// anything, with exit status 2 and a message naming the variable or flag
// and the value.
func TestRefusedConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"workers not a number", []string{"serve"}, map[string]string{"FORECASTD_WORKERS": "abc"}, `FORECASTD_WORKERS="abc"`},
		{"negative workers flag", []string{"serve", "-workers", "-1"}, nil, `"-1" for flag -workers`},
		{"worker without workers", []string{"worker"}, map[string]string{"FORECASTD_WORKERS": "0"}, `FORECASTD_WORKERS="0"`},
		{"bad duration", []string{"worker"}, map[string]string{"FORECASTD_RESCUE_AFTER": "1 hour"}, `FORECASTD_RESCUE_AFTER="1 hour"`},
		{"bad bool", []string{"serve"}, map[string]string{"FORECASTD_INSECURE": "maybe"}, `FORECASTD_INSECURE="maybe"`},
		{"unknown log format", []string{"serve"}, map[string]string{"FORECASTD_LOG_FORMAT": "logfmt"}, `FORECASTD_LOG_FORMAT="logfmt"`},
		{"bad cron", []string{"serve"}, map[string]string{"FORECASTD_RETRAIN_CRON": "sundays"}, `FORECASTD_RETRAIN_CRON="sundays"`},
		{"unknown flag", []string{"worker", "-demo"}, nil, "-demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"FORECASTD_DATA_DIR": dir, "FORECASTD_ADDR": "127.0.0.1:0"}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			code := runEnv(context.Background(), tc.args, app.MapEnv(env), &stdout, &stderr)
			if code != exitConfig || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitConfig, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("a refused configuration opened the database: %v", entries)
			}
		})
	}
}

// TestHelp: -h lists the flags with their variables and exits 0.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"serve", "worker"} {
		var stdout, stderr bytes.Buffer
		if code := runEnv(context.Background(), []string{cmd, "-h"}, app.MapEnv(nil), &stdout, &stderr); code != 0 {
			t.Fatalf("%s -h: exit %d", cmd, code)
		}
		for _, want := range []string{"-data-dir", "FORECASTD_DATA_DIR", "-workers", "FORECASTD_WORKERS", "-database-url", "FORECASTD_DATABASE_URL"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s -h lacks %s", cmd, want)
			}
		}
	}
}

// TestBinaryRefusesBadEnvironment runs main itself (the test binary, see
// TestMain) with FORECASTD_WORKERS=abc in its environment.
func TestBinaryRefusesBadEnvironment(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "-data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "FORECASTD_TEST_MAIN=1", "FORECASTD_WORKERS=abc")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitConfig {
		t.Fatalf("forecastd serve with FORECASTD_WORKERS=abc: %v, want exit status %d; stderr %q", err, exitConfig, stderr.String())
	}
	if want := `forecastd serve: invalid FORECASTD_WORKERS="abc"`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
}
