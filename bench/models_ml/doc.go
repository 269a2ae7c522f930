// Package modelsml benchmarks the regressors of models/ml against
// scikit-learn on the same design matrices.
//
// run.sh builds the matrices (make_matrix.py), runs the Go benchmarks in
// this package and peer_sklearn.py, and prints the timings side by side.
// The settings of each model are the same in bench_test.go and
// peer_sklearn.py; keep them in step.
package modelsml
