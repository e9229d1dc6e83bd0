// Package metrics exposes Prometheus metrics: the HTTP server's own and the
// Temporal SDK's, through the SDK's own tally bridge
// (go.temporal.io/sdk/contrib/tally) feeding the process's registry, as
// temporalio/reference-app-orders-go does.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// NewTemporalHandler records the SDK's metrics (with their labels, named the
// Prometheus way) into reg. The scope reports every second for as long as the
// process runs.
func NewTemporalHandler(reg prometheus.Registerer) client.MetricsHandler {
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, _ := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
}
