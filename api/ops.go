package api

import (
	"context"
	"flag"

	"github.com/gin-gonic/gin"
)

// OpsOptions configure the operator-facing parts: dashboard, admin
// listener, logging. (Owned by the operations work.)
type OpsOptions struct{}

// RegisterFlags adds the options' flags (with FORECASTD_* environment
// defaults) to fs.
func (o *OpsOptions) RegisterFlags(fs *flag.FlagSet) {}

// opsMiddleware runs before every handler (request IDs, access log).
func (s *Server) opsMiddleware() []gin.HandlerFunc { return nil }

// startOps starts the operator-facing background work (memory sampler,
// admin listener); stopOps stops it. Both are called once.
func (s *Server) startOps(ctx context.Context) error { return nil }
func (s *Server) stopOps(ctx context.Context) error  { return nil }
