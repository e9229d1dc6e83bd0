package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The formal documents officials print: the target-responsibility pledge
// (目标责任书), a supervision letter (督办函), a public notice (通报) and a
// summons interview notice (约谈通知书). Each is a page with print CSS.
func (w *Web) mountDocuments(g *gin.RouterGroup) {
	g.GET("/docs/pledge/:campaign/:year/:unit", w.pledgeDoc)
	g.GET("/docs/notice/:id", w.noticeDoc)
	g.GET("/docs/interview/:id", w.interviewDoc)
	g.GET("/docs/letter/:task/:note", w.letterDoc)
}

var numerals = []rune("〇一二三四五六七八九")

// formalDate writes a date as formal documents do: 二〇二一年三月五日.
func formalDate(t time.Time) string {
	l := t.In(zone)
	var b strings.Builder
	for _, d := range strconv.Itoa(l.Year()) {
		b.WriteRune(numerals[d-'0'])
	}
	b.WriteString("年")
	b.WriteString(chineseNumber(int(l.Month())))
	b.WriteString("月")
	b.WriteString(chineseNumber(l.Day()))
	b.WriteString("日")
	return b.String()
}

// chineseNumber writes 1–31 in Chinese: 五, 十二, 二十一.
func chineseNumber(n int) string {
	switch {
	case n < 10:
		return string(numerals[n])
	case n == 10:
		return "十"
	case n < 20:
		return "十" + string(numerals[n-10])
	case n%10 == 0:
		return string(numerals[n/10]) + "十"
	}
	return string(numerals[n/10]) + "十" + string(numerals[n%10])
}

// docNumber is a document's number (文号): 麟安委办〔2021〕12号.
func (w *Web) docNumber(kind string, at time.Time, n int64) string {
	short := []rune(w.County)[0]
	return fmt.Sprintf(w.msg.get("doc.number"), short, w.msg.get("doc.prefix."+kind), at.In(zone).Year(), n)
}

func (w *Web) document(c *gin.Context, page string, data pageData) {
	data["County"] = w.County
	data["Document"] = true
	w.render(c, http.StatusOK, page, data)
}

func (w *Web) pledgeDoc(c *gin.Context) {
	path := fmt.Sprintf("/api/v1/pledges/%s/%s/%s", url.PathEscape(c.Param("campaign")), url.PathEscape(c.Param("year")), url.PathEscape(c.Param("unit")))
	var v api.PledgeView
	if !w.get(c, path, &v) {
		return
	}
	var targets []domain.Target
	var duties []string
	if err := json.Unmarshal(v.Pledge.Targets, &targets); err != nil {
		w.fail(c, fmt.Errorf("pledge %s targets: %w", v.Pledge.ID, err))
		return
	}
	if err := json.Unmarshal(v.Pledge.Duties, &duties); err != nil {
		w.fail(c, fmt.Errorf("pledge %s duties: %w", v.Pledge.ID, err))
		return
	}
	w.document(c, "doc_pledge", pageData{"P": v.Pledge, "Targets": targets, "Duties": duties,
		"Number": w.docNumber("pledge", v.Pledge.CreatedAt, int64(v.Pledge.Year)*1000+v.Pledge.SignerUnitID), "Date": formalDate(v.Pledge.CreatedAt)})
}

func (w *Web) noticeDoc(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	var list api.NoticeList
	if !w.get(c, "/api/v1/notices", &list) {
		return
	}
	var n *store.NoticeRow
	for i := range list.Notices {
		if list.Notices[i].ID == id {
			n = &list.Notices[i]
		}
	}
	if n == nil {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	var units api.UnitList
	if !w.get(c, "/api/v1/units", &units) {
		return
	}
	names := map[int64]string{}
	var walk func([]*api.UnitNode)
	walk = func(ns []*api.UnitNode) {
		for _, u := range ns {
			names[u.ID] = u.Name
			walk(u.Children)
		}
	}
	walk(units.Units)
	var named []string
	for _, u := range n.UnitIDs {
		named = append(named, names[u])
	}
	w.document(c, "doc_notice", pageData{"N": n, "Units": strings.Join(named, "、"), "Number": w.docNumber("notice", n.CreatedAt, n.ID), "Date": formalDate(n.CreatedAt)})
}

func (w *Web) interviewDoc(c *gin.Context) {
	var iv store.Interview
	if !w.get(c, "/api/v1/interviews/"+url.PathEscape(c.Param("id")), &iv) {
		return
	}
	w.document(c, "doc_interview", pageData{"I": iv, "Number": w.docNumber("interview", iv.CreatedAt, iv.ID), "Date": formalDate(iv.CreatedAt)})
}

// letterDoc shows a supervision letter the ladder sent about a task.
func (w *Web) letterDoc(c *gin.Context) {
	var d api.TaskDetail
	if !w.get(c, "/api/v1/tasks/"+url.PathEscape(c.Param("task")), &d) {
		return
	}
	id, err := strconv.ParseInt(c.Param("note"), 10, 64)
	if err != nil {
		id = -1 // no notification has it
	}
	for _, n := range d.Notifications {
		if n.ID == id && n.Kind == string(domain.ActionLetter) {
			w.document(c, "doc_letter", pageData{"L": n, "T": d.Task, "Number": w.docNumber("letter", n.CreatedAt, n.ID), "Date": formalDate(n.CreatedAt)})
			return
		}
	}
	w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
}
