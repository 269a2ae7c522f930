// Package app assembles the forecastd application: it is the one place
// that reads configuration, and the one place that starts the services.
//
// Configuration is a typed Config, filled once by Load from a command's
// flags, with FORECASTD_* environment variables as their defaults. The
// environment is passed in as a Lookup (Environ is the process's; tests
// use MapEnv), and no other package reads it. Every setting - its flag,
// its variable, its documented default and its parser - is one row of
// one table (settings.go), so -h, the defaults and the validation cannot
// disagree. A value that does not parse or is out of range (a worker
// count of "abc" or -1, a duration without a unit, a bad cron, an
// unknown log format or model) is an error naming the variable or flag
// and the value; secrets (the database URL, the API tokens) are never
// shown in -h or in an error.
//
// Serve and Worker run `forecastd serve` and `forecastd worker` from a
// Config until their context ends: both take the process-wide settings
// (Config.Setup: the Go memory limit, the logger), build the typed
// options of api.Server or jobs.Worker, which open the same job engine
// (jobs.OpenEngine), and stop them gracefully. A batch command (train,
// features) binds the process-wide settings to its own flag set with
// Bind and BatchCommand. cmd/forecastd only wires: it picks the command,
// calls Load and Serve or Worker, and maps a refused configuration to
// exit status 2.
package app
