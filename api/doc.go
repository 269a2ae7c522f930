// Package api is forecastd's HTTP service: the versioned JSON API, the
// dashboard and the operator endpoints, around the job engine of package
// jobs.
//
// Server is embeddable: New(ctx, Options) opens the job engine
// (jobs.OpenEngine: memguard, the store and the queue, the job metrics)
// and builds the router; Start listens and starts the job workers;
// Addr reports the address (tests listen on 127.0.0.1:0); Stop drains
// requests in flight, requeues running jobs and closes everything, once
// and within Options.ShutdownTimeout. Options hold typed, already
// validated values: `forecastd serve` fills them through internal/app,
// which alone reads flags and the environment; New refuses only what
// would be unsafe whatever the source (an open server off loopback, a
// public admin listener).
//
// How the pieces fit:
//
//   - Routes (handlers.go): /v1 uploads sales and planned covariates,
//     queues and cancels jobs, and serves series, leaderboards and
//     forecasts; /healthz and /readyz are for probes. Every route is
//     described by the OpenAPI document served at /openapi.json
//     (openapi.go), which a test checks against the router.
//   - The edge protects the rest, in this order: connection limits
//     (limits.go, before a request is read), panic recovery and security
//     headers, request IDs and the access log (ops.go, logging.go),
//     latency metrics and an in-flight limit that answers 503
//     (metrics.go), per-route read and write deadlines (limits.go), then
//     bearer-token authentication (auth.go). limits.go names every limit
//     a client meets, for the README's table and the problems that name
//     them.
//   - Errors: the api package alone maps errors to HTTP statuses, and
//     every error answer is an RFC 9457 application/problem+json
//     document (problem.go).
//   - The dashboard (ui.go, ui_charts.go, templates/) renders server-side
//     HTML with SVG charts from the same store, plus the memory monitor
//     of memguard (monitor.go, memguard.go).
//   - Metrics: /metrics exposes the edge's, the jobs', memguard's and the
//     Go runtime's collectors from one registry owned by the Server.
//   - The admin listener (admin.go) serves /debug/pprof on its own
//     loopback port and mux, never on the public router.
package api
