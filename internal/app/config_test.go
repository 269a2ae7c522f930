package app

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/jobs"
)

// TestDefaults: with nothing set, the configuration is the README's
// Configuration table and the help texts of the flags.
func TestDefaults(t *testing.T) {
	c, err := Load(ServeCommand, nil, MapEnv(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"FORECASTD_ADDR", c.Addr, "127.0.0.1:8080"},
		{"FORECASTD_DATA_DIR", c.DataDir, "var"},
		{"FORECASTD_DATABASE_URL", c.Backend.DatabaseURL, ""},
		{"FORECASTD_WORKERS", c.Workers, 1},
		{"FORECASTD_SERIES_WORKERS", c.SeriesWorkers, 0},
		{"FORECASTD_API_TOKENS", len(c.Security.Tokens), 0},
		{"FORECASTD_PUBLIC_READS", c.Security.PublicReads, false},
		{"FORECASTD_INSECURE", c.Security.Insecure, false},
		{"FORECASTD_RETRAIN_CRON", c.Backend.RetrainCron, ""},
		{"FORECASTD_REFRESH_CRON", c.Backend.RefreshCron, ""},
		{"FORECASTD_MEMORY_BUDGET_MB", c.MemoryBudgetMB, int64(0)},
		{"FORECASTD_MEMORY_LIMIT_MB", c.MemoryLimitMB, int64(0)},
		{"FORECASTD_ADMIN_ADDR", c.Ops.AdminAddr, "127.0.0.1:0"},
		{"FORECASTD_LOG_FORMAT", c.LogFormat, "json"},
		{"FORECASTD_DEMO", c.Demo, false},
		{"FORECASTD_FAN_OUT", c.Backend.FanOut == nil, true},
		{"FORECASTD_PARTITION_SIZE", c.Backend.PartitionSize, 50},
		{"FORECASTD_RESCUE_AFTER", c.Backend.RescueAfter, 30 * time.Minute},
		{"FORECASTD_HEARTBEAT_EVERY", c.Backend.BeatEvery, jobs.DefaultBeatEvery},
		{"FORECASTD_DEAD_AFTER", c.Backend.DeadAfter, jobs.DefaultDeadAfter},
		{"FORECASTD_SCHEDULE_HORIZON", c.Backend.ScheduleHorizon, 28},
		{"FORECASTD_MONITOR_INTERVAL", c.Ops.MonitorInterval, 5 * time.Second},
		{"FORECASTD_MONITOR_WINDOW", c.Ops.MonitorWindow, 2 * time.Hour},
		{"FORECASTD_ACCESS_LOG", c.Ops.AccessLog != nil && *c.Ops.AccessLog, true},
		{"FORECASTD_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, 20 * time.Second},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: default %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if !reflect.DeepEqual(c, Defaults(ServeCommand)) {
		t.Errorf("Load with nothing set differs from Defaults:\n%+v\n%+v", c, Defaults(ServeCommand))
	}
}

// TestEnvAndFlags: a variable sets its value, a flag wins over it.
func TestEnvAndFlags(t *testing.T) {
	env := MapEnv(map[string]string{
		"FORECASTD_ADDR":            "0.0.0.0:9000",
		"FORECASTD_WORKERS":         "3",
		"FORECASTD_LOG_FORMAT":      "text",
		"FORECASTD_API_TOKENS":      "a, b,,",
		"FORECASTD_PUBLIC_READS":    "1",
		"FORECASTD_FAN_OUT":         "false",
		"FORECASTD_RESCUE_AFTER":    "5m",
		"FORECASTD_SCHEDULE_MODELS": "naive, ses",
		"FORECASTD_RETRAIN_CRON":    "0 2 * * 0",
		"FORECASTD_ADMIN_ADDR":      "", // empty disables the admin listener
		"FORECASTD_DATA_DIR":        "", // empty is unset: the default
	})
	c, err := Load(ServeCommand, []string{"-workers", "0", "-log-format", "json", "-public-reads=false"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"addr from the environment", c.Addr, "0.0.0.0:9000"},
		{"-workers over FORECASTD_WORKERS", c.Workers, 0},
		{"-log-format over FORECASTD_LOG_FORMAT", c.LogFormat, "json"},
		{"-public-reads over FORECASTD_PUBLIC_READS", c.Security.PublicReads, false},
		{"tokens split and trimmed", c.Security.Tokens, []string{"a", "b"}},
		{"fan-out false is set, not unset", c.Backend.FanOut != nil && !*c.Backend.FanOut, true},
		{"rescue-after", c.Backend.RescueAfter, 5 * time.Minute},
		{"schedule models", c.Backend.ScheduleModels, []string{"naive", "ses"}},
		{"retrain cron", c.Backend.RetrainCron, "0 2 * * 0"},
		{"empty admin address disables", c.Ops.AdminAddr, ""},
		{"empty data dir is unset", c.DataDir, "var"},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	o := c.ServerOptions(nil)
	if o.Addr != c.Addr || o.JobWorkers != 0 || len(o.Security.Tokens) != 2 || o.Backend.RetrainCron != c.Backend.RetrainCron {
		t.Errorf("ServerOptions do not carry the configuration: %+v", o)
	}
}

// TestInvalid: every refused value stops the program with an error that
// names where it came from and what it was, and hides a secret.
func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  Command
		env  map[string]string
		args []string
		want []string // in the error
	}{
		{"workers not a number", ServeCommand, map[string]string{"FORECASTD_WORKERS": "abc"}, nil,
			[]string{"FORECASTD_WORKERS", `"abc"`}},
		{"negative workers", ServeCommand, map[string]string{"FORECASTD_WORKERS": "-1"}, nil,
			[]string{"FORECASTD_WORKERS", `"-1"`, "≥ 0"}},
		{"a worker with no workers", WorkerCommand, map[string]string{"FORECASTD_WORKERS": "0"}, nil,
			[]string{"FORECASTD_WORKERS", "≥ 1"}},
		{"negative workers flag", ServeCommand, nil, []string{"-workers", "-2"},
			[]string{"-workers", `"-2"`}},
		{"series workers", WorkerCommand, map[string]string{"FORECASTD_SERIES_WORKERS": "many"}, nil,
			[]string{"FORECASTD_SERIES_WORKERS", `"many"`}},
		{"bad duration", ServeCommand, map[string]string{"FORECASTD_RESCUE_AFTER": "10"}, nil,
			[]string{"FORECASTD_RESCUE_AFTER", `"10"`, "duration"}},
		{"dead-after within a beat", WorkerCommand, map[string]string{"FORECASTD_HEARTBEAT_EVERY": "10s", "FORECASTD_DEAD_AFTER": "15s"}, nil,
			[]string{"FORECASTD_DEAD_AFTER", `"15s"`, "twice FORECASTD_HEARTBEAT_EVERY"}},
		{"zero duration", ServeCommand, map[string]string{"FORECASTD_MONITOR_INTERVAL": "0s"}, nil,
			[]string{"FORECASTD_MONITOR_INTERVAL", "positive"}},
		{"bad duration flag", WorkerCommand, nil, []string{"-shutdown-timeout", "soon"},
			[]string{"-shutdown-timeout", `"soon"`}},
		{"bad bool", ServeCommand, map[string]string{"FORECASTD_PUBLIC_READS": "yes"}, nil,
			[]string{"FORECASTD_PUBLIC_READS", `"yes"`}},
		{"bad fan-out", WorkerCommand, map[string]string{"FORECASTD_FAN_OUT": "sometimes"}, nil,
			[]string{"FORECASTD_FAN_OUT", `"sometimes"`}},
		{"unknown log format", ServeCommand, map[string]string{"FORECASTD_LOG_FORMAT": "xml"}, nil,
			[]string{"FORECASTD_LOG_FORMAT", `"xml"`, "json or text"}},
		{"unknown log format flag", BatchCommand, nil, []string{"-log-format", "yaml"},
			[]string{"-log-format", `"yaml"`}},
		{"bad cron", ServeCommand, map[string]string{"FORECASTD_REFRESH_CRON": "every night"}, nil,
			[]string{"FORECASTD_REFRESH_CRON", `"every night"`, "cron"}},
		{"bad cron flag", WorkerCommand, nil, []string{"-retrain-cron", "61 * * * *"},
			[]string{"-retrain-cron", `"61 * * * *"`}},
		{"unknown scheduled model", ServeCommand, map[string]string{"FORECASTD_SCHEDULE_MODELS": "naive,oracle"}, nil,
			[]string{"FORECASTD_SCHEDULE_MODELS", "oracle"}},
		{"unknown scheduled model flag", WorkerCommand, nil, []string{"-schedule-models", "oracle"},
			[]string{"-schedule-models", "oracle"}},
		{"partition size", WorkerCommand, map[string]string{"FORECASTD_PARTITION_SIZE": "0"}, nil,
			[]string{"FORECASTD_PARTITION_SIZE", "≥ 1"}},
		{"schedule horizon", ServeCommand, map[string]string{"FORECASTD_SCHEDULE_HORIZON": "-7"}, nil,
			[]string{"FORECASTD_SCHEDULE_HORIZON", `"-7"`}},
		{"memory budget", ServeCommand, map[string]string{"FORECASTD_MEMORY_BUDGET_MB": "1.5"}, nil,
			[]string{"FORECASTD_MEMORY_BUDGET_MB", `"1.5"`}},
		{"memory limit", BatchCommand, map[string]string{"FORECASTD_MEMORY_LIMIT_MB": "-1"}, nil,
			[]string{"FORECASTD_MEMORY_LIMIT_MB", `"-1"`}},
		{"listen address", ServeCommand, map[string]string{"FORECASTD_ADDR": "8080"}, nil,
			[]string{"FORECASTD_ADDR", `"8080"`, "host:port"}},
		{"empty listen address", ServeCommand, nil, []string{"-addr", ""},
			[]string{"-addr"}},
		{"metrics address", WorkerCommand, map[string]string{"FORECASTD_METRICS_ADDR": "localhost"}, nil,
			[]string{"FORECASTD_METRICS_ADDR", `"localhost"`}},
		{"a flag of another command", WorkerCommand, nil, []string{"-addr", "127.0.0.1:1"},
			[]string{"-addr"}},
		{"arguments", ServeCommand, nil, []string{"extra"},
			[]string{"unexpected", "extra"}},
		{"every bad variable is reported", ServeCommand, map[string]string{"FORECASTD_WORKERS": "x", "FORECASTD_DEMO": "y"}, nil,
			[]string{"FORECASTD_WORKERS", "FORECASTD_DEMO"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.cmd, tc.args, MapEnv(tc.env), io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestSecretsHidden: the database URL and the tokens appear neither in
// -h nor in an error, even when refused.
func TestSecretsHidden(t *testing.T) {
	const secret = "s3cr3t"
	env := MapEnv(map[string]string{
		"FORECASTD_DATABASE_URL": "postgres://u:" + secret + "@db/x",
		"FORECASTD_API_TOKENS":   secret,
		"FORECASTD_WORKERS":      "bad",
	})
	var help bytes.Buffer
	if _, err := Load(ServeCommand, []string{"-h"}, env, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	_, err := Load(ServeCommand, []string{"-api-tokens", secret + "2"}, env, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "FORECASTD_WORKERS") {
		t.Fatalf("error %v, want FORECASTD_WORKERS refused", err)
	}
	for what, s := range map[string]string{"-h": help.String(), "error": err.Error()} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the secret:\n%s", what, s)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	Bind(fs, ServeCommand, env)
	if f := fs.Lookup("database-url"); f.Value.String() != "" || f.DefValue != "" {
		t.Errorf("-database-url shows %q as its value", f.Value.String())
	}
}

// TestHelpListsEveryVariable: -h names every setting's flag and
// variable, and the defaults it prints are the ones Defaults uses.
func TestHelpListsEveryVariable(t *testing.T) {
	for _, cmd := range []Command{ServeCommand, WorkerCommand} {
		var help bytes.Buffer
		if _, err := Load(cmd, []string{"-h"}, MapEnv(nil), &help); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s -h: %v", cmd, err)
		}
		for _, s := range settingsFor(cmd) {
			if !strings.Contains(help.String(), "-"+s.flag) || !strings.Contains(help.String(), s.env) {
				t.Errorf("%s -h lacks -%s (%s)", cmd, s.flag, s.env)
			}
		}
	}
	var help bytes.Buffer
	if _, err := Load(ServeCommand, []string{"-h"}, MapEnv(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load -h = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"(FORECASTD_ADDR; default 127.0.0.1:8080)", "(FORECASTD_WORKERS; default 1)",
		"(FORECASTD_ADMIN_ADDR; default 127.0.0.1:0)", "(FORECASTD_LOG_FORMAT; default json)"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
}

// TestEveryVariableIsASetting: each FORECASTD_* variable is read by one
// setting, and the flag names are unique.
func TestEveryVariableIsASetting(t *testing.T) {
	flags, envs := map[string]bool{}, map[string]bool{}
	for _, s := range settings() {
		if flags[s.flag] || envs[s.env] {
			t.Errorf("-%s or %s twice", s.flag, s.env)
		}
		flags[s.flag], envs[s.env] = true, true
		if !strings.HasPrefix(s.env, "FORECASTD_") || s.set == nil || len(s.cmds) == 0 {
			t.Errorf("setting -%s is incomplete", s.flag)
		}
	}
}

// TestBindBatch: a batch command binds the process-wide settings to its
// own flag set, next to its own flags.
func TestBindBatch(t *testing.T) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	horizon := fs.Int("horizon", 28, "steps")
	b := Bind(fs, BatchCommand, MapEnv(map[string]string{"FORECASTD_MEMORY_LIMIT_MB": "512", "FORECASTD_WORKERS": "abc"}))
	if err := fs.Parse([]string{"-horizon", "7", "-log-format", "text"}); err != nil {
		t.Fatal(err)
	}
	c, err := b.Config()
	if err != nil {
		t.Fatal(err) // FORECASTD_WORKERS is not a batch setting
	}
	if *horizon != 7 || c.LogFormat != "text" || c.MemoryLimitMB != 512 || c.Command != BatchCommand {
		t.Errorf("horizon %d, config %+v", *horizon, c)
	}
}
