// Package jobs runs forecastd's training and refresh jobs on River, the
// persistent job queue: a job row in forecastd's own table (what the API
// shows: state, progress, memory) and a River job (what survives a
// restart and is retried) are created in one transaction. Every job runs
// inside a memguard guard.
//
// Two backends, chosen by Backend (Open): the embedded SQLite file, where
// one process works each whole job (Runner.Execute), and PostgreSQL, where
// River runs on the store's database/sql pool (riverdatabasesql, so the
// transaction stays one *sql.Tx) and a training job fans out: its River
// job becomes a parent that splits the series into partitions (PartArgs),
// which any worker process runs and stages, and that publishes all staged
// results at once when every partition has completed (fanout.go). Worker
// is the `forecastd worker` process; Schedule turns cron expressions into
// River periodic jobs that only the leader fires.
package jobs
