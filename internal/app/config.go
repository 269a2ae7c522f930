package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/internal/environ"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// Lookup returns the value of an environment variable and whether it is
// set, like os.LookupEnv. Configuration takes the environment as a
// Lookup so that tests inject one.
type Lookup func(name string) (string, bool)

// Environ is the process environment (package environ is the only place
// in forecastd that reads it).
func Environ(name string) (string, bool) { return environ.Lookup(name) }

// MapEnv is an environment made of m (tests, embedders).
func MapEnv(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Command names a forecastd command; it decides which settings apply.
type Command string

const (
	// ServeCommand is `forecastd serve`: the HTTP API, and jobs unless
	// -workers is 0.
	ServeCommand Command = "serve"
	// WorkerCommand is `forecastd worker`: jobs only, with /healthz and
	// /metrics on a small listener.
	WorkerCommand Command = "worker"
	// BatchCommand is a command that runs the pipeline without a server
	// (train, features): only the process-wide settings apply.
	BatchCommand Command = "batch"
	// ImportCommand is `forecastd import`: a client of a running server;
	// only the server's address and token apply.
	ImportCommand Command = "import"
)

// Config is forecastd's whole configuration, typed and validated. Load
// fills it once from the flags, with FORECASTD_* environment variables
// as their defaults; the packages below receive its typed values and
// never read the environment themselves.
type Config struct {
	// Command is the command the configuration was loaded for.
	Command Command

	// LogFormat is json or text.
	LogFormat string
	// MemoryLimitMB is the Go soft memory limit (GOMEMLIMIT) in MiB;
	// 0 leaves the runtime's.
	MemoryLimitMB int64
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration

	// DataDir holds the embedded SQLite database.
	DataDir string
	// Workers is how many jobs (partitions, for a worker) run at once;
	// 0 (serve only) serves the API without working jobs.
	Workers int
	// SeriesWorkers bounds the series trained at once in a job; 0 means
	// GOMAXPROCS.
	SeriesWorkers int
	// MemoryBudgetMB is memguard's per-job budget of live heap growth in
	// MiB; 0 means none.
	MemoryBudgetMB int64
	// MemProfileRate is runtime.MemProfileRate during profiled guarded
	// runs; 0 means the runtime's.
	MemProfileRate int
	// Memguard holds the leak rule's and the hunt's settings.
	Memguard MemguardSettings
	// Backend selects storage, fan-out and schedules.
	Backend jobs.Backend

	// Addr is the API's listen address (serve).
	Addr string
	// Demo loads the demo data into an empty database (serve).
	Demo bool
	// Ops configures the dashboard's monitor, the admin listener and the
	// access log (serve).
	Ops api.OpsOptions
	// Security configures the API tokens (serve).
	Security api.SecurityOptions

	// MetricsAddr is where a worker serves /healthz and /metrics; empty
	// means nowhere (worker).
	MetricsAddr string

	// ServerURL is the base URL of the server a client command talks
	// to, and Token its bearer token (import).
	ServerURL string
	Token     string
}

// ConfigError is a configuration value that was refused: Name is the
// environment variable or the flag (with its dash) it came from.
type ConfigError struct {
	Name  string
	Value string // "(hidden)" for secrets
	Err   error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s=%q: %v", e.Name, e.Value, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Defaults is the configuration of cmd with nothing set: the documented
// defaults (README's Configuration table).
func Defaults(cmd Command) Config {
	c := Config{Command: cmd}
	for _, s := range settingsFor(cmd) {
		if s.def == "" {
			continue // the zero value
		}
		if err := s.set(&c, s.def); err != nil {
			panic("app: default of -" + s.flag + ": " + err.Error())
		}
	}
	return c
}

// Load reads cmd's configuration from args (flags) and env. A variable
// set to a valid value is the flag's default; an invalid value, in a
// flag or a variable, is an error naming it and the value (a secret's
// value is hidden). -h writes the usage, with every flag and its
// variable, to out and returns flag.ErrHelp.
func Load(cmd Command, args []string, env Lookup, out io.Writer) (Config, error) {
	fs := flag.NewFlagSet(string(cmd), flag.ContinueOnError)
	// flag would print a bad value's error and then the whole usage;
	// the caller prints the error once, and the usage is for -h.
	fs.SetOutput(io.Discard)
	b := Bind(fs, cmd, env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			b.usage(out)
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return b.Config()
}

// Binding is cmd's settings bound to a flag set; Bind makes one.
type Binding struct {
	cmd      Command
	cfg      Config
	settings []*setting
	// from names where each setting's value came from, by flag name:
	// its variable, or its flag once parsed.
	from map[string]string
	// envErrs are the refused variables, reported by Config so that -h
	// still works in a broken environment.
	envErrs []error
}

// Bind adds cmd's settings to fs, taking their defaults from env. A
// batch command binds its own flag set this way, then calls Config after
// fs.Parse; Load does both for serve and worker.
func Bind(fs *flag.FlagSet, cmd Command, env Lookup) *Binding {
	b := &Binding{cmd: cmd, cfg: Defaults(cmd), settings: settingsFor(cmd), from: map[string]string{}}
	for _, s := range b.settings {
		if v, ok := env(s.env); ok && (v != "" || s.emptySets) {
			if err := s.set(&b.cfg, v); err != nil {
				b.envErrs = append(b.envErrs, &ConfigError{Name: s.env, Value: s.show(v), Err: err})
			}
			b.from[s.flag] = s.env
		}
		fs.Var(&flagValue{s: s, b: b}, s.flag, s.usage+" ("+s.env+")")
	}
	return b
}

// Config returns the validated configuration, or every refused value.
func (b *Binding) Config() (Config, error) {
	errs := slices.Clone(b.envErrs)
	if b.cmd != BatchCommand {
		// Scheduled jobs would only fail when they fire: refuse unknown
		// models now.
		if _, err := models.Standard().Select(b.cfg.Backend.ScheduleModels); err != nil {
			errs = append(errs, &ConfigError{Name: b.source("schedule-models"),
				Value: strings.Join(b.cfg.Backend.ScheduleModels, ","), Err: err})
		}
	}
	// A worker is taken for dead after missing beats, never between two
	// beats of a live one.
	if be, da := b.cfg.Backend.BeatEvery, b.cfg.Backend.DeadAfter; be > 0 && da > 0 && da < 2*be {
		errs = append(errs, &ConfigError{Name: b.source("dead-after"), Value: da.String(),
			Err: fmt.Errorf("want at least twice %s (%s)", b.source("heartbeat-every"), be)})
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return b.cfg, nil
}

// source names where the value of the setting flag came from.
func (b *Binding) source(flag string) string {
	if f, ok := b.from[flag]; ok {
		return f
	}
	return "-" + flag
}

func (b *Binding) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: forecastd %s [flags]\n\n", b.cmd)
	fmt.Fprintf(w, "Each flag's default can be set by the environment variable named beside it;\na flag given on the command line wins over its variable.\n\n")
	for _, s := range b.settings {
		fmt.Fprintf(w, "  -%s", s.flag)
		if s.typ != "bool" {
			fmt.Fprintf(w, " %s", s.typ)
		}
		fmt.Fprintf(w, "\n    \t%s\n    \t(%s", s.usage, s.env)
		if s.def != "" && !s.secret {
			fmt.Fprintf(w, "; default %s", s.def)
		}
		fmt.Fprintln(w, ")")
	}
}

// flagValue is a setting as a flag.Value: Set parses and checks the
// value exactly as the environment's is.
type flagValue struct {
	s *setting
	b *Binding
}

func (v *flagValue) Set(val string) error {
	if err := v.s.set(&v.b.cfg, val); err != nil {
		if v.s.secret {
			// flag quotes the value in its message: keep a secret out of it.
			return errors.New("refused (value hidden)")
		}
		return err
	}
	v.b.from[v.s.flag] = "-" + v.s.flag
	return nil
}

// String is the documented default (flag.PrintDefaults); never a secret.
func (v *flagValue) String() string {
	if v == nil || v.s == nil || v.s.secret {
		return ""
	}
	return v.s.def
}

func (v *flagValue) IsBoolFlag() bool { return v != nil && v.s != nil && v.s.typ == "bool" }

// Logger is the process's logger, in LogFormat, writing to w.
func (c Config) Logger(w io.Writer) *slog.Logger {
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// Setup applies the process-wide settings (the Go memory limit) and
// returns the logger writing to w. Every command calls it once, first.
func (c Config) Setup(w io.Writer) *slog.Logger {
	if c.MemoryLimitMB > 0 {
		memguard.SetMemoryLimit(c.MemoryLimitMB << 20)
	}
	return c.Logger(w)
}

// MemguardSettings are the documented memguard options (memguard/README.md
// says what each does); the settings table fills them with their
// defaults.
type MemguardSettings struct {
	Window, WarmUp  int
	Sigmas          float64
	NoiseFloorBytes int64
	CheckpointEvery int
	Hunt            bool
}

// Guard is the memguard configuration of a process that works jobs.
func (c Config) Guard() memguard.Options {
	m := c.Memguard
	return memguard.Options{MaxRetainedBytes: c.MemoryBudgetMB << 20, MemProfileRate: c.MemProfileRate,
		Window: m.Window, WarmUp: m.WarmUp, NoiseSigmas: m.Sigmas, NoiseFloorBytes: m.NoiseFloorBytes,
		CheckpointEvery: m.CheckpointEvery, DisableHunt: !m.Hunt}
}

// ServerOptions are the api.Server options of `forecastd serve`.
func (c Config) ServerOptions(log *slog.Logger) api.Options {
	return api.Options{Addr: c.Addr, DataDir: c.DataDir, Demo: c.Demo, JobWorkers: c.Workers,
		SeriesWorkers: c.SeriesWorkers, ShutdownTimeout: c.ShutdownTimeout, Guard: c.Guard(), Logger: log,
		Backend: api.BackendOptions{Backend: c.Backend}, Ops: c.Ops, Security: c.Security}
}

// WorkerOptions are the jobs.Worker options of `forecastd worker`.
func (c Config) WorkerOptions(log *slog.Logger) jobs.WorkerOptions {
	return jobs.WorkerOptions{Backend: c.Backend, DataDir: c.DataDir, Addr: c.MetricsAddr, Jobs: c.Workers,
		SeriesWorkers: c.SeriesWorkers, Guard: c.Guard(), Logger: log, ShutdownTimeout: c.ShutdownTimeout}
}
