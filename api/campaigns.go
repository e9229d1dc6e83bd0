package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
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
	// The clock starts at the first run; a repeated run keeps it.
	if camp, err = store.StartClock(c.Request.Context(), s.Store.DB, camp.ID, time.Now()); err != nil {
		fail(c, err)
		return
	}
	cal := workflows.BuildCalendar(camp.ID, camp.StartsOn, camp.EndsOn, camp.Location())
	s.startOnce(c, workflows.CampaignID(camp.ID), workflows.CampaignWorkflow,
		workflows.CampaignInput{ID: camp.ID, LeaderUnitID: county.ID, Calendar: cal, Clock: camp.Clock()})
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

// getCampaign answers the campaign, its time and phase, its participants, its
// calendar's progress and the counts of its tasks.
func (s *Server) getCampaign(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	now := camp.Now(time.Now())
	counts, err := store.CountCampaignTasks(ctx, s.Store.DB, camp.ID, now)
	if err != nil {
		fail(c, err)
		return
	}
	units, err := store.Participants(ctx, s.Store.DB, camp.ID)
	if err != nil {
		fail(c, err)
		return
	}
	participants := map[string]int{}
	for _, u := range units {
		participants[u.Kind.String()]++
	}
	phases := camp.FullPolicy().Phases
	out := gin.H{"campaign": camp, "counts": counts, "running": false, "now": now.In(camp.Location()),
		"phase": domain.PhaseAt(phases, now.In(camp.Location())), "phases": phases, "participants": participants}
	if day := now.In(camp.Location()).Format(time.DateOnly); day >= camp.StartsOn.Format(time.DateOnly) && day <= camp.EndsOn.Format(time.DateOnly) {
		out["current_period"] = day[:7] // the month campaign time is in
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(qctx, workflows.CampaignID(camp.ID), "", workflows.QueryProgress); err == nil {
		var p workflows.CampaignProgress
		if v.Get(&p) == nil {
			out["running"], out["progress"] = !p.Ended && p.Next < p.Total, p

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
	// ClockSpeed runs the campaign faster than real time (a demo); 1 by default.
	ClockSpeed *float64 `json:"clock_speed"`
	// Participants are unit codes; by default every department, town and enterprise.
	Participants []string `json:"participants"`
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
	ctx := c.Request.Context()
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
	if len(policy.Phases) == 0 {
		policy.Phases = domain.DefaultPhases(start, end)
	}
	domain.ValidatePhases("policy.phases", policy.Phases, start, end, v)
	speed := 1.0
	if b.ClockSpeed != nil {
		if speed = *b.ClockSpeed; speed < 1 || speed > domain.MaxClockSpeed || speed != math.Trunc(speed) {
			v.Add("clock_speed", fmt.Sprintf("a whole number from 1 (real time) to %d", domain.MaxClockSpeed))
		}
	}
	participants, err := s.participants(ctx, b.Participants, v)
	if err != nil {
		fail(c, err)
		return
	}
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	raw, _ := json.Marshal(policy)
	if _, err := store.CampaignByID(ctx, s.Store.DB, b.ID); err == nil {
		problem(c, http.StatusConflict, TypeConflict, "a campaign with this id exists", domain.FieldError{Field: "id", Detail: "taken"})
		return
	}
	camp := store.Campaign{ID: b.ID, Name: strings.TrimSpace(b.Name), TimeZone: b.TimeZone, StartsOn: start, EndsOn: end, Policy: raw, ClockSpeed: speed}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.UpsertCampaign(ctx, tx, camp); err != nil {
			return err
		}
		return store.SetParticipants(ctx, tx, camp.ID, participants)
	})
	if err != nil {
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

// participants resolves the unit codes of a campaign's participants; none
// given means every department, town and enterprise.
func (s *Server) participants(ctx context.Context, codes []string, v *domain.ValidationError) ([]int64, error) {
	if len(codes) == 0 {
		units, err := store.AllReportingUnits(ctx, s.Store.DB)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, len(units))
		for i, u := range units {
			ids[i] = u.ID
		}
		return ids, nil
	}
	ids := make([]int64, 0, len(codes))
	for i, code := range codes {
		u, err := store.UnitByCode(ctx, s.Store.DB, code)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add(fmt.Sprintf("participants[%d]", i), "no unit with code "+strconv.Quote(code))
		case err != nil:
			return nil, err
		case u.Kind != domain.KindDepartment && u.Kind != domain.KindTown && u.Kind != domain.KindEnterprise:
			v.Add(fmt.Sprintf("participants[%d]", i), "a department, town or enterprise")
		default:
			ids = append(ids, u.ID)
		}
	}
	return ids, nil
}
