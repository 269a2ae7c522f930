package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// routesSchedules adds GET /v1/schedules: the cron schedules of retraining
// and refresh (FORECASTD_RETRAIN_CRON, FORECASTD_REFRESH_CRON) with their
// next run. Schedules fire in the River leader among the working
// processes; every replica has the same configuration and answers alike.
func (s *Server) routesSchedules(v1 *gin.RouterGroup) {
	v1.GET("/schedules", s.listSchedules)
}

func (s *Server) listSchedules(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": s.queue.Schedules(time.Now())})
}
