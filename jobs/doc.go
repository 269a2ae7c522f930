// Package jobs runs forecastd's training and refresh jobs on River, the
// persistent job queue: a job row in forecastd's own table (what the API
// shows: state, progress, memory) and a River job (what survives a
// restart and is retried) are created in one transaction. Every job runs
// inside a memguard guard.
package jobs
