// Command forecastd serves demand forecasts per store/SKU and runs the same
// pipeline in batch. main only wires: the configuration is read once, by
// internal/app, from the flags and the FORECASTD_* environment; serve and
// worker are app.Serve and app.Worker; the batch commands live in their
// own files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/forecastd/forecastd/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes: a failure while running, and a refused configuration (a bad
// flag or FORECASTD_* value), which a supervisor should not retry.
const (
	exitFailure = 1
	exitConfig  = 2
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, app.Environ, stdout, stderr)
}

// runEnv is run with the environment injected (tests).
func runEnv(ctx context.Context, args []string, env app.Lookup, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitConfig
	}
	var err error
	switch args[0] {
	case "serve":
		err = runService(ctx, app.ServeCommand, app.Serve, args[1:], env, stdout, stderr)
	case "worker":
		err = runService(ctx, app.WorkerCommand, app.Worker, args[1:], env, stdout, stderr)
	case "train":
		err = runTrain(ctx, args[1:], stdout, stderr)
	case "import":
		err = runImport(ctx, args[1:], env, stdout, stderr)
	case "models":
		err = runModels(ctx, args[1:], stdout, stderr)
	case "features":
		err = runFeatures(ctx, args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "version":
		err = runVersion(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "forecastd: unknown command %q\n", args[0])
		usage(stderr)
		return exitConfig
	}
	return exitCode(stderr, args[0], err)
}

// configError marks an error of the configuration, not of the run.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// runService loads cmd's configuration and runs it with start.
func runService(ctx context.Context, cmd app.Command, start func(context.Context, app.Config, io.Writer, io.Writer) error,
	args []string, env app.Lookup, stdout, stderr io.Writer) error {
	cfg, err := app.Load(cmd, args, env, stderr)
	if err != nil {
		return configError{err}
	}
	return start(ctx, cfg, stdout, stderr)
}

func exitCode(stderr io.Writer, cmd string, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(configError)):
		fmt.Fprintf(stderr, "forecastd %s: %v\n", cmd, err)
		return exitConfig
	default:
		fmt.Fprintf(stderr, "forecastd %s: %v\n", cmd, err)
		return exitFailure
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: forecastd <command> [flags]

commands:
  serve      run the HTTP service (embedded SQLite by default)
  train      run the forecasting pipeline on a CSV without a server
  features   export the feature table the models see
  import     send sales files (long, wide, M5 with calendar and prices) to a running server
  models     list the registered candidate models
  demo       write M5-shaped synthetic sales (a CSV train and import read)
  worker     work training jobs only (scale-out over PostgreSQL)
  version    print the version

'forecastd <command> -h' lists a command's flags and their FORECASTD_*
variables. Exit status: 0 done, 1 failed, 2 refused configuration.
`)
}
