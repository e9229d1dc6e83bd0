package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The pages of meetings and their decisions (议定事项督办): the list with the
// record form, and a meeting with every decision's state. A periodic
// meeting's minutes task links to the form (?task=), and the meeting recorded
// for it answers the task.
func (w *Web) mountMeetings(g *gin.RouterGroup) {
	g.GET("/meetings", w.meetingsPage)
	g.POST("/meetings", w.recordMeeting)
	g.GET("/meetings/:id", w.meetingPage)
}

// decisionRows, attendeeRows: how many decisions the meeting form offers.
const decisionRows = 5

func (w *Web) meetingsPage(c *gin.Context) {
	values := url.Values{}
	if task := c.Query("task"); task != "" {
		values.Set("minutes_task", task)
	}
	w.showMeetings(c, http.StatusOK, nil, values)
}

func (w *Web) showMeetings(c *gin.Context, code int, errs map[string]string, values url.Values) {
	kind := c.Query("kind")
	if !slices.Contains(domain.MeetingKinds, kind) {
		kind = ""
	}
	var list api.MeetingList
	var units api.UnitList
	if !w.getAll(c, map[string]any{"/api/v1/meetings?kind=" + url.QueryEscape(kind): &list, "/api/v1/units": &units}) {
		return
	}
	data := pageData{"Meetings": list.Meetings, "Kind": kind, "Kinds": domain.MeetingKinds, "Errors": errs, "V": formValues(values)}
	if task := values.Get("minutes_task"); task != "" {
		// The minutes task says which meeting: its kind and title, its organiser.
		var t api.TaskDetail
		if !w.get(c, "/api/v1/tasks/"+url.PathEscape(task), &t) {
			return
		}
		var tc domain.TaskContext
		_ = json.Unmarshal(t.Task.Context, &tc) // a context that does not decode prefills nothing
		v := data["V"].(map[string]string)
		if v["kind"] == "" {
			v["kind"] = tc.MeetingKind
		}
		if v["title"] == "" {
			title, _, _ := strings.Cut(strings.TrimPrefix(t.Task.Title, "会议纪要："), "（")
			v["title"] = title
		}
		if v["organiser"] == "" {
			v["organiser"] = t.Task.UnitCode
		}
		data["Task"] = t.Task
	}
	county, err := store.CountyUnit(c.Request.Context(), w.Store.DB)
	if err != nil {
		w.fail(c, err)
		return
	}
	chairs, err := w.chairs(c, county)
	if err != nil {
		w.fail(c, err)
		return
	}
	data["CountyUnit"] = county
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	data["Key"] = key
	data["Chairs"] = chairs
	data["UnitGroups"] = unitGroups(units.Units)
	data["DecisionRows"] = seqN(decisionRows)
	w.render(c, code, "meetings", data)
}

// chairs are who may chair a meeting, as the form offers them: the county's
// leaders and the people of the signed-in person's units.
func (w *Web) chairs(c *gin.Context, county domain.Unit) ([]store.PersonRow, error) {
	p := person(c)
	units := []int64{county.ID, p.UnitID}
	for _, g := range p.Grants {
		units = append(units, g.UnitID)
	}
	return store.PeopleOfUnits(c.Request.Context(), w.Store.DB, units)
}

// lines are a textarea's non-empty lines.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// recordMeeting records a meeting through the API; recorded for a minutes
// task, it answers that task with the meeting.
func (w *Web) recordMeeting(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showMeetings(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"kind": f.Get("kind"), "title": f.Get("title"), "held_on": f.Get("held_on"), "organiser": f.Get("organiser"),
		"chair": f.Get("chair"), "attendees": lines(f.Get("attendees")), "topics": lines(f.Get("topics")), "minutes": f.Get("minutes")}
	task := strings.TrimSpace(f.Get("minutes_task"))
	if task != "" {
		body["minutes_task"] = task
	}
	var decisions []map[string]any
	for i := range decisionRows {
		field := func(name string) string { return strings.TrimSpace(f.Get(fmt.Sprintf("decisions[%d].%s", i, name))) }
		if field("unit") == "" && field("content") == "" {
			continue
		}
		decisions = append(decisions, map[string]any{"unit": field("unit"), "content": field("content"), "due_at": instant(field("due_at"))})
	}
	if len(decisions) > 0 {
		body["decisions"] = decisions
	}
	var out store.Meeting
	w.record(c, "/api/v1/meetings", body, &out, "web-meeting-", func() (string, string) {
		msg := w.msg.get("meeting.recorded")
		if task != "" {
			var done api.CompletionResponse
			if code, p := w.call(c, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(task)+"/complete",
				map[string]any{"meeting_id": out.ID}, &done); p != nil && code != http.StatusConflict {
				msg = w.msg.get("meeting.task_open") + p.Detail
			} else {
				msg = w.msg.get("meeting.task_done")
			}
		}
		return msg, fmt.Sprintf("/meetings/%d", out.ID)
	}, w.showMeetings)
}

func (w *Web) meetingPage(c *gin.Context) {
	var m store.Meeting
	if !w.get(c, "/api/v1/meetings/"+url.PathEscape(c.Param("id")), &m) {
		return
	}
	w.render(c, http.StatusOK, "meeting", pageData{"M": m})
}
