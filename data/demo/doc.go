// Package demo generates forecastd's demo data from a fixed seed: daily
// sales of stores × SKUs with weekly and yearly seasonality, trend,
// promotions recorded as a covariate and slow movers with many zero days,
// and the promotion plan of the days after the last sale. `make run`
// loads it, and tests and benchmarks use it as realistic input. WriteM5
// (`forecastd demo`) streams an M5-shaped set of any size as a sales CSV:
// intermittent counts, launches mid-history, price cuts and promotions.
package demo
