// Package environ is the one place forecastd reads the process
// environment. The service's configuration (internal/app) takes its
// FORECASTD_* defaults from here; the bench harnesses and the test
// helper that finds PostgreSQL read their few variables here too, so a
// grep for the environment finds one package. It imports only the
// standard library, so any package (tests of the store included) may
// use it without an import cycle.
package environ

import "os"

// Lookup returns the value of the variable name and whether it is set,
// like os.LookupEnv.
func Lookup(name string) (string, bool) { return os.LookupEnv(name) }

// Get returns the value of the variable name, empty when it is unset.
func Get(name string) string {
	v, _ := os.LookupEnv(name)
	return v
}
