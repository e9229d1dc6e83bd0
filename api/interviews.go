package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

type interviewBody struct {
	Unit      string `json:"unit"`
	Reason    string `json:"reason"`
	ReasonKey string `json:"reason_key"`
	Campaign  string `json:"campaign"`
}

var validReasonKey = regexp.MustCompile(`^[a-z0-9][a-z0-9:._-]{0,62}$`)

// summonInterview lets a leader summon a unit's head by hand. A second summons
// of the same unit for the same reason joins the open interview (200) instead
// of starting another (201).
func (s *Server) summonInterview(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleLeader) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导可以启动约谈")
		return
	}
	var b interviewBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	v.Text("reason", &b.Reason, true, 2000)
	if b.ReasonKey == "" {
		b.ReasonKey = "manual"
	} else if !validReasonKey.MatchString(b.ReasonKey) {
		v.Add("reason_key", "小写字母、数字和 : . _ -")
	}
	u, err := s.unitByCode(ctx, b.Unit)
	if err != nil {
		v.Add("unit", domain.MsgNoUnit(b.Unit))
	}
	if b.Campaign != "" {
		if _, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign); err != nil {
			v.Add("campaign", "没有这个专项行动")
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	key := fmt.Sprintf("manual:%d:%s", p.ID, requestID(c))
	if k := c.GetHeader("Idempotency-Key"); validIdempotencyKey.MatchString(k) {
		key = fmt.Sprintf("manual:%d:%s", p.ID, k)
	}
	var res contract.SummonResult
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = activities.Summon(ctx, tx, store.Summons{Key: key, CampaignID: b.Campaign, UnitID: u.ID, ReasonKey: b.ReasonKey,
			Reason: b.Reason, Source: "manual", At: s.campaignNow(ctx, b.Campaign)})
		if err != nil || !res.Created {
			return err
		}
		return s.startInTx(ctx, contract.InterviewID(res.InterviewID), contract.InterviewWorkflow, res.Spec)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	iv, err := store.InterviewByID(ctx, s.Store.DB, res.InterviewID)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	c.JSON(status, InterviewSummoned{Interview: iv, Joined: !res.Created})
}

// listInterviews lists interviews: all for county-wide readers, a unit's own for its people.
func (s *Server) listInterviews(c *gin.Context) {
	p := caller(c)
	ctx := c.Request.Context()
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	status, ok := statusParam(c, domain.InterviewSummoned, domain.InterviewScheduled, domain.InterviewAcknowledged, domain.InterviewHeld,
		domain.InterviewCommitted, domain.InterviewFulfilled, domain.InterviewReturned, domain.InterviewClosed)
	if !ok {
		return
	}
	list, err := store.Interviews(ctx, s.Store.DB, unitID, status)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]store.Interview, 0, len(list))
	for _, iv := range list {
		if p.CountyWide() || inUnit(p, iv.UnitID) {
			out = append(out, iv)
		}
	}
	c.JSON(http.StatusOK, InterviewList{Interviews: out})
}

func (s *Server) getInterview(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	iv, err := store.InterviewByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	if p := caller(c); !p.CountyWide() && !inUnit(p, iv.UnitID) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, iv)
}
