package main

import (
	"context"
	"errors"
	"io"
)

// runFeatures implements `forecastd features`. (Owned by the features work.)
func runFeatures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("features: not implemented yet")
}
