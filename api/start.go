package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

var errStart = errors.New("start workflow")

// startOnce starts a workflow whose id names what it does (a campaign year's
// pledges, a month's reports): 202 when it starts, 200 with started=false when
// it already ran or runs, so a repeated request changes nothing.
func (s *Server) startOnce(c *gin.Context, id, workflowType string, input any) {
	_, err := s.Temporal.ExecuteWorkflow(c.Request.Context(), client.StartWorkflowOptions{
		ID: id, TaskQueue: s.TaskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true, TypedSearchAttributes: contract.SearchAttributesOf(workflowType, input),
	}, workflowType, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		c.JSON(http.StatusOK, Started{WorkflowID: id, Started: false})
	case err != nil:
		updateFailed(c, err)
	default:
		c.JSON(http.StatusAccepted, Started{WorkflowID: id, Started: true})
	}
}

// startInTx starts the process of a record written in the caller's transaction:
// a refused start fails the transaction (wrapped in errStart), so no record is
// left without its process.
func (s *Server) startInTx(ctx context.Context, id, workflowType string, input any) error {
	startCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := s.Temporal.ExecuteWorkflow(startCtx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.TaskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: contract.SearchAttributesOf(workflowType, input),
	}, workflowType, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) { // already started: a replayed request, and its process runs
		return fmt.Errorf("%w: %w", errStart, err)
	}
	return nil
}

// failStart answers a failed create: 503 when Temporal refused the start, else as fail does.
func failStart(c *gin.Context, err error) {
	if errors.Is(err, errStart) {
		updateFailed(c, err)
		return
	}
	fail(c, err)
}

// campaignAction opens a campaign action of leaders and the safety office: it
// checks the caller's role, loads the campaign and decodes the body into body
// (none when body is nil).
// False means the answer is already written.
func (s *Server) campaignAction(c *gin.Context, what string, body any) (store.Campaign, bool) {
	if _, ok := assigningGrant(caller(c)); !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导和安委办可以"+what)
		return store.Campaign{}, false
	}
	camp, err := store.CampaignByID(c.Request.Context(), s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return camp, false
	}
	if body == nil {
		return camp, true
	}
	if err := decodeJSON(c, body); err != nil {
		fail(c, err)
		return camp, false
	}
	return camp, true
}

// campaignYear opens a campaign action on one of its years ({"year": 2021}):
// the year must be one the campaign runs in. It answers the county's unit,
// which issues pledges and whose leaders approve assessments.
func (s *Server) campaignYear(c *gin.Context, what string) (store.Campaign, int, int64, bool) {
	var b struct {
		Year *int `json:"year"`
	}
	camp, ok := s.campaignAction(c, what, &b)
	if !ok {
		return camp, 0, 0, false
	}
	v := &domain.ValidationError{}
	if b.Year == nil {
		v.Add("year", domain.MsgRequired)
	} else if *b.Year < camp.StartsOn.Year() || *b.Year > camp.EndsOn.Year() {
		v.Add("year", fmt.Sprintf("专项行动的年份为 %d 至 %d", camp.StartsOn.Year(), camp.EndsOn.Year()))
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return camp, 0, 0, false
	}
	county, err := store.CountyUnit(c.Request.Context(), s.Store.DB)
	if err != nil {
		fail(c, err)
		return camp, 0, 0, false
	}
	return camp, *b.Year, county.ID, true
}
