package app

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/jobs"
)

// setting is one configuration value: its flag, its variable, its
// documented default and how a string becomes the typed value. The table
// below is the one list of forecastd's settings: Defaults, the flags,
// the environment and -h all come from it.
type setting struct {
	flag, env string
	// typ is the value's kind shown by -h; "bool" makes a flag that
	// needs no value.
	typ   string
	usage string
	// def is the documented default, given to set; "" is the zero value.
	def string
	// cmds are the commands the setting applies to.
	cmds []Command
	// secret values never appear in -h or in errors.
	secret bool
	// emptySets: an empty variable is a value (an empty admin address
	// disables the listener), not an unset one.
	emptySets bool
	set       func(c *Config, v string) error
}

// show is how v appears in an error message.
func (s *setting) show(v string) string {
	if s.secret {
		return "(hidden)"
	}
	return v
}

var (
	jobCommands  = []Command{ServeCommand, WorkerCommand}
	allCommands  = []Command{ServeCommand, WorkerCommand, BatchCommand}
	serveCommand = []Command{ServeCommand}
	// clientCommands talk to a server instead of being one.
	clientCommands = []Command{ImportCommand}
)

func settingsFor(cmd Command) []*setting {
	var out []*setting
	for _, s := range settings() {
		if slices.Contains(s.cmds, cmd) {
			out = append(out, s)
		}
	}
	return out
}

// settings returns the table afresh, so that no caller can change it for
// another.
func settings() []*setting {
	return []*setting{
		// The process.
		{flag: "log-format", env: "FORECASTD_LOG_FORMAT", typ: "format", def: "json", cmds: allCommands,
			usage: "log format: json or text",
			set:   oneOf(func(c *Config) *string { return &c.LogFormat }, "json", "text")},
		{flag: "memory-limit", env: "FORECASTD_MEMORY_LIMIT_MB", typ: "MiB", def: "0", cmds: allCommands,
			usage: "Go soft memory limit (GOMEMLIMIT) in MiB; 0 = leave it",
			set:   int64Min(func(c *Config) *int64 { return &c.MemoryLimitMB }, 0)},
		{flag: "shutdown-timeout", env: "FORECASTD_SHUTDOWN_TIMEOUT", typ: "duration", def: "20s", cmds: jobCommands,
			usage: "how long a graceful stop may take (in-flight requests, running jobs requeued)",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},

		// Jobs: serve and worker.
		{flag: "data-dir", env: "FORECASTD_DATA_DIR", typ: "dir", def: "var", cmds: jobCommands,
			usage: "directory of the embedded SQLite database, without -database-url",
			set:   nonEmpty(func(c *Config) *string { return &c.DataDir })},
		{flag: "workers", env: "FORECASTD_WORKERS", typ: "int", def: "1", cmds: jobCommands,
			usage: "jobs worked at once by this process (by a worker: partitions); serve -workers 0 serves the API only",
			set:   setWorkers},
		{flag: "series-workers", env: "FORECASTD_SERIES_WORKERS", typ: "int", def: "0", cmds: jobCommands,
			usage: "series trained at once inside a job; 0 = number of CPUs",
			set:   intMin(func(c *Config) *int { return &c.SeriesWorkers }, 0)},
		{flag: "memory-budget", env: "FORECASTD_MEMORY_BUDGET_MB", typ: "MiB", def: "0", cmds: jobCommands,
			usage: "per-job limit on live heap growth in MiB; a job over it is cancelled with a clear error; 0 = none",
			set:   int64Min(func(c *Config) *int64 { return &c.MemoryBudgetMB }, 0)},
		{flag: "mem-profile-rate", env: "FORECASTD_MEM_PROFILE_RATE", typ: "bytes", def: "0", cmds: jobCommands,
			usage: "heap profile sampling (runtime.MemProfileRate) during profiled guarded runs; 0 = memguard's 65536",
			set:   intMin(func(c *Config) *int { return &c.MemProfileRate }, 0)},
		// memguard's leak rule (memguard/README.md, "The leak rule").
		{flag: "memguard-window", env: "FORECASTD_MEMGUARD_WINDOW", typ: "runs", def: "20", cmds: jobCommands,
			usage: "memguard: post-warm-up runs of a job kind kept to judge it (its noise is estimated over them)",
			set:   intMin(func(c *Config) *int { return &c.Memguard.Window }, 2)},
		{flag: "memguard-warmup", env: "FORECASTD_MEMGUARD_WARMUP", typ: "runs", def: "3", cmds: jobCommands,
			usage: "memguard: runs of a job kind not judged after a start, a deploy or a quarantine (caches fill)",
			set:   intMin(func(c *Config) *int { return &c.Memguard.WarmUp }, 1)},
		{flag: "memguard-sigmas", env: "FORECASTD_MEMGUARD_SIGMAS", typ: "number", def: "3", cmds: jobCommands,
			usage: "memguard: growth must stand this many robust standard deviations of the kind's own noise above it",
			set:   positiveFloat(func(c *Config) *float64 { return &c.Memguard.Sigmas })},
		{flag: "memguard-noise-floor", env: "FORECASTD_MEMGUARD_NOISE_FLOOR_BYTES", typ: "bytes", def: "65536", cmds: jobCommands,
			usage: "memguard: retained heap growth per run at or below this is noise, whatever the variance",
			set:   int64Min(func(c *Config) *int64 { return &c.Memguard.NoiseFloorBytes }, 1)},
		{flag: "memguard-checkpoint-every", env: "FORECASTD_MEMGUARD_CHECKPOINT_EVERY", typ: "series", def: "4", cmds: jobCommands,
			usage: "memguard: series trained between two in-job leak checkpoints (each costs one GC, within 2% of the job's time)",
			set:   intMin(func(c *Config) *int { return &c.Memguard.CheckpointEvery }, 1)},
		{flag: "memguard-hunt", env: "FORECASTD_MEMGUARD_HUNT", typ: "bool", def: "true", cmds: jobCommands,
			usage: "memguard: on a leak verdict, hunt the leaking model beside the workers and quarantine it",
			set:   boolean(func(c *Config) *bool { return &c.Memguard.Hunt })},
		{flag: "database-url", env: "FORECASTD_DATABASE_URL", typ: "url", cmds: jobCommands, secret: true,
			usage: "PostgreSQL URL (postgres://user:pass@host/db); empty uses the embedded SQLite file",
			set:   str(func(c *Config) *string { return &c.Backend.DatabaseURL })},
		{flag: "fan-out", env: "FORECASTD_FAN_OUT", typ: "bool", cmds: jobCommands,
			usage: "split training jobs into partitions run by any worker; default true on PostgreSQL, false on SQLite",
			set:   setFanOut},
		{flag: "partition-size", env: "FORECASTD_PARTITION_SIZE", typ: "int", def: "50", cmds: jobCommands,
			usage: "series per partition of a training job",
			set:   intMin(func(c *Config) *int { return &c.Backend.PartitionSize }, 1)},
		{flag: "rescue-after", env: "FORECASTD_RESCUE_AFTER", typ: "duration", def: "30m0s", cmds: jobCommands,
			usage: "a partition running longer is taken for dead and retried by another worker, when its worker does not heartbeat (PostgreSQL workers do: a partition is retried 20s after its worker stops beating)",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.Backend.RescueAfter })},
		{flag: "heartbeat-every", env: "FORECASTD_HEARTBEAT_EVERY", typ: "duration", def: "5s", cmds: jobCommands,
			usage: "how often a process working jobs over PostgreSQL records that it is alive",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.Backend.BeatEvery })},
		{flag: "dead-after", env: "FORECASTD_DEAD_AFTER", typ: "duration", def: "20s", cmds: jobCommands,
			usage: "a worker silent this long (over PostgreSQL) is taken for dead and its partitions are re-run by a live worker; at least twice heartbeat-every",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.Backend.DeadAfter })},
		{flag: "worker-name", env: "FORECASTD_WORKER_NAME", typ: "name", cmds: jobCommands,
			usage: "name of this process in logs and memguard reports; default hostname-pid",
			set:   str(func(c *Config) *string { return &c.Backend.WorkerName })},
		{flag: "retrain-cron", env: "FORECASTD_RETRAIN_CRON", typ: "cron", cmds: jobCommands,
			usage: "cron (5 fields, UTC) of the scheduled full retraining, e.g. '0 2 * * 0'; empty: none",
			set:   cronExpr(func(c *Config) *string { return &c.Backend.RetrainCron })},
		{flag: "refresh-cron", env: "FORECASTD_REFRESH_CRON", typ: "cron", cmds: jobCommands,
			usage: "cron (5 fields, UTC) of the scheduled refresh, e.g. '30 1 * * *'; empty: none",
			set:   cronExpr(func(c *Config) *string { return &c.Backend.RefreshCron })},
		{flag: "schedule-horizon", env: "FORECASTD_SCHEDULE_HORIZON", typ: "int", def: "28", cmds: jobCommands,
			usage: "horizon of scheduled jobs",
			set:   intMin(func(c *Config) *int { return &c.Backend.ScheduleHorizon }, 1)},
		{flag: "schedule-models", env: "FORECASTD_SCHEDULE_MODELS", typ: "list", cmds: jobCommands,
			usage: "comma-separated candidate models of scheduled training; default the default tournament",
			set:   list(func(c *Config) *[]string { return &c.Backend.ScheduleModels })},
		{flag: "vintage-retention", env: "FORECASTD_VINTAGE_RETENTION", typ: "int", def: "20", cmds: jobCommands,
			usage: "published forecasts (vintages) kept per series for ?as_of= reads and accuracy scoring; older ones are dropped at publish",
			set:   intMin(func(c *Config) *int { return &c.Backend.VintageRetention }, 1)},
		{flag: "retrain-on-drift", env: "FORECASTD_RETRAIN_ON_DRIFT", typ: "bool", def: "false", cmds: jobCommands,
			usage: "queue a training job for the series found drifting when their actuals arrive (once per series and vintage)",
			set:   boolean(func(c *Config) *bool { return &c.Backend.RetrainOnDrift })},

		// The API: serve only.
		{flag: "addr", env: "FORECASTD_ADDR", typ: "host:port", def: "127.0.0.1:8080", cmds: serveCommand,
			usage: "listen address",
			set:   hostPort(func(c *Config) *string { return &c.Addr }, false)},
		{flag: "demo", env: "FORECASTD_DEMO", typ: "bool", def: "false", cmds: serveCommand,
			usage: "load deterministic demo data into an empty database and queue a training job",
			set:   boolean(func(c *Config) *bool { return &c.Demo })},
		{flag: "api-tokens", env: "FORECASTD_API_TOKENS", typ: "list", cmds: serveCommand, secret: true,
			usage: "comma-separated bearer tokens accepted by the API",
			set:   list(func(c *Config) *[]string { return &c.Security.Tokens })},
		{flag: "public-reads", env: "FORECASTD_PUBLIC_READS", typ: "bool", def: "false", cmds: serveCommand,
			usage: "let GET requests through without a token",
			set:   boolean(func(c *Config) *bool { return &c.Security.PublicReads })},
		{flag: "insecure", env: "FORECASTD_INSECURE", typ: "bool", def: "false", cmds: serveCommand,
			usage: "allow a non-loopback address without API tokens",
			set:   boolean(func(c *Config) *bool { return &c.Security.Insecure })},
		{flag: "admin-addr", env: "FORECASTD_ADMIN_ADDR", typ: "host:port", def: "127.0.0.1:0", cmds: serveCommand, emptySets: true,
			usage: "listen address of the admin listener serving /debug/pprof (port 0: any free port, printed at start); empty disables it",
			set:   hostPort(func(c *Config) *string { return &c.Ops.AdminAddr }, true)},
		{flag: "admin-allow-public", env: "FORECASTD_ADMIN_ALLOW_PUBLIC", typ: "bool", def: "false", cmds: serveCommand,
			usage: "allow a non-loopback -admin-addr",
			set:   boolean(func(c *Config) *bool { return &c.Ops.AllowPublicAdmin })},
		{flag: "monitor-interval", env: "FORECASTD_MONITOR_INTERVAL", typ: "duration", def: "5s", cmds: serveCommand,
			usage: "how often the dashboard's memory monitor samples",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.Ops.MonitorInterval })},
		{flag: "monitor-window", env: "FORECASTD_MONITOR_WINDOW", typ: "duration", def: "2h0m0s", cmds: serveCommand,
			usage: "how much memory history the dashboard keeps",
			set:   positiveDuration(func(c *Config) *time.Duration { return &c.Ops.MonitorWindow })},
		{flag: "access-log", env: "FORECASTD_ACCESS_LOG", typ: "bool", def: "true", cmds: serveCommand,
			usage: "log one line per HTTP request",
			set:   setAccessLog},

		// A client of a running server: import.
		{flag: "server", env: "FORECASTD_URL", typ: "url", def: "http://127.0.0.1:8080", cmds: clientCommands,
			usage: "base URL of the forecastd server",
			set:   httpURL(func(c *Config) *string { return &c.ServerURL })},
		{flag: "token", env: "FORECASTD_TOKEN", typ: "token", cmds: clientCommands, secret: true,
			usage: "bearer token sent to the server (one of its FORECASTD_API_TOKENS)",
			set:   str(func(c *Config) *string { return &c.Token })},

		// The worker's own listener.
		{flag: "metrics-addr", env: "FORECASTD_METRICS_ADDR", typ: "host:port", cmds: []Command{WorkerCommand},
			usage: "listen address of /healthz and /metrics; empty: none",
			set:   hostPort(func(c *Config) *string { return &c.MetricsAddr }, true)},
	}
}

// The parsers below turn a string into a field of Config, refusing what
// the field cannot hold. Their errors do not repeat the value: the
// caller names the variable or flag and the value.

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = v
		return nil
	}
}

func nonEmpty(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		*field(c) = v
		return nil
	}
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("want %s", strings.Join(allowed, " or "))
		}
		*field(c) = v
		return nil
	}
}

func parseInt(v string, min int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a whole number ≥ %d", min)
	}
	if n < min {
		return 0, fmt.Errorf("must be ≥ %d", min)
	}
	return n, nil
}

func intMin(field func(*Config) *int, min int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := parseInt(v, int64(min))
		if err != nil {
			return err
		}
		*field(c) = int(n)
		return nil
	}
}

func int64Min(field func(*Config) *int64, min int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := parseInt(v, min)
		if err != nil {
			return err
		}
		*field(c) = n
		return nil
	}
}

// setWorkers: serve may work no jobs (an API-only replica); a worker
// that works none would be pointless.
func setWorkers(c *Config, v string) error {
	min := 0
	if c.Command == WorkerCommand {
		min = 1
	}
	return intMin(func(c *Config) *int { return &c.Workers }, min)(c, v)
}

func positiveDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return errors.New("want a duration such as 90s, 30m or 2h")
		}
		if d <= 0 {
			return errors.New("must be positive")
		}
		*field(c) = d
		return nil
	}
}

func positiveFloat(field func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return errors.New("want a number such as 3 or 2.5")
		}
		if f <= 0 {
			return errors.New("must be positive")
		}
		*field(c) = f
		return nil
	}
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, errors.New("want true or false (or 1 or 0)")
	}
	return b, nil
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*field(c) = b
		return nil
	}
}

// setFanOut keeps "not set" apart from false: unset, the backend decides.
func setFanOut(c *Config, v string) error {
	b, err := parseBool(v)
	if err != nil {
		return err
	}
	c.Backend.FanOut = &b
	return nil
}

func setAccessLog(c *Config, v string) error {
	b, err := parseBool(v)
	if err != nil {
		return err
	}
	c.Ops.AccessLog = &b
	return nil
}

func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*field(c) = out
		return nil
	}
}

func hostPort(field func(*Config) *string, emptyOK bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" && emptyOK {
			*field(c) = ""
			return nil
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("want host:port, e.g. 127.0.0.1:8080")
		}
		*field(c) = v
		return nil
	}
}

// httpURL takes an http or https URL with a host, kept without a
// trailing slash so that paths append to it.
func httpURL(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		u, err := url.Parse(strings.TrimSpace(v))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an http or https URL, e.g. http://127.0.0.1:8080")
		}
		*field(c) = strings.TrimRight(u.String(), "/")
		return nil
	}
}

func cronExpr(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v = strings.TrimSpace(v); v != "" {
			if err := jobs.ParseCron(v); err != nil {
				return fmt.Errorf("not a cron expression: %w", err)
			}
		}
		*field(c) = v
		return nil
	}
}
