// Package ml provides the regressors that forecastd's feature-based
// candidates learn with: linear models (ordinary least squares, ridge,
// lasso, elastic net, Huber, Poisson GLM), k-nearest neighbours, CART
// trees, random forests and extra trees, histogram gradient-boosted trees
// and a small multi-layer perceptron.
//
// The package is generic machine learning on a design matrix; it knows
// nothing about time series. Package models builds the matrix (with
// package features) and wraps each regressor into a forecaster.
//
// Every regressor follows one pattern, after gonum's settings structs:
//
//   - A settings struct (Ridge, Lasso, Forest, HGBT, ...) whose zero value
//     means scikit-learn's defaults, except where a documented faster
//     default is better for many small fits.
//   - Fit(ctx, x, cols, y) takes the design matrix row-major in x (len(y)
//     rows of cols values) and returns a concrete fitted type. Long fits
//     check ctx and return ctx.Err() promptly. Each fit is single-threaded:
//     the caller parallelises over series.
//   - The fitted type has Predict(row) for one row and PredictBatch(dst, x)
//     for many; both are safe for concurrent use, and it round-trips
//     through encoding/json, predicting identically after loading.
//   - Randomised fits (forests, extra trees, MLP) take a Seed and draw from
//     a math/rand/v2 PCG source seeded with it: same seed, same model.
//
// Inputs must be finite: Fit returns an error wrapping ErrNonFinite for a
// NaN or infinity, and ErrTooFewRows when there is too little data.
// Features with gaps are imputed first with an Imputer (training column
// means), which can also standardise them for the scale-sensitive models
// (k-nearest neighbours, the MLP, penalised linear models).
//
// Named choices are typed string enums (HGBT's Loss, Linear's Link), so
// their JSON stays scikit-learn's names; ParseLoss validates a loss read
// from outside, and Fit panics on an unknown one as on any invalid
// setting.
//
// The objectives are scikit-learn 1.2's, and the tests check the fitted
// coefficients and holdout scores against it (testdata/make_golden.py).
package ml
