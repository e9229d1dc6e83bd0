// Package api is zeren's HTTP API (Gin): it authenticates, authorises,
// validates, reads the read model in PostgreSQL and sends Updates to workflows.
// It never decides process. api/openapi.yaml is the contract; a test holds the
// router and the document to the same set of routes.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI is the contract document.
func OpenAPI() []byte { return openAPI }

// Deps is what the API needs.
type Deps struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	// Registry receives the HTTP metrics; Gatherer serves /metrics.
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
	Log      *slog.Logger
	// UpdateTimeout bounds how long a request waits for a workflow to record an outcome; default 30s.
	UpdateTimeout time.Duration
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	// completing counts the completions this process has sent to their
	// processes and not yet had answered (see completionUnderLoad).
	completing atomic.Int64
}

// New builds the router.
func New(d Deps) *gin.Engine {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.UpdateTimeout == 0 {
		d.UpdateTimeout = 30 * time.Second
	}
	s := &Server{Deps: d}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(withRequestID, logRequests(d.Log, newHTTPMetrics(d.Registry)), recoverProblem(d.Log), limitBody, checkInput)
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, TypeNotFound, "没有这个接口") })
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, TypeMethod, "这个接口不接受 "+c.Request.Method+" 请求")
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, status{Status: "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Gatherer, promhttp.HandlerOpts{})))
	r.GET("/api/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openAPI) })

	v1 := r.Group("/api/v1", authenticate(d.Store))
	v1.GET("/me", s.me)
	v1.GET("/units", s.units)
	v1.POST("/system/check", s.systemCheck)
	v1.POST("/assignments", s.createAssignment)
	v1.GET("/assignments", s.listAssignments)
	v1.GET("/assignments/:id", s.getAssignment)
	v1.POST("/assignments/:id/remind", s.remindAssignment)
	v1.GET("/inbox", s.inbox)
	v1.GET("/tasks/:id", s.getTask)
	v1.POST("/tasks/:id/complete", s.completeTask)
	v1.POST("/tasks/:id/claim", s.claim)
	v1.POST("/tasks/:id/release", s.release)
	v1.POST("/tasks/:id/comments", s.comment)
	v1.POST("/tasks/:id/extension", s.requestExtension)
	v1.POST("/campaigns/:id/pledges", s.startPledges)
	v1.GET("/campaigns/:id/pledges", s.listPledges)
	v1.GET("/campaigns/:id/pledges/progress", s.pledgeProgress)
	v1.GET("/pledges/:campaign/:year/:unit", s.getPledge)
	v1.GET("/pledges/:campaign/:year/:unit/document", s.pledgeDocument)
	v1.GET("/pledge-templates/:kind", s.getPledgeTemplate)
	v1.PUT("/pledge-templates/:kind", s.putPledgeTemplate)
	v1.POST("/campaigns/:id/reports", s.startReports)
	v1.GET("/campaigns/:id/reports", s.listReports)
	v1.GET("/campaigns/:id/reports/matrix", s.reportMatrix)
	v1.GET("/reports/:campaign/:unit/:period", s.getReport)
	v1.GET("/campaigns/:id/scores", s.scores)
	v1.GET("/notices", s.listNotices)
	v1.POST("/notices", s.issueNotice)
	v1.POST("/interviews", s.summonInterview)
	v1.GET("/interviews", s.listInterviews)
	v1.GET("/interviews/:id", s.getInterview)
	v1.POST("/campaigns/:id/plans", s.createPlan)
	v1.GET("/campaigns/:id/plans", s.listPlans)
	v1.GET("/plans/:id", s.getPlan)
	v1.POST("/plans/:id/tasks", s.addPlanTask)
	v1.POST("/campaigns/:id/accidents", s.recordAccident)
	v1.GET("/campaigns/:id/statistics", s.statistics)
	v1.GET("/production-units", s.listProducers)
	v1.POST("/inspections", s.createInspection)
	v1.GET("/inspections", s.listInspections)
	v1.GET("/inspections/:id", s.getInspection)
	v1.POST("/inspections/:id/close", s.closeInspection)
	v1.POST("/hazards", s.createHazard)
	v1.GET("/hazards", s.listHazards)
	v1.GET("/hazards/template", s.hazardTemplate)
	v1.POST("/inspections/:id/hazards", s.importHazards)
	v1.GET("/hazards/:id", s.getHazard)
	v1.POST("/hazards/:id/files", s.uploadHazardFile)
	v1.GET("/hazards/:id/files/:file", s.getHazardFile)
	v1.GET("/stop-orders", s.listStopOrders)
	v1.POST("/stop-orders", s.createStopOrder)
	v1.GET("/stop-orders/:id", s.getStopOrder)
	v1.POST("/meetings", s.createMeeting)
	v1.GET("/meetings", s.listMeetings)
	v1.GET("/meetings/:id", s.getMeeting)
	v1.POST("/cases", s.createCase)
	v1.GET("/cases", s.listCases)
	v1.GET("/cases/:id", s.getCase)
	// Training sessions and publicity items (issue 15 point 4).
	v1.POST("/trainings", s.createTraining)
	v1.GET("/trainings", s.listTrainings)
	v1.GET("/trainings/:id", s.getTraining)
	v1.POST("/publicity", s.createPublicity)
	v1.GET("/publicity", s.listPublicity)
	v1.GET("/publicity/:id", s.getPublicity)
	v1.POST("/campaigns", s.createCampaign)
	v1.GET("/campaigns", s.listCampaigns)
	v1.GET("/campaigns/:id", s.getCampaign)
	v1.POST("/campaigns/:id/run", s.runCampaign)
	v1.POST("/campaigns/:id/pause", s.steerCampaign(contract.UpdatePause))
	v1.POST("/campaigns/:id/resume", s.steerCampaign(contract.UpdateResume))
	v1.POST("/campaigns/:id/end", s.steerCampaign(contract.UpdateEnd))
	v1.POST("/campaigns/:id/assessments", s.startAssessment)
	v1.GET("/campaigns/:id/assessments/:year", s.getAssessment)
	// Policy documents (制度) and their acknowledgements.
	v1.POST("/policy-documents", s.createPolicyDocument)
	v1.GET("/policy-documents", s.listPolicyDocuments)
	v1.GET("/policy-documents/:id", s.getPolicyDocument)
	v1.POST("/policy-documents/:id/versions", s.newDocumentVersion)
	// Rescue materials (救援物资) and loans between mines (issue 15 point 2).
	v1.GET("/materials", s.listMaterials)
	v1.POST("/materials", s.createMaterial)
	v1.GET("/materials/:id", s.getMaterial)
	v1.PUT("/materials/:id", s.updateMaterial)
	v1.POST("/material-loans", s.createLoan)
	v1.GET("/material-loans", s.listLoans)
	v1.GET("/material-loans/:id", s.getLoan)
	// Joint drills (联合演练) of the mines' rescue teams.
	v1.POST("/drills", s.createDrill)
	v1.GET("/drills", s.listDrills)
	v1.GET("/drills/:id", s.getDrill)
	return r
}

// ready checks PostgreSQL and Temporal, each within two seconds.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	ok := true
	if err := s.Store.DB.PingContext(ctx); err != nil {
		checks["postgres"], ok = "unreachable", false
		s.Log.WarnContext(ctx, "readiness: postgres", "error", err)
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], ok = "unreachable", false
		s.Log.WarnContext(ctx, "readiness: temporal", "error", err)
	}
	if !ok {
		c.Header("Retry-After", RetryAfter)
		writeProblem(c, Problem{Type: TypeUnavailable, Title: titles[TypeUnavailable], Status: http.StatusServiceUnavailable,
			Detail: "依赖的服务没有响应", Instance: requestID(c), Checks: checks})
		return
	}
	c.JSON(http.StatusOK, status{Status: "ok", Checks: checks})
}

// NewHTTPServer wraps the router with the timeouts a public server needs.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
