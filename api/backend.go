package api

import "github.com/forecastd/forecastd/jobs"

// BackendOptions select the storage and job backend: the embedded SQLite
// file under DataDir by default, PostgreSQL with DatabaseURL (then jobs fan
// out to every worker process), plus the cron schedules. The same options
// configure `forecastd worker` (see jobs.Backend), so all replicas agree.
type BackendOptions struct {
	jobs.Backend
}
