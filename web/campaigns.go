package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

func (w *Web) mountCampaigns(g *gin.RouterGroup) {
	g.GET("/campaigns", w.campaignsPage)
	g.GET("/campaigns/:id", w.campaignPage)
	g.GET("/campaigns/:id/export/:what", w.export)
	g.GET("/notices/export", w.exportNotices)
}

func (w *Web) campaignsPage(c *gin.Context) {
	var list api.CampaignList
	if !w.get(c, "/api/v1/campaigns", &list) {
		return
	}
	w.render(c, http.StatusOK, "campaigns", pageData{"Campaigns": list.Campaigns})
}

// phaseView is a phase on the dashboard's timeline, sized by its days.
type phaseView struct {
	domain.Phase
	Percent float64
	Current bool
}

// kindScores is a kind's units, ranked.
type kindScores struct {
	Kind  string
	Units []api.ScoredUnit
}

// chartData feeds the dashboard's charts (app.js draws them with ECharts).
type chartData struct {
	Months   []string    `json:"months"`
	OnTime   []int       `json:"on_time"`
	Late     []int       `json:"late"`
	Missing  []int       `json:"missing"`
	Units    []string    `json:"units"`
	Deducted []float64   `json:"deducted"`
	Kinds    []kindChart `json:"kinds"`
}

type kindChart struct {
	Kind   string    `json:"kind"`
	Units  []string  `json:"units"`
	Scores []float64 `json:"scores"`
}

func (w *Web) campaignPage(c *gin.Context) {
	id := url.PathEscape(c.Param("id"))
	var st api.CampaignState
	if !w.get(c, "/api/v1/campaigns/"+id, &st) {
		return
	}
	now := st.Now
	year := now.Year()
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= 2000 && y <= 2100 {
		year = y
	}
	data := pageData{"S": st, "Year": year, "Years": campaignYears(st.Campaign), "Phases": phasesOf(st.Phases, now)}
	county := person(c).CountyWide()
	data["County"] = county
	// The dashboard's parts, read from the API side by side.
	var (
		grid       store.ReportGrid
		progress   api.PledgeProgressView
		unsigned   api.PledgeList
		scores     api.ScoreBoard
		notices    api.NoticeList
		interviews api.InterviewList
	)
	reads := map[string]any{
		fmt.Sprintf("/api/v1/campaigns/%s/pledges/progress?year=%d", id, year):        &progress,
		fmt.Sprintf("/api/v1/campaigns/%s/pledges?year=%d&status=unsigned", id, year): &unsigned,
		fmt.Sprintf("/api/v1/campaigns/%s/scores?year=%d", id, year):                  &scores,
		"/api/v1/notices":    &notices,
		"/api/v1/interviews": &interviews,
	}
	if county {
		reads["/api/v1/campaigns/"+id+"/reports/matrix"] = &grid
	}
	if !w.getAll(c, reads) {
		return
	}
	charts := chartData{}
	if county {
		data["Matrix"] = w.matrixView(grid)
		charts.Months = grid.Periods
		for i := range grid.Periods {
			on, late, missing := 0, 0, 0
			for _, r := range grid.Rows {
				cell := r.Cells[i]
				switch {
				case cell.Missing || (cell.Status == domain.ReportDue && cell.DueAt != nil && now.After(*cell.DueAt)):
					missing++
				case cell.Late:
					late++
				case cell.Status == domain.ReportAccepted || cell.Status == domain.ReportSubmitted:
					on++
				}
			}
			charts.OnTime, charts.Late, charts.Missing = append(charts.OnTime, on), append(charts.Late, late), append(charts.Missing, missing)
		}
	}
	byKind := map[string][]api.ScoredUnit{}
	for _, u := range scores.Units {
		byKind[u.Kind] = append(byKind[u.Kind], u)
		if lost := scores.BaseScore - u.Score; lost > 0 {
			charts.Units = append(charts.Units, u.UnitName)
			charts.Deducted = append(charts.Deducted, round2(lost))
		}
	}
	var kinds []kindScores
	for _, k := range []string{"department", "town", "enterprise"} {
		if len(byKind[k]) == 0 {
			continue
		}
		kinds = append(kinds, kindScores{k, byKind[k]})
		kc := kindChart{Kind: w.msg.get("unitkind." + k)}
		for _, u := range byKind[k] {
			kc.Units, kc.Scores = append(kc.Units, u.UnitName), append(kc.Scores, u.Score)
		}
		charts.Kinds = append(charts.Kinds, kc)
	}
	campaignInterviews := interviews.Interviews[:0:0]
	for _, iv := range interviews.Interviews {
		if iv.CampaignID != nil && *iv.CampaignID == st.Campaign.ID {
			campaignInterviews = append(campaignInterviews, iv)
		}
	}
	chartJSON, err := json.Marshal(charts)
	if err != nil {
		w.fail(c, err)
		return
	}
	data["Progress"] = progress.Levels
	data["Unsigned"] = unsigned.Pledges
	data["Scores"] = kinds
	data["Base"] = scores.BaseScore
	data["Notices"] = notices.Notices[:min(len(notices.Notices), 20)]
	data["Interviews"] = campaignInterviews
	data["Charts"] = string(chartJSON) // read by app.js from a data attribute
	labels, err := json.Marshal(map[string]string{"onTime": w.msg.get("cell.ok"), "late": w.msg.get("cell.late"),
		"missing": w.msg.get("cell.missing"), "deducted": w.msg.get("campaign.deducted")})
	if err != nil {
		w.fail(c, err)
		return
	}
	data["ChartLabels"] = string(labels)
	w.render(c, http.StatusOK, "campaign", data)
}

// cellView is a report matrix cell as the page prints it: its words and colour precomputed.
type cellView struct {
	Class, Label, Href, Period string
}

type matrixRowView struct {
	Unit  string
	Cells []cellView
}

type matrixView struct {
	Periods []string
	Rows    []matrixRowView
}

// matrixView lays the report matrix out for the page; the 300-odd cells are
// worded here, not by the template, which keeps the dashboard fast.
func (w *Web) matrixView(g store.ReportGrid) matrixView {
	words := map[string]string{"ok": w.msg.get("cell.ok"), "late": w.msg.get("cell.late"), "missing": w.msg.get("cell.missing")}
	out := matrixView{Periods: g.Periods, Rows: make([]matrixRowView, len(g.Rows))}
	for i, r := range g.Rows {
		row := matrixRowView{Unit: r.Unit.Name, Cells: make([]cellView, len(r.Cells))}
		for j, cell := range r.Cells {
			v := cellView{Period: cell.Period}
			switch {
			case cell.Missing:
				v.Class, v.Label = "missing", words["missing"]
			case cell.Late:
				v.Class, v.Label = "late", words["late"]
			case cell.Status == domain.ReportAccepted:
				v.Class, v.Label = "ok", words["ok"]
			default:
				v.Class, v.Label = "pending", w.msg.get("status."+cell.Status.String())
			}
			if cell.TaskID != "" {
				v.Href = "/tasks/" + url.PathEscape(cell.TaskID)
			}
			row.Cells[j] = v
		}
		out.Rows[i] = row
	}
	return out
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// campaignYears are the years a campaign spans.
func campaignYears(c api.CampaignView) []int {
	from, _ := strconv.Atoi(c.StartsOn[:4])
	to, _ := strconv.Atoi(c.EndsOn[:4])
	var out []int
	for y := from; y <= to && y-from < 20; y++ {
		out = append(out, y)
	}
	return out
}

// phasesOf lays the phases on a timeline, the one campaign time is in marked.
func phasesOf(phases []domain.Phase, now time.Time) []phaseView {
	total := 0.0
	spans := make([]float64, len(phases))
	for i, p := range phases {
		from, err1 := time.ParseInLocation(time.DateOnly, p.From, zone)
		to, err2 := time.ParseInLocation(time.DateOnly, p.To, zone)
		if err1 == nil && err2 == nil {
			spans[i] = to.Sub(from).Hours()/24 + 1
			total += spans[i]
		}
	}
	today := now.In(zone).Format(time.DateOnly)
	out := make([]phaseView, len(phases))
	for i, p := range phases {
		out[i] = phaseView{Phase: p, Current: today >= p.From && today <= p.To}
		if total > 0 {
			out[i].Percent = round2(spans[i] / total * 100)
		}
	}
	return out
}

// export downloads one of a campaign's workbooks from the API.
func (w *Web) export(c *gin.Context) {
	id := url.PathEscape(c.Param("id"))
	year := c.Query("year")
	if _, err := strconv.Atoi(year); err != nil {
		year = strconv.Itoa(w.now().Year())
	}
	var path string
	switch c.Param("what") {
	case "scores.xlsx":
		path = "/api/v1/campaigns/" + id + "/scores?format=xlsx&year=" + year
	case "reports.xlsx":
		path = "/api/v1/campaigns/" + id + "/reports/matrix?format=xlsx"
	case "pledges.xlsx":
		path = "/api/v1/campaigns/" + id + "/pledges/progress?format=xlsx&year=" + year
	default:
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	w.download(c, path)
}

func (w *Web) exportNotices(c *gin.Context) { w.download(c, "/api/v1/notices?format=xlsx") }

// download passes a file the API answers through to the browser.
func (w *Web) download(c *gin.Context, path string) {
	rec := httptest.NewRecorder()
	req, err := http.NewRequestWithContext(api.OnBehalfOf(c.Request.Context(), person(c)), http.MethodGet, path, nil)
	if err != nil {
		w.fail(c, err)
		return
	}
	req.Header.Set("X-Request-Id", api.RequestID(c))
	w.api.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		p := api.Problem{Status: rec.Code}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			p = api.Problem{Status: rec.Code} // not a problem document: the status says it
		}
		w.refused(c, rec.Code, &p)
		return
	}
	c.Header("Content-Disposition", rec.Header().Get("Content-Disposition"))
	c.Data(http.StatusOK, rec.Header().Get("Content-Type"), rec.Body.Bytes())
}
