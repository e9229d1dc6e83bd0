package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

type startReportsBody struct {
	Period string `json:"period"`
}

// startReports starts a month's reports for every reporting unit (leaders and
// the safety office); starting the same month again changes nothing.
func (s *Server) startReports(c *gin.Context) {
	var b startReportsBody
	camp, ok := s.campaignAction(c, "启动月度报告", &b)
	if !ok {
		return
	}
	if err := campaignMonth(camp, b.Period); err != nil {
		fail(c, err)
		return
	}
	s.startOnce(c, contract.ReportMonthID(camp.ID, b.Period), contract.ReportMonthWorkflow,
		contract.ReportMonthInput{CampaignID: camp.ID, Period: b.Period})
}

// campaignMonth checks a period ("2021-03") is a month of the campaign.
func campaignMonth(camp store.Campaign, period string) error {
	m, err := time.Parse("2006-01", period)
	if err != nil || len(period) != 7 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "period", Detail: domain.MsgMonth}}}
	}
	first := time.Date(camp.StartsOn.Year(), camp.StartsOn.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.Before(first) || m.After(camp.EndsOn) {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "period",
			Detail: fmt.Sprintf("应为专项行动期间的月份：%s 至 %s", camp.StartsOn.Format("2006-01"), camp.EndsOn.Format("2006-01"))}}}
	}
	return nil
}

// readers says whose records the caller may list: every unit's for leaders,
// the safety office and administrators; else those of the units they hold a
// role in.
func readers(p domain.Person) store.Readers {
	if p.CountyWide() {
		return store.Readers{All: true}
	}
	units, _ := slots(p)
	return store.Readers{Units: units}
}

// listReports lists a campaign's reports (of a period), those the caller may read.
func (s *Server) listReports(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	period := c.Query("period")
	if period != "" {
		if err := campaignMonth(camp, period); err != nil {
			fail(c, err)
			return
		}
	}
	list, err := store.Reports(ctx, s.Store.DB, camp.ID, period, readers(caller(c)))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ReportList{Reports: emptyIfNil(list)})
}

// getReport answers one report to the county-wide readers and the unit's
// people, with the figures its unit's records hold for its period now.
func (s *Server) getReport(c *gin.Context) {
	ctx := c.Request.Context()
	r, err := store.ReportByID(ctx, s.Store.DB, contract.ReportID(c.Param("campaign"), c.Param("unit"), c.Param("period")))
	if err != nil {
		fail(c, err)
		return
	}
	if p := caller(c); !p.CountyWide() && !inUnit(p, r.UnitID) {
		fail(c, domain.ErrNotFound)
		return
	}
	v, err := s.reportView(ctx, r)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// reportView is a report with its unit's recorded figures of its period now.
func (s *Server) reportView(ctx context.Context, r store.Report) (ReportView, error) {
	recorded, err := store.ReportRecorded(ctx, s.Store.DB, r)
	return ReportView{Report: r, Recorded: recorded}, err
}

// listNotices lists published notices (通报), newest first; ?unit= those naming a unit.
func (s *Server) listNotices(c *gin.Context) {
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	xlsx, ok := format(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	list, err := store.Notices(ctx, s.Store.DB, unitID, 200)
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		names, err := s.unitNames(ctx)
		if err != nil {
			fail(c, err)
			return
		}
		b, err := excel.Notices(excel.NoticeSheet{Title: "通报", Notices: list, UnitNames: names})
		sendXLSX(c, "通报.xlsx", b, err)
		return
	}
	c.JSON(http.StatusOK, NoticeList{Notices: emptyIfNil(list)})
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
		problem(c, http.StatusForbidden, TypeForbidden, "只有安委办可以发布通报")
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
	switch {
	case len(b.Units) == 0:
		v.Add("units", "至少一个单位")
	case len(b.Units) > 1000:
		v.Add("units", domain.MsgAtMostItems(1000))
	}
	var ids []int64
	seen := map[string]bool{}
	for i, code := range b.Units {
		field := "units[" + strconv.Itoa(i) + "]"
		if seen[code] {
			v.Add(field, domain.MsgDuplicate)
			continue
		}
		seen[code] = true
		u, err := s.unitByCode(ctx, code)
		if err != nil {
			v.Add(field, domain.MsgNoUnit(code))
			continue
		}
		ids = append(ids, u.ID)
	}
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	key := fmt.Sprintf("manual:%d:%s", p.ID, requestID(c))
	if k, ok := idempotencyKey(c); !ok {
		return
	} else if k != "" {
		key = fmt.Sprintf("manual:%d:%s", p.ID, k)
	}
	// A replay with the same Idempotency-Key answers the notice the first request made.
	var id int64
	if err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var created bool
		var err error
		id, created, err = store.AddNotice(ctx, tx, store.Notice{Key: key, IssuerUnitID: office.UnitID, UnitIDs: ids, Reason: b.Reason,
			SubjectType: "manual", SubjectID: key, IssuedBy: p.Key, At: s.campaignNow(ctx, "")})
		if err != nil || !created {
			return err
		}
		for _, uid := range ids {
			if _, err := store.Enqueue(ctx, tx, store.Notification{Key: key + ":" + strconv.FormatInt(uid, 10), UnitID: uid, Kind: "notice",
				Title: "【通报】" + office.UnitName, Body: b.Reason}); err != nil {
				return err
			}
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "notice.issued:" + key, Actor: p.Key, Action: "notice.issued",
			SubjectType: "notice", SubjectID: key, After: map[string]any{"units": b.Units, "reason": b.Reason}})
		return err
	}); err != nil {
		fail(c, err)
		return
	}
	n, err := store.NoticeByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, n)
}

// scores answers every reporting unit's score for a year: the base from policy
// plus its ledger entries, its rank, and the entries behind it.
func (s *Server) scores(c *gin.Context) {
	year, ok := yearParam(c)
	if !ok {
		return
	}
	xlsx, ok := format(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	base := camp.FullPolicy().Base()
	list, err := store.Scores(ctx, s.Store.DB, camp.ID, year, base)
	if err != nil {
		fail(c, err)
		return
	}
	// Every unit's score and rank are public; the reasons behind them are a
	// unit's own, and the leaders' and the safety office's.
	p := caller(c)
	for i := range list {
		if !seesAssessment(p) && !inUnit(p, list[i].UnitID) {
			list[i].Entries = []store.ScoreEntry{}
		}
	}
	vetoes, err := store.Vetoes(ctx, s.Store.DB, camp.ID, year)
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		b, err := excel.ScoreTable(excel.ScoreSheet{Title: fmt.Sprintf("%s %d年度目标责任考核得分", camp.Name, year), Scores: list,
			Policy: camp.FullPolicy().Assessment, Vetoes: vetoes, Location: camp.Location()})
		sendXLSX(c, fmt.Sprintf("%s%d年度得分.xlsx", camp.Name, year), b, err)
		return
	}
	policy := camp.FullPolicy().Assessment
	board := ScoreBoard{CampaignID: camp.ID, Year: year, BaseScore: base, Units: make([]ScoredUnit, 0, len(list))}
	for _, u := range list {
		veto, vetoed := vetoes[u.UnitID]
		board.Units = append(board.Units, ScoredUnit{UnitScore: u, Grade: policy.Grade(u.Score, vetoed), Veto: veto})
	}
	c.JSON(http.StatusOK, board)
}
