package api

import (
	"context"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// liveJob decodes a job row read with err and, while the job runs fanned
// out, adds its partitions as they stand (issue 20: a watcher sees
// progress by partition and each failover as soon as it is detected, not
// only in the finished job's summary). It costs the queue two queries,
// and none for a job that is not running.
func (s *Server) liveJob(ctx context.Context, row *sqlstore.Job, err error) (*jobs.Job, error) {
	j, err := decodeJob(row, err)
	if err != nil || s.queue == nil {
		return j, err
	}
	if j.FanOut, err = s.queue.LiveFanOut(ctx, row); err != nil {
		return nil, err
	}
	return j, nil
}
