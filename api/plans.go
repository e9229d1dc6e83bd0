package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

type planBody struct {
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Committee string `json:"committee"`
}

// createPlan adds a plan to a campaign (leaders and the safety office).
func (s *Server) createPlan(c *gin.Context) {
	var b planBody
	camp, ok := s.campaignAction(c, "制定方案", &b)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	switch b.Kind {
	case "overall", "thematic", "sector":
	default:
		v.Add("kind", domain.MsgOneOf("overall", "thematic", "sector"))
	}
	v.Text("title", &b.Title, true, 200)
	plan := store.Plan{CampaignID: camp.ID, Kind: b.Kind, Title: b.Title}
	if b.Committee != "" {
		u, err := s.unitByCode(ctx, b.Committee)
		if err != nil || u.Kind != domain.KindCommittee {
			v.Add("committee", "没有代码为“"+b.Committee+"”的专业委员会")
		} else {
			plan.CommitteeUnitID = &u.ID
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	id, err := store.UpsertPlan(ctx, s.Store.DB, plan)
	if err != nil {
		fail(c, err)
		return
	}
	out, err := store.PlanByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	out.Tasks = []store.PlanTask{}
	c.JSON(http.StatusCreated, out)
}

// listPlans answers a campaign's plans with their tasks.
func (s *Server) listPlans(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	plans, err := store.Plans(ctx, s.Store.DB, camp.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, PlanList{Plans: emptyIfNil(plans)})
}

// addPlanTask adds a task to a plan — refused without any of its four clears —
// and starts its process: the owner's inbox, the deadline, the ladder.
func (s *Server) addPlanTask(c *gin.Context) {
	p := caller(c)
	grant, ok := assigningGrant(p)
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导和安委办可以制定方案")
		return
	}
	ctx := c.Request.Context()
	planID, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	plan, err := store.PlanByID(ctx, s.Store.DB, planID)
	if err != nil {
		fail(c, err)
		return
	}
	var in domain.PlanTaskInput
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	camp, err := store.CampaignByID(ctx, s.Store.DB, plan.CampaignID)
	if err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	// A plan task's deadline lies within three years of its campaign's time now.
	now := camp.Now(time.Now())
	in.Validate(now, now.AddDate(3, 0, 0), v)
	var owner domain.Unit
	if in.OwnerUnit != "" {
		if owner, err = s.unitByCode(ctx, in.OwnerUnit); err != nil {
			v.Add("owner_unit", domain.MsgNoUnit(in.OwnerUnit))
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	office, err := store.SafetyOfficeUnit(ctx, s.Store.DB)
	if err != nil {
		office = grant.UnitID
	}
	var task store.PlanTask
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, err := store.NextPlanTaskID(ctx, tx)
		if err != nil {
			return err
		}
		created := domain.Stored(time.Now().UTC())
		task = store.PlanTask{ID: id, PlanID: plan.ID, Content: in.Content, OwnerUnitID: owner.ID, Deadline: in.Deadline.UTC(), Measures: in.Measures,
			CreatedBy: p.Key, CreatedAt: created}
		if err := store.InsertPlanTask(ctx, tx, task); err != nil {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: "plan-task.created:" + strconv.FormatInt(id, 10), Actor: p.Key, Action: "plan-task.created",
			SubjectType: "plan-task", SubjectID: strconv.FormatInt(id, 10), UnitID: owner.ID,
			After: map[string]any{"content": in.Content, "deadline": in.Deadline, "measures": in.Measures, "plan": plan.Title}}); err != nil {
			return err
		}
		return s.startInTx(ctx, contract.PlanTaskID(id), contract.PlanTaskWorkflow, domain.PlanTaskSpec{
			ID: id, CampaignID: plan.CampaignID, PlanTitle: plan.Title, Content: in.Content, Measures: in.Measures,
			OwnerUnitID: owner.ID, OwnerCode: owner.Code, IssuerUnitID: office, Deadline: in.Deadline.UTC(), Ladder: domain.DefaultPlanLadder(), Clock: camp.Clock(),
			PlanID: plan.ID, CreatedBy: p.Key, CreatedAt: created,
		})
	})
	if err != nil {
		failStart(c, err)
		return
	}
	out, err := store.PlanTaskByID(ctx, s.Store.DB, task.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// getPlan answers one plan with its tasks; every authenticated person may read plans.
func (s *Server) getPlan(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	plan, err := store.PlanWithTasks(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, plan)
}
