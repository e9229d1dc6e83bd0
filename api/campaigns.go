package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// runCampaign starts the campaign's calendar (leaders and the safety office); again is a no-op.
func (s *Server) runCampaign(c *gin.Context) {
	camp, ok := s.campaignAction(c, "启动专项行动", nil)
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
	cal := domain.CampaignCalendar(camp.StartsOn, camp.EndsOn, camp.Location(), camp.FullPolicy())
	s.startOnce(c, contract.CampaignID(camp.ID), contract.CampaignWorkflow,
		contract.CampaignInput{ID: camp.ID, LeaderUnitID: county.ID, Calendar: cal, Clock: camp.Clock()})
}

// steerWords are the steering actions as officials read them.
var steerWords = map[string]string{contract.UpdatePause: "暂停专项行动", contract.UpdateResume: "恢复专项行动", contract.UpdateEnd: "结束专项行动"}

// steerCampaign pauses, resumes or ends a running campaign (leaders and the safety office).
func (s *Server) steerCampaign(update string) gin.HandlerFunc {
	return func(c *gin.Context) {
		camp, ok := s.campaignAction(c, steerWords[update], nil)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
		defer cancel()
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: contract.CampaignID(camp.ID), UpdateName: update,
			UpdateID: update + ":" + requestID(c), WaitForStage: client.WorkflowUpdateStageCompleted})
		var p contract.CampaignProgress
		if err == nil {
			err = h.Get(ctx, &p)
		}
		if err != nil {
			updateFailed(c, err)
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
	local := now.In(camp.Location())
	out := CampaignState{Campaign: viewCampaign(camp), Counts: counts, Now: local,
		Phase: domain.PhaseAt(phases, local), Phases: phases, Participants: participants}
	if day := local.Format(time.DateOnly); day >= out.Campaign.StartsOn && day <= out.Campaign.EndsOn {
		out.CurrentPeriod = day[:7] // the month campaign time is in
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(qctx, contract.CampaignID(camp.ID), "", contract.QueryProgress); err == nil {
		var p contract.CampaignProgress
		if v.Get(&p) == nil {
			out.Running, out.Progress = !p.Ended && p.Next < p.Total, &p

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
		problem(c, http.StatusForbidden, TypeForbidden, "只有安委办可以创建专项行动")
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
		v.Add("id", "小写字母、数字和 -，例如 linyou-2023")
	}
	v.Text("name", &b.Name, true, 200)
	if b.TimeZone == "" {
		b.TimeZone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil || domain.TextProblem(b.TimeZone) != "" {
		v.Add("time_zone", "应为 IANA 时区，例如 Asia/Shanghai")
		loc = time.UTC
	}
	start, err := time.ParseInLocation("2006-01-02", b.StartsOn, loc)
	if err != nil {
		v.Add("starts_on", domain.MsgDate)
	} else if start.Year() < 2000 || start.Year() > 2100 {
		v.Add("starts_on", domain.MsgRange(2000, 2100)+"（年份）")
	}
	end := start.AddDate(3, 0, -1)
	if b.EndsOn != "" {
		if end, err = time.ParseInLocation("2006-01-02", b.EndsOn, loc); err != nil {
			v.Add("ends_on", domain.MsgDate)
		} else if end.Before(start) {
			v.Add("ends_on", "应不早于 starts_on（开始日期）")
		} else if end.After(start.AddDate(10, 0, 0)) {
			v.Add("ends_on", "专项行动最长十年")
		}
	}
	policy := store.CampaignPolicy{}
	if b.Policy != nil {
		policy = *b.Policy
	}
	policy = policy.WithDefaults(start, end)
	speed := 1.0
	if b.ClockSpeed != nil {
		if speed = *b.ClockSpeed; speed < 1 || speed > domain.MaxClockSpeed || speed != math.Trunc(speed) {
			v.Add("clock_speed", fmt.Sprintf("应为 1（实时）到 %d 的整数", domain.MaxClockSpeed))
		}
	}
	participants, err := s.participants(ctx, b.Participants, v)
	if err != nil {
		fail(c, err)
		return
	}
	policy.Validate(start, end, participants.byKind, v)
	for i, r := range policy.Meetings {
		if r.Organiser == "" {
			continue
		}
		if _, err := s.unitByCode(ctx, r.Organiser); errors.Is(err, domain.ErrNotFound) {
			v.Add(fmt.Sprintf("policy.meetings[%d].organiser", i), domain.MsgNoUnit(r.Organiser))
		} else if err != nil {
			fail(c, err)
			return
		}
	}
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	raw, err := json.Marshal(policy)
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := store.CampaignByID(ctx, s.Store.DB, b.ID); err == nil {
		problem(c, http.StatusConflict, TypeConflict, "已有这个编号的专项行动", domain.FieldError{Field: "id", Detail: "已被使用"})
		return
	}
	camp := store.Campaign{ID: b.ID, Name: strings.TrimSpace(b.Name), TimeZone: b.TimeZone, StartsOn: start, EndsOn: end, Policy: raw, ClockSpeed: speed}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.UpsertCampaign(ctx, tx, camp); err != nil {
			return err
		}
		return store.SetParticipants(ctx, tx, camp.ID, participants.ids)
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
	c.JSON(http.StatusCreated, viewCampaign(out))
}

// participantSet is the units taking part in a campaign, and how many of each kind.
type participantSet struct {
	ids    []int64
	byKind map[string]int
}

// participants resolves the unit codes of a campaign's participants; none
// given means every department, town and enterprise. A code given twice is refused.
func (s *Server) participants(ctx context.Context, codes []string, v *domain.ValidationError) (participantSet, error) {
	set := participantSet{byKind: map[string]int{}}
	if len(codes) == 0 {
		units, err := store.AllReportingUnits(ctx, s.Store.DB)
		if err != nil {
			return set, err
		}
		for _, u := range units {
			set.ids = append(set.ids, u.ID)
			set.byKind[u.Kind.String()]++
		}
		return set, nil
	}
	if len(codes) > 100000 {
		v.Add("participants", domain.MsgAtMostItems(100000))
		return set, nil
	}
	seen := map[string]bool{}
	for i, code := range codes {
		field := fmt.Sprintf("participants[%d]", i)
		if seen[code] {
			v.Add(field, domain.MsgDuplicate)
			continue
		}
		seen[code] = true
		u, err := s.unitByCode(ctx, code)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add(field, domain.MsgNoUnit(code))
		case err != nil:
			return set, err
		case u.Kind != domain.KindDepartment && u.Kind != domain.KindTown && u.Kind != domain.KindEnterprise:
			v.Add(field, "应为部门、镇或企业")
		default:
			set.ids = append(set.ids, u.ID)
			set.byKind[u.Kind.String()]++
		}
	}
	return set, nil
}

// listCampaigns answers every campaign; every authenticated person may read them.
func (s *Server) listCampaigns(c *gin.Context) {
	list, err := store.Campaigns(c.Request.Context(), s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	out := CampaignList{Campaigns: make([]CampaignSummary, 0, len(list))}
	wall := time.Now()
	for _, camp := range list {
		out.Campaigns = append(out.Campaigns, CampaignSummary{CampaignView: viewCampaign(camp), Now: camp.Now(wall).In(camp.Location())})
	}
	c.JSON(http.StatusOK, out)
}
