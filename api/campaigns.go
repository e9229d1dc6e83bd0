package api

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/workflows"
)

// runCampaign starts the campaign's calendar (leaders and the safety office); again is a no-op.
func (s *Server) runCampaign(c *gin.Context) {
	camp, ok := s.campaignAction(c, "run campaigns", nil)
	if !ok {
		return
	}
	county, err := store.CountyUnit(c.Request.Context(), s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	cal := workflows.BuildCalendar(camp.ID, camp.StartsOn, camp.EndsOn, camp.Location())
	s.startOnce(c, workflows.CampaignID(camp.ID), workflows.CampaignWorkflow, workflows.CampaignInput{ID: camp.ID, LeaderUnitID: county.ID, Calendar: cal})
}

// steerCampaign pauses, resumes or ends a running campaign (leaders and the safety office).
func (s *Server) steerCampaign(update string) gin.HandlerFunc {
	return func(c *gin.Context) {
		camp, ok := s.campaignAction(c, update+" campaigns", nil)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
		defer cancel()
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.CampaignID(camp.ID), UpdateName: update,
			UpdateID: update + ":" + requestID(c), WaitForStage: client.WorkflowUpdateStageCompleted})
		var p workflows.CampaignProgress
		if err == nil {
			err = h.Get(ctx, &p)
		}
		if err != nil {
			s.updateFailed(c, err)
			return
		}
		c.JSON(http.StatusOK, p)
	}
}

// getCampaign answers the campaign, its calendar's progress and the counts of its tasks.
func (s *Server) getCampaign(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	counts, err := store.CountCampaignTasks(ctx, s.Store.DB, camp.ID, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	out := gin.H{"campaign": camp, "counts": counts, "running": false}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(qctx, workflows.CampaignID(camp.ID), "", workflows.QueryProgress); err == nil {
		var p workflows.CampaignProgress
		if v.Get(&p) == nil {
			out["running"], out["progress"] = !p.Ended && p.Next < p.Total, p
			if p.Last != nil {
				out["current_period"] = p.Last.Period
			}
		}
	}
	c.JSON(http.StatusOK, out)
}

type campaignBody struct {
	ID       string                `json:"id"`
	Name     string                `json:"name"`
	StartsOn string                `json:"starts_on"`
	EndsOn   string                `json:"ends_on"`
	TimeZone string                `json:"time_zone"`
	Policy   *store.CampaignPolicy `json:"policy"`
}

var validCampaignID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// createCampaign creates a campaign (the safety office): name, first and last
// day (three years by default), time zone, and a policy validated on input.
func (s *Server) createCampaign(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleSafetyOffice) {
		problem(c, http.StatusForbidden, TypeForbidden, "only the safety committee office creates campaigns")
		return
	}
	var b campaignBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	if !validCampaignID.MatchString(b.ID) {
		v.Add("id", "lower-case letters, digits and -, e.g. linyou-2023")
	}
	if strings.TrimSpace(b.Name) == "" {
		v.Add("name", "required")
	}
	if b.TimeZone == "" {
		b.TimeZone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil {
		v.Add("time_zone", "an IANA time zone, e.g. Asia/Shanghai")
		loc = time.UTC
	}
	start, err := time.ParseInLocation("2006-01-02", b.StartsOn, loc)
	if err != nil {
		v.Add("starts_on", "a date, YYYY-MM-DD")
	}
	end := start.AddDate(3, 0, -1)
	if b.EndsOn != "" {
		if end, err = time.ParseInLocation("2006-01-02", b.EndsOn, loc); err != nil {
			v.Add("ends_on", "a date, YYYY-MM-DD")
		} else if end.Before(start) {
			v.Add("ends_on", "on or after starts_on")
		}
	}
	policy := store.CampaignPolicy{}
	if b.Policy != nil {
		policy = *b.Policy
	}
	policy.Pledge = policy.Pledge.WithDefaults()
	policy.Report = policy.Report.WithDefaults()
	policy.Assessment = policy.Assessment.WithDefaults()
	if policy.BaseScore == 0 {
		policy.BaseScore = 100
	}
	policy.Pledge.Validate("policy.pledge", v)
	policy.Report.Ladder.Validate("policy.report.ladder", v)
	if policy.Report.DeadlineDay < 1 || policy.Report.DeadlineDay > 28 {
		v.Add("policy.report.deadline_day", "1 to 28")
	}
	if policy.Assessment.Pass >= policy.Assessment.Excellent {
		v.Add("policy.assessment.pass", "below policy.assessment.excellent")
	}
	if policy.BaseScore < 0 {
		v.Add("policy.base_score", "must be ≥ 0")
	}
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	raw, _ := json.Marshal(policy)
	ctx := c.Request.Context()
	if _, err := store.CampaignByID(ctx, s.Store.DB, b.ID); err == nil {
		problem(c, http.StatusConflict, TypeConflict, "a campaign with this id exists", domain.FieldError{Field: "id", Detail: "taken"})
		return
	}
	camp := store.Campaign{ID: b.ID, Name: strings.TrimSpace(b.Name), TimeZone: b.TimeZone, StartsOn: start, EndsOn: end, Policy: raw}
	if err := store.UpsertCampaign(ctx, s.Store.DB, camp); err != nil {
		fail(c, err)
		return
	}
	out, err := store.CampaignByID(ctx, s.Store.DB, b.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}
