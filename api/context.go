package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

func contextWithTimeout(c *gin.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), d)
}

func logError(c *gin.Context, err error) {
	slog.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "path", c.Request.URL.Path, "error", err)
}
