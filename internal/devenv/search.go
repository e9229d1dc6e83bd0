package devenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/zeren-county/zeren/internal/namespace"
)

// registerSearchAttributes gives the embedded server's namespace zeren's
// search attributes (the SQLite visibility store keeps them in its
// pre-allocated columns: 10 Keyword, 3 Int per namespace). A server started
// again on its file has them already, and nothing changes.
func registerSearchAttributes(hostPort, ns string) error {
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		return fmt.Errorf("temporal search attributes: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := namespace.Setup(ctx, c, ns); err != nil {
		return fmt.Errorf("temporal search attributes: %w", err)
	}
	return nil
}
