package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

type accidentBody struct {
	Unit       string `json:"unit"`
	OccurredOn string `json:"occurred_on"`
	Reason     string `json:"reason"`
}

// recordAccident records a major accident (leaders): the unit fails the year's
// assessment whatever its score (一票否决).
func (s *Server) recordAccident(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleLeader) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导可以记录事故")
		return
	}
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	var b accidentBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	u, err := s.unitByCode(ctx, b.Unit)
	if err != nil {
		v.Add("unit", domain.MsgNoUnit(b.Unit))
	}
	on, err := time.Parse("2006-01-02", b.OccurredOn)
	if err != nil {
		v.Add("occurred_on", domain.MsgDate)
	} else if on.Before(camp.StartsOn) || on.After(camp.EndsOn) || on.After(camp.Now(time.Now())) {
		v.Add("occurred_on", "应为专项行动期间、不晚于今天的日期")
	}
	v.Text("reason", &b.Reason, true, 2000)
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	var id int64
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if id, err = store.RecordAccident(ctx, tx, camp.ID, u.ID, on, b.Reason, p.Key); err != nil {
			return err
		}
		_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("accident.recorded:%d", id), Actor: p.Key, Action: "accident.recorded",
			SubjectType: "accident", SubjectID: fmt.Sprint(id), UnitID: u.ID, After: map[string]any{"occurred_on": b.OccurredOn, "reason": b.Reason}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, AccidentRecorded{ID: id, Unit: u.Code, Year: on.Year(), OccurredOn: b.OccurredOn, Reason: b.Reason})
}

// startAssessment starts a year's assessment (leaders, safety office); again is a no-op.
func (s *Server) startAssessment(c *gin.Context) {
	camp, year, county, ok := s.campaignYear(c, "启动年度考核")
	if !ok {
		return
	}
	s.startOnce(c, contract.AssessmentID(camp.ID, year), contract.AssessmentWorkflow,
		contract.AssessmentInput{CampaignID: camp.ID, Year: year, LeaderUnitID: county})
}

// getAssessment answers a year's results: computed (awaiting a leader) or published.
func (s *Server) getAssessment(c *gin.Context) {
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil || year < 1900 || year > 3000 {
		fail(c, domain.ErrNotFound)
		return
	}
	a, err := store.AssessmentOf(c.Request.Context(), s.Store.DB, c.Param("id"), year)
	if err != nil {
		fail(c, err)
		return
	}
	// Results not yet approved are the leaders' and the safety office's to read.
	if a.Status != domain.AssessmentPublished && !seesAssessment(caller(c)) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, a)
}
