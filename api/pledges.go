package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var pledgeDoc = template.Must(template.New("pledge.html").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).
	ParseFS(templateFS, "templates/pledge.html"))

// startPledges issues a campaign year's pledges from the county (leaders and
// the safety office). Starting the same year again changes nothing.
func (s *Server) startPledges(c *gin.Context) {
	camp, year, county, ok := s.campaignYear(c, "下发责任书")
	if !ok {
		return
	}
	s.startOnce(c, contract.PledgeYearID(camp.ID, year), contract.PledgeYearWorkflow,
		contract.PledgeYearInput{CampaignID: camp.ID, Year: year, IssuerUnitID: county})
}

func yearParam(c *gin.Context) (int, bool) {
	y, err := strconv.Atoi(c.Query("year"))
	if err != nil || y < 1900 || y > 3000 {
		problem(c, http.StatusUnprocessableEntity, TypeValidation, "year：应为年份，例如 ?year=2021", domain.FieldError{Field: "year", Detail: "应为 1900 到 3000 之间的年份，例如 ?year=2021"})
		return 0, false
	}
	return y, true
}

// listPledges lists a year's pledges; status=unsigned shows those not in force
// (leaders watch these), overdue=true those past their deadline.
func (s *Server) listPledges(c *gin.Context) {
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
	q := store.PledgeQuery{CampaignID: camp.ID, Year: year, Status: c.Query("status"), Now: camp.Now(time.Now())}
	// unsigned: every pledge not yet in force.
	allowed := []string{domain.PledgeIssued.String(), domain.PledgeSigned.String(), domain.PledgeReturned.String(), domain.PledgeInForce.String(), store.PledgesUnsigned}
	if q.Status != "" && !slices.Contains(allowed, q.Status) {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "status", Detail: domain.MsgOneOf(allowed...)}}})
		return
	}
	if o := c.Query("overdue"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "overdue", Detail: domain.MsgBool}}})
			return
		}
		q.Overdue = b
	}
	if q.UnitID, ok = s.unitParam(c); !ok {
		return
	}
	list, err := store.Pledges(ctx, s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	out := PledgeList{Pledges: make([]PledgeView, 0, len(list))}
	for _, pl := range list {
		if p.CountyWide() || inUnit(p, pl.SignerUnitID) || inUnit(p, pl.IssuerUnitID) {
			out.Pledges = append(out.Pledges, PledgeView{Pledge: pl, Overdue: pl.Overdue(q.Now)})
		}
	}
	c.JSON(http.StatusOK, out)
}

// pledgeProgress counts, per level, pledges issued, signed, countersigned and overdue.
func (s *Server) pledgeProgress(c *gin.Context) {
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
	now := camp.Now(time.Now())
	levels, err := store.PledgeProgressOf(ctx, s.Store.DB, camp.ID, year, now)
	if err != nil {
		fail(c, err)
		return
	}
	xlsx, ok := format(c)
	if !ok {
		return
	}
	if xlsx {
		unsigned, err := store.Pledges(ctx, s.Store.DB, store.PledgeQuery{CampaignID: camp.ID, Year: year, Status: store.PledgesUnsigned, Now: now})
		if err != nil {
			fail(c, err)
			return
		}
		b, err := excel.PledgeProgress(excel.PledgeSheet{Title: fmt.Sprintf("%s %d年度目标责任书签订进度", camp.Name, year), Progress: levels,
			Unsigned: unsigned, Now: now, Location: camp.Location()})
		sendXLSX(c, fmt.Sprintf("%s%d年度责任书签订进度.xlsx", camp.Name, year), b, err)
		return
	}
	c.JSON(http.StatusOK, PledgeProgressView{CampaignID: camp.ID, Year: year, Levels: emptyIfNil(levels)})
}

// loadPledge finds a pledge the caller may read: county-wide readers, the
// signer's and the issuer's people.
func (s *Server) loadPledge(c *gin.Context) (store.Pledge, bool) {
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil {
		fail(c, domain.ErrNotFound)
		return store.Pledge{}, false
	}
	pl, err := store.PledgeByID(c.Request.Context(), s.Store.DB, contract.PledgeID(c.Param("campaign"), year, c.Param("unit")))
	if err != nil {
		fail(c, err)
		return pl, false
	}
	p := caller(c)
	if !p.CountyWide() && !inUnit(p, pl.SignerUnitID) && !inUnit(p, pl.IssuerUnitID) {
		fail(c, domain.ErrNotFound)
		return pl, false
	}
	return pl, true
}

func (s *Server) getPledge(c *gin.Context) {
	pl, ok := s.loadPledge(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, PledgeView{Pledge: pl, Overdue: pl.Overdue(s.campaignNow(c.Request.Context(), pl.CampaignID))})
}

// pledgeDocument renders the pledge as a printable formal document in Chinese.
func (s *Server) pledgeDocument(c *gin.Context) {
	pl, ok := s.loadPledge(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, pl.CampaignID)
	if err != nil {
		fail(c, err)
		return
	}
	var keys []string
	for _, k := range []*string{pl.SignedBy, pl.CountersignedBy} {
		if k != nil {
			keys = append(keys, *k)
		}
	}
	names, err := store.PersonNames(ctx, s.Store.DB, keys)
	if err != nil {
		fail(c, err)
		return
	}
	var targets []domain.Target
	var duties []string
	if err := json.Unmarshal(pl.Targets, &targets); err != nil {
		fail(c, fmt.Errorf("pledge %s targets: %w", pl.ID, err))
		return
	}
	if err := json.Unmarshal(pl.Duties, &duties); err != nil {
		fail(c, fmt.Errorf("pledge %s duties: %w", pl.ID, err))
		return
	}
	loc := camp.Location()
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006年1月2日 15:04")
	}
	who := func(k *string) string {
		if k == nil {
			return ""
		}
		return names[*k]
	}
	labels := map[domain.Status]string{domain.PledgeIssued: "待签订", domain.PledgeSigned: "已签订、待会签", domain.PledgeReturned: "已退回修改", domain.PledgeInForce: "已生效"}
	data := map[string]any{
		"Year": pl.Year, "CampaignName": camp.Name, "IssuerName": pl.IssuerName, "SignerName": pl.SignerName,
		"Targets": targets, "Duties": duties, "InForce": pl.Status == domain.PledgeInForce, "StatusLabel": labels[pl.Status],
		"SignedBy": who(pl.SignedBy), "SignedAt": when(pl.SignedAt), "CountersignedBy": who(pl.CountersignedBy), "CountersignedAt": when(pl.CountersignedAt),
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := pledgeDoc.Execute(c.Writer, data); err != nil {
		logError(c, err)
	}
}

type templateBody struct {
	Targets []domain.Target `json:"targets"`
}

func validTemplateKind(c *gin.Context) (string, bool) {
	kind := c.Param("kind")
	switch kind {
	case "department", "town", "enterprise":
		return kind, true
	}
	fail(c, domain.ErrNotFound)
	return "", false
}

func (s *Server) getPledgeTemplate(c *gin.Context) {
	kind, ok := validTemplateKind(c)
	if !ok {
		return
	}
	t, err := store.PledgeTemplateFor(c.Request.Context(), s.Store.DB, kind)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

// putPledgeTemplate lets the safety office edit a kind's default targets; pledges
// issued afterwards carry them.
func (s *Server) putPledgeTemplate(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleSafetyOffice) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有安委办可以修改责任书模板")
		return
	}
	kind, ok := validTemplateKind(c)
	if !ok {
		return
	}
	var b templateBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	domain.ValidateTargets("targets", b.Targets, v)
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := store.SetPledgeTemplate(ctx, s.Store.DB, kind, b.Targets, p.Key); err != nil {
		fail(c, err)
		return
	}
	t, err := store.PledgeTemplateFor(ctx, s.Store.DB, kind)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}
