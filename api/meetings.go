package api

import (
	"errors"
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

// MeetingList is a list of meetings (without their decisions).
type MeetingList struct {
	Meetings []store.Meeting `json:"meetings"`
}

// createMeeting records a meeting (议定事项督办): its decisions each become an
// assigned matter of the unit named, issued by the recorder's leading or
// safety-office grant, with the meeting's ladder; an overdue one is escalated
// to the chair as well. The organising unit's people record its meetings (a
// periodic meeting's minutes task among them); a meeting with decisions is
// recorded by a leader or the safety office. Once per Idempotency-Key and
// once per minutes task.
func (s *Server) createMeeting(c *gin.Context) {
	p := caller(c)
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewMeeting
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	k := recordKey(p, key)
	// A name looked up must be text the database can hold; Validate names any that is not.
	lookable := func(s string) bool { return s != "" && len(s) <= 200 && domain.TextProblem(s) == "" }
	var task *string
	if lookable(b.MinutesTask) {
		task = &b.MinutesTask
	}
	if k != nil || task != nil {
		// A retry (or a second record for the same minutes task) answers the first.
		if id, err := store.MeetingByKey(ctx, s.Store.DB, k, task); err == nil {
			s.answerMeeting(c, http.StatusOK, id, p)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	// A campaign's meeting is dated, and its decisions fall due, in the campaign's time.
	now := time.Now()
	v := &domain.ValidationError{}
	var camp *store.Campaign
	if lookable(b.Campaign) {
		found, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add("campaign", "没有这个专项行动")
		case err != nil:
			fail(c, err)
			return
		case len(b.Decisions) > 0 && found.EndedAt != nil:
			v.Add("campaign", "专项行动已结束，不再交办议定事项")
		case len(b.Decisions) > 0 && found.ClockSpeed > 1 && found.ClockAnchor == nil:
			v.Add("campaign", "专项行动尚未启动，其议定事项无从计时")
		default:
			camp, now = &found, found.Now(now)
		}
	}
	b.Validate(now, v)
	m := store.Meeting{Kind: b.Kind, Title: b.Title, Attendees: b.Attendees, Topics: b.Topics, Minutes: b.Minutes, CreatedBy: p.ID, Key: k, MinutesTask: task}
	m.HeldOn.Time, _ = time.ParseInLocation(time.DateOnly, b.HeldOn, domain.DefaultZone)
	organiser, err := s.unitByCode(ctx, b.Organiser)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		if b.Organiser != "" {
			v.Add("organiser", domain.MsgNoUnit(b.Organiser))
		}
	case err != nil:
		fail(c, err)
		return
	default:
		m.OrganiserUnitID = organiser.ID
	}
	if m.OrganiserUnitID != 0 && !inUnit(p, m.OrganiserUnitID) && !p.CountyWide() {
		problem(c, http.StatusForbidden, TypeForbidden, "只能记录本单位组织的会议")
		return
	}
	assigning, canAssign := assigningGrant(p)
	if len(b.Decisions) > 0 && !canAssign {
		problem(c, http.StatusForbidden, TypeForbidden, "会议议定事项由领导或安委办交办，请由其记录")
		return
	}
	if lookable(b.Chair) {
		chair, err := store.PersonByKey(ctx, s.Store.DB, b.Chair)
		if errors.Is(err, domain.ErrNotFound) {
			v.Add("chair", "没有这个人员")
		} else if err != nil {
			fail(c, err)
			return
		}
		m.ChairID = chair.ID
	}
	if camp != nil {
		m.CampaignID = &camp.ID
	}
	if task != nil {
		t, err := store.TaskByID(ctx, s.Store.DB, *task)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add("minutes_task", "没有这项待办")
		case err != nil:
			fail(c, err)
			return
		case t.Kind != string(domain.KindMeetingMinutes) || t.Status != domain.TaskOpen:
			v.Add("minutes_task", "应为一项在办的会议纪要待办")
		case t.UnitID != m.OrganiserUnitID:
			v.Add("minutes_task", "这项待办属于另一个组织单位")
		case !holds(p, t):
			problem(c, http.StatusForbidden, TypeForbidden, "这项待办不由你办理")
			return
		}
	}
	var matters []contract.AssignmentInput
	for i, d := range b.Decisions {
		title := fmt.Sprintf("议定事项：%s（第%d项）", b.Title, i+1)
		if n := []rune(title); len(n) > 200 {
			title = string(n[:199]) + "…"
		}
		in, err := s.assignmentInput(ctx, p, assigning, assignmentBody{Title: title, Content: d.Content, DueAt: d.DueAt, AssigneeUnit: d.Unit, Ladder: b.Ladder}, now)
		if camp != nil {
			// A campaign's meeting: its decisions run on the campaign's clock.
			in.CampaignID, in.Clock = camp.ID, camp.Clock()
		}
		var ve *domain.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, f := range ve.Fields {
				switch f.Field {
				case "title", "ladder":
					// the meeting's own title and ladder: named once, by b.Validate
				case "assignee_unit":
					v.Add(fmt.Sprintf("decisions[%d].unit", i), f.Detail)
				default:
					v.Add(fmt.Sprintf("decisions[%d].%s", i, f.Field), f.Detail)
				}
			}
		case err != nil:
			fail(c, err)
			return
		}
		matters = append(matters, in)
	}
	v.Sort()
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	var id int64
	created := false
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, created, err = store.InsertMeeting(ctx, tx, m); err != nil || !created {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("meeting.recorded:%d", id), Actor: p.Key, Action: "meeting.recorded",
			SubjectType: "meeting", SubjectID: fmt.Sprint(id), UnitID: m.OrganiserUnitID,
			After: map[string]any{"kind": b.Kind, "title": b.Title, "held_on": b.HeldOn, "decisions": len(matters)}}); err != nil {
			return err
		}
		for i, in := range matters {
			matter, err := s.issueMatter(ctx, tx, p, fmt.Sprintf("meeting:%d:decision:%d", id, i), in, map[string]any{"meeting": id})
			if err != nil {
				return err
			}
			if err := store.InsertDecision(ctx, tx, id, store.Decision{Seq: i, Content: in.Content, UnitID: in.AssigneeUnitID, DueAt: in.DueAt,
				AssignmentID: matter}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		failStart(c, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	s.answerMeeting(c, code, id, p)
}

// answerMeeting answers a meeting with its decisions, to a reader of it
// (another's record of the same minutes task is no one else's to read).
func (s *Server) answerMeeting(c *gin.Context, code int, id int64, p domain.Person) {
	m, err := store.MeetingByID(c.Request.Context(), s.Store.DB, id)
	if err == nil && !readsMeeting(p, m) {
		err = domain.ErrNotFound
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/meetings/%d", id))
	c.JSON(code, m)
}

// readsMeeting: the county's readers, the organising unit, the units its
// decisions name.
func readsMeeting(p domain.Person, m store.Meeting) bool {
	if p.CountyWide() || inUnit(p, m.OrganiserUnitID) {
		return true
	}
	for _, d := range m.Decisions {
		if inUnit(p, d.UnitID) {
			return true
		}
	}
	return false
}

// listMeetings lists the meetings the caller may read, the latest first:
// ?kind= and ?year= filter.
func (s *Server) listMeetings(c *gin.Context) {
	p := caller(c)
	q := store.MeetingQuery{Kind: c.Query("kind")}
	v := &domain.ValidationError{}
	if q.Kind != "" && !contains(domain.MeetingKinds, q.Kind) {
		v.Add("kind", domain.MsgOneOf(domain.MeetingKinds...))
	}
	if y := c.Query("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			v.Add("year", domain.MsgRange(2000, 2100))
		}
		q.Year = n
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	if !p.CountyWide() {
		q.Units, _ = slots(p)
	}
	list, err := store.Meetings(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, MeetingList{Meetings: list})
}

// getMeeting answers a meeting with every decision's state.
func (s *Server) getMeeting(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	m, err := store.MeetingByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	if !readsMeeting(caller(c), m) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, m)
}
