package api

import (
	"flag"

	"github.com/gin-gonic/gin"
)

// SecurityOptions configure authentication and request limits.
type SecurityOptions struct{}

// RegisterFlags adds the options' flags (with FORECASTD_* environment
// defaults) to fs.
func (o *SecurityOptions) RegisterFlags(fs *flag.FlagSet) {}

func (s *Server) securityMiddleware() []gin.HandlerFunc { return nil }
