// Package hierarchy makes the forecasts of a store x SKU grid coherent:
// the forecast of a store equals the sum of its SKUs', the forecast of a
// SKU across stores the sum of its stores', and the total the sum of all.
//
// New builds the hierarchy of a set of bottom series (store x SKU keys)
// and its summing matrix S: the total, one node per store, one per SKU
// across stores, one per value of each attribute (an M5-style dept or cat
// of the SKU), then the bottom series. NewGrouped builds M5's grouped
// structure from attributes of each series (SeriesAttributes, as the
// store keeps them): one node per attribute value across stores and per
// store and value, keyed by AttributeKey ({store or _total,
// "_name=value"}), so a job publishes them as series. Reconcile takes a base forecast of
// every node (each from its own tournament) and returns coherent ones,
// by one of the methods of Method:
//
//   - bottom_up sums the bottom forecasts;
//   - top_down splits the total by forecast proportions (Athanasopoulos,
//     Ahmed & Hyndman 2009) down the tree total -> store -> store x SKU;
//   - mint_ols, mint_wls and mint_shrink are the minimum-trace projection
//     of Wickramasuriya, Athanasopoulos & Hyndman (2019),
//     y~ = S (S' W^-1 S)^-1 S' W^-1 y^, with W the identity (ols), the
//     structural scaling diag(S 1) (wls), or the Schäfer-Strimmer
//     shrinkage of the backtest-error covariance towards its diagonal
//     (shrink), with the shrinkage intensity computed as R's hts::MinT
//     does (ShrinkCovariance).
//
// Counts: with Input.NonNegative, negative reconciled bottom forecasts
// are set to zero and the aggregates summed again from the bottom (the
// "set negative to zero, then bottom-up" heuristic). The result stays
// exactly coherent; it is no longer the MinT projection where a value was
// clipped, which Output.Clipped counts.
//
// Intervals come from reconciled samples: the backtest errors of every
// node, aligned (Input.Residuals), are reconciled as the forecasts are
// (a row e becomes S G e; G S = I and the actuals are coherent), and each
// node's 80% and 95% radii are the split-conformal quantiles of its
// reconciled errors, the rule of the tournament's own intervals. top_down
// has no fixed G: at each step its proportions p reconcile a row e as the
// bottom errors e_b + p (e_total - 1'e_b), each series' own error plus its
// share of the total's (radii in reconcile.go). Without residuals the
// base radii are kept.
//
// Dense matrices are n x n at most (n = nodes), which is fine for the 500
// bottom series and 61 aggregates of a store_item-sized grid; MaxBottom
// bounds the series.
package hierarchy
