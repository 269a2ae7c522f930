// Package sqlstore keeps forecastd's state in SQL: sales, planned
// covariates, job rows, staged and published results. The embedded
// default is one SQLite file (modernc.org/sqlite, no cgo); the same
// statements run on PostgreSQL for scale-out. Uploads are staged and
// merged in one transaction, so an upload is stored whole or not at all.
//
// Its consumers (jobs, api) depend on the methods they use through
// interfaces of their own; this package knows nothing of them.
package sqlstore
