package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/workflows"
)

type startReportsBody struct {
	Period string `json:"period"`
}

// startReports starts a month's reports for every reporting unit (leaders and
// the safety office); starting the same month again changes nothing.
func (s *Server) startReports(c *gin.Context) {
	var b startReportsBody
	camp, ok := s.campaignAction(c, "start monthly reports", &b)
	if !ok {
		return
	}
	m, err := time.Parse("2006-01", b.Period)
	if err != nil || m.Before(time.Date(camp.StartsOn.Year(), camp.StartsOn.Month(), 1, 0, 0, 0, 0, time.UTC)) || m.After(camp.EndsOn) {
		problem(c, http.StatusUnprocessableEntity, TypeValidation, "period: a month of the campaign, YYYY-MM",
			domain.FieldError{Field: "period", Detail: fmt.Sprintf("a month from %s to %s, YYYY-MM", camp.StartsOn.Format("2006-01"), camp.EndsOn.Format("2006-01"))})
		return
	}
	s.startOnce(c, workflows.ReportMonthID(camp.ID, b.Period), workflows.ReportMonthWorkflow,
		workflows.ReportMonthInput{CampaignID: camp.ID, Period: b.Period})
}

// listReports lists a campaign's reports (of a period), those the caller may read.
func (s *Server) listReports(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	var units []int64
	if !p.CountyWide() {
		units, _ = slots(p)
	}
	list, err := store.Reports(ctx, s.Store.DB, camp.ID, c.Query("period"), units)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"reports": emptyIfNil(list)})
}

// getReport answers one report to the county-wide readers and the unit's people.
func (s *Server) getReport(c *gin.Context) {
	r, err := store.ReportByID(c.Request.Context(), s.Store.DB, workflows.ReportID(c.Param("campaign"), c.Param("unit"), c.Param("period")))
	if err != nil {
		fail(c, err)
		return
	}
	if p := caller(c); !p.CountyWide() && !inUnit(p, r.UnitID) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, r)
}

// listNotices lists published notices (通报), newest first; ?unit= those naming a unit.
func (s *Server) listNotices(c *gin.Context) {
	var unitID int64
	if code := c.Query("unit"); code != "" {
		u, err := store.UnitByCode(c.Request.Context(), s.Store.DB, code)
		if err != nil {
			problem(c, http.StatusUnprocessableEntity, TypeValidation, "unit: no such unit", domain.FieldError{Field: "unit", Detail: "no such unit"})
			return
		}
		unitID = u.ID
	}
	list, err := store.Notices(c.Request.Context(), s.Store.DB, unitID, 200)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notices": emptyIfNil(list)})
}

type noticeBody struct {
	Units  []string `json:"units"`
	Reason string   `json:"reason"`
}

// issueNotice publishes a notice by hand (the safety office), e.g. for poor
// measures or results (整治不重视、推进措施不力、成效不明显); the named units are told.
func (s *Server) issueNotice(c *gin.Context) {
	p := caller(c)
	var office domain.Grant
	for _, g := range p.Grants {
		if g.Role == domain.RoleSafetyOffice {
			office = g
		}
	}
	if office.UnitID == 0 {
		problem(c, http.StatusForbidden, TypeForbidden, "only the safety committee office issues notices")
		return
	}
	var b noticeBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	v.Text("reason", &b.Reason, true, 5000)
	if len(b.Units) == 0 {
		v.Add("units", "name at least one unit")
	}
	var ids []int64
	for i, code := range b.Units {
		u, err := store.UnitByCode(ctx, s.Store.DB, code)
		if err != nil {
			v.Add("units["+strconv.Itoa(i)+"]", "no unit with code "+strconv.Quote(code))
			continue
		}
		ids = append(ids, u.ID)
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	key := fmt.Sprintf("manual:%d:%s", p.ID, requestID(c))
	if k := c.GetHeader("Idempotency-Key"); k != "" && validIdempotencyKey.MatchString(k) {
		key = fmt.Sprintf("manual:%d:%s", p.ID, k)
	}
	if err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := store.AddNotice(ctx, tx, store.Notice{Key: key, IssuerUnitID: office.UnitID, UnitIDs: ids, Reason: b.Reason,
			SubjectType: "manual", SubjectID: key, IssuedBy: p.Key}); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := store.Enqueue(ctx, tx, store.Notification{Key: key + ":" + strconv.FormatInt(id, 10), UnitID: id, Kind: "notice",
				Title: "【通报】" + office.UnitName, Body: b.Reason}); err != nil {
				return err
			}
		}
		_, err := store.Append(ctx, tx, store.Event{Key: "notice.issued:" + key, Actor: p.Key, Action: "notice.issued",
			SubjectType: "notice", SubjectID: key, After: map[string]any{"units": b.Units, "reason": b.Reason}})
		return err
	}); err != nil {
		fail(c, err)
		return
	}
	list, err := store.Notices(ctx, s.Store.DB, ids[0], 1)
	if err != nil || len(list) == 0 {
		fail(c, errors.Join(err, errors.New("notice not found after insert")))
		return
	}
	c.JSON(http.StatusCreated, list[0])
}

// scores answers every reporting unit's score for a year: the base from policy
// plus its ledger entries, its rank, and the entries behind it.
func (s *Server) scores(c *gin.Context) {
	year, ok := yearParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	base := camp.FullPolicy().BaseScore
	list, err := store.Scores(ctx, s.Store.DB, camp.ID, year, base)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"campaign_id": camp.ID, "year": year, "base_score": base, "units": list})
}
