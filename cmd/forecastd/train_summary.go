package main

import (
	"errors"
	"fmt"

	"github.com/forecastd/forecastd/forecast"
)

// report writes the summary of a training run and a warning per series
// whose outcome is not a full tournament to stderr, and returns the
// error that makes the exit status non-zero: when a series failed (it
// has no forecast), or fell back to a flat mean without -allow-fallback.
// The forecasts are written before, whatever it returns. A covariate
// left out for want of a plan is a warning, never an exit status.
func (c *trainCommand) report(sum *forecast.Summary) error {
	sum.SortWarnings()
	for _, w := range sum.Warnings {
		if w.Class == forecast.WarnCovariate {
			// The series has its forecast; what it lacks is a plan.
			fmt.Fprintf(c.stderr, "warning: covariates dropped for %s/%s: %s (give their plan with -covariates)\n", w.Store, w.SKU, w.Reason)
			continue
		}
		fmt.Fprintf(c.stderr, "warning: series %s/%s %s: %s\n", w.Store, w.SKU, w.Class, w.Reason)
	}
	dropped := ""
	if sum.CovariatesDropped > 0 {
		// Not a failure: the forecasts are right for the covariates
		// planned, but a covariate the user recorded went unused.
		dropped = fmt.Sprintf("; %d with covariates dropped (no plan over the horizon)", sum.CovariatesDropped)
	}
	if sum.ColdStart > 0 {
		// Too short for a tournament, forecast by the global model: a
		// real forecast, but with no backtest behind it.
		dropped = fmt.Sprintf("; %d cold start (too short for a tournament, forecast by the global model)", sum.ColdStart) + dropped
	}
	fmt.Fprintf(c.stderr, "summary: %d series: %d full, %d reduced, %d fallback, %d failed%s\n",
		sum.Total, sum.Full, sum.Reduced, sum.Fallback, sum.Failed, dropped)
	switch {
	case sum.Failed > 0 && sum.Failed == sum.Total:
		return errors.New("no series could be forecast")
	case sum.Failed > 0:
		return fmt.Errorf("%d of %d series failed", sum.Failed, sum.Total)
	case sum.Fallback > 0 && !c.allowFallback:
		return fmt.Errorf("%d of %d series fell back to a flat mean (-allow-fallback to accept)", sum.Fallback, sum.Total)
	}
	return nil
}
