package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Joint drills (联合演练): a leader or the safety office plans a drill of the
// mines' rescue teams; the row, its units, its audit row and the start of its
// process are one transaction. Every signed-in person may read them.

// DrillView is a drill with its participants' preparations and its problems' hazards.
type DrillView struct {
	store.Drill
	Participants   []DrillParticipantView  `json:"participants"`
	ProblemHazards []store.DrillProblemRow `json:"problem_hazards"`
}

// DrillParticipantView is a participant's preparation; Overdue: pending past its deadline.
type DrillParticipantView struct {
	store.DrillParticipant
	Overdue bool `json:"overdue"`
}

// DrillPage is a list of drills.
type DrillPage struct {
	Drills []store.Drill `json:"drills"`
}

// createDrill plans a joint drill and starts its process.
func (s *Server) createDrill(c *gin.Context) {
	p := caller(c)
	grant, ok := assigningGrant(p)
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导和安委办可以计划联合演练")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if key != "" {
		if d, err := store.DrillByKey(ctx, s.Store.DB, p.ID, key); err == nil {
			s.answerDrill(c, http.StatusOK, d.ID)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	var b domain.DrillInput
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	spec, err := s.drillSpec(ctx, p, grant, b)
	if err != nil {
		fail(c, err)
		return
	}
	spec.IdempotencyKey = key
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, err := store.NextDrillID(ctx, tx)
		if err != nil {
			return err
		}
		spec.ID = id
		if _, err := store.InsertDrill(ctx, tx, spec, activities.DrillPrepareTaskIDs(spec), contract.DrillEvaluateTaskID(id)); err != nil {
			return err
		}
		if err := activities.AppendDrillPlanned(ctx, tx, spec); err != nil {
			return err
		}
		return s.startInTx(ctx, contract.DrillID(id), contract.DrillWorkflow, spec)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	d, err := store.DrillByID(ctx, s.Store.DB, spec.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/drills/%d", d.ID))
	s.answerDrill(c, http.StatusCreated, d.ID)
}

// drillSpec validates a plan and resolves its units, organiser and campaign;
// every invalid field is named. The participants must be production units
// (their problems become hazards there).
func (s *Server) drillSpec(ctx context.Context, p domain.Person, grant domain.Grant, b domain.DrillInput) (domain.DrillSpec, error) {
	spec := domain.DrillSpec{OrganiserUnitID: grant.UnitID, OrganiserRole: grant.Role, PlannedBy: p.Key, PlannerID: p.ID}
	v := &domain.ValidationError{}
	now := time.Now()
	b.Campaign = strings.TrimSpace(b.Campaign)
	if b.Campaign != "" {
		if len(b.Campaign) > 63 || domain.TextProblem(b.Campaign) != "" {
			v.Add("campaign", "没有这项专项行动")
		} else if camp, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign); errors.Is(err, domain.ErrNotFound) {
			v.Add("campaign", "没有这项专项行动")
		} else if err != nil {
			return spec, err
		} else {
			spec.CampaignID, spec.Clock, now = camp.ID, camp.Clock(), camp.Now(now)
		}
	}
	b.Validate(now, v)
	if b.Organiser != "" {
		if u, err := s.unitByCode(ctx, b.Organiser); errors.Is(err, domain.ErrNotFound) {
			v.Add("organiser", domain.MsgNoUnit(b.Organiser))
		} else if err != nil {
			return spec, err
		} else if u.ID != grant.UnitID {
			spec.OrganiserUnitID, spec.OrganiserCode, spec.OrganiserRole = u.ID, u.Code, domain.RoleUnitHead
		}
	}
	if spec.OrganiserCode == "" {
		u, err := store.UnitByID(ctx, s.Store.DB, spec.OrganiserUnitID)
		if err != nil {
			return spec, err
		}
		spec.OrganiserCode = u.Code
	}
	if len(b.Units) <= domain.MaxDrillUnits {
		for i, code := range b.Units {
			u, err := s.unitByCode(ctx, code)
			if errors.Is(err, domain.ErrNotFound) {
				v.Add(fmt.Sprintf("units[%d]", i), domain.MsgNoUnit(code))
				continue
			} else if err != nil {
				return spec, err
			}
			if _, _, err := store.UnitProduction(ctx, s.Store.DB, u.ID); errors.Is(err, domain.ErrNotFound) {
				v.Add(fmt.Sprintf("units[%d]", i), "不是生产经营单位（参演单位应为煤矿等企业）")
				continue
			} else if err != nil {
				return spec, err
			}
			spec.Units = append(spec.Units, domain.DrillUnit{UnitID: u.ID, Code: u.Code, Name: u.Name})
			if code == b.Lead {
				spec.LeadUnitID = u.ID
			}
		}
	}
	spec.Ladder = domain.DefaultDrillLadder()
	if b.Ladder != nil {
		spec.Ladder = *b.Ladder
	}
	v.Sort()
	if err := v.Err(); err != nil {
		return spec, err
	}
	spec.Year, spec.Title, spec.Scenario, spec.Location = b.Year, b.Title, b.Scenario, b.Location
	spec.DrillAt = domain.Stored(b.DrillAt.UTC())
	spec.PrepareDue = spec.DrillAt.Add(-domain.Days(domain.DrillPrepareDays))
	if b.PrepareDue != nil {
		spec.PrepareDue = domain.Stored(b.PrepareDue.UTC())
	} else if !spec.PrepareDue.After(now) {
		spec.PrepareDue = spec.DrillAt // a drill within three days: prepared by its time
	}
	spec.CreatedAt = domain.Stored(now.UTC())
	return spec, nil
}

// getDrill answers a drill with its participants' preparations and its problems' hazards.
func (s *Server) getDrill(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	s.answerDrill(c, http.StatusOK, id)
}

// answerDrill answers a drill with its participants and problems, read as of
// one moment: its record and its problems' hazards are one step's writes.
func (s *Server) answerDrill(c *gin.Context, code int, id int64) {
	ctx := c.Request.Context()
	var d store.Drill
	var units []store.DrillParticipant
	var problems []store.DrillProblemRow
	err := s.Store.Snapshot(ctx, func(tx *sqlx.Tx) error {
		var err error
		if d, err = store.DrillByID(ctx, tx, id); err != nil {
			return err
		}
		if units, err = store.DrillParticipants(ctx, tx, id); err != nil {
			return err
		}
		problems, err = store.DrillProblems(ctx, tx, id)
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	campaign := ""
	if d.CampaignID != nil {
		campaign = *d.CampaignID
	}
	now := s.campaignNow(ctx, campaign)
	view := DrillView{Drill: d, Participants: make([]DrillParticipantView, len(units)), ProblemHazards: emptyIfNil(problems)}
	for i, u := range units {
		view.Participants[i] = DrillParticipantView{DrillParticipant: u, Overdue: u.State == "pending" && now.After(d.PrepareDue)}
	}
	c.JSON(code, view)
}

// listDrills lists drills, the latest first: ?year= those of a year, ?unit= those a unit takes part in.
func (s *Server) listDrills(c *gin.Context) {
	unit, ok := s.unitParam(c)
	if !ok {
		return
	}
	q := store.DrillQuery{UnitID: unit}
	if y := c.Query("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "year", Detail: domain.MsgRange(2000, 2100)}}})
			return
		}
		q.Year = n
	}
	list, err := store.Drills(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, DrillPage{Drills: emptyIfNil(list)})
}
