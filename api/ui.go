package api

import "github.com/gin-gonic/gin"

// routesUI adds the web dashboard and the OpenAPI document.
// (Owned by the operations work.)
func (s *Server) routesUI(r *gin.Engine) {}
