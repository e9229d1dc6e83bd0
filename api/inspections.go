package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

// inspectingGrant is the grant under which a person records inspections,
// hazards and cases: an inspector's, else the safety office's, else a leader's.
func inspectingGrant(p domain.Person) (domain.Grant, bool) {
	for _, role := range []domain.Role{domain.RoleInspector, domain.RoleSafetyOffice, domain.RoleLeader} {
		for _, g := range p.Grants {
			if g.Role == role {
				return g, true
			}
		}
	}
	return domain.Grant{}, false
}

// readsAllRecords says whether p reads every inspection, hazard and case:
// the county's readers and every inspector.
func readsAllRecords(p domain.Person) bool { return p.CountyWide() || p.HasAny(domain.RoleInspector) }

func myUnits(p domain.Person) []int64 {
	out := make([]int64, 0, len(p.Grants))
	for _, g := range p.Grants {
		out = append(out, g.UnitID)
	}
	return out
}

func pathID(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		fail(c, domain.ErrNotFound)
		return 0, false
	}
	return id, true
}

// createInspection records an inspection and its visits (inspectors, the
// safety office, leaders). A covert check (暗访) finding that a mine's leader
// on duty did not go down with the shift (带班下井) summons the enterprise's
// head (one interview per mine and month) and deducts by policy.
func (s *Server) createInspection(c *gin.Context) {
	p := caller(c)
	grant, ok := inspectingGrant(p)
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有执法人员、安委办和领导可以记录检查")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewInspection
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	b.Validate(time.Now(), v)
	leader, err := store.PersonByKey(ctx, s.Store.DB, b.Leader)
	if errors.Is(err, domain.ErrNotFound) {
		v.Add("leader", "没有这个人员")
	} else if err != nil {
		fail(c, err)
		return
	}
	in := store.Inspection{Kind: b.Kind, Title: b.Title, BodyUnitID: grant.UnitID, BodyLevel: b.Level, LeaderID: leader.ID, Members: b.Members, CreatedBy: p.ID}
	if b.Source != "" {
		in.Source = &b.Source
	}
	if b.Campaign != "" {
		if _, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign); err != nil {
			v.Add("campaign", "没有这个专项行动")
		} else {
			in.CampaignID = &b.Campaign
		}
	}
	in.StartsOn.Time, _ = time.ParseInLocation(time.DateOnly, b.StartsOn, domain.DefaultZone)
	in.EndsOn.Time, _ = time.ParseInLocation(time.DateOnly, b.EndsOn, domain.DefaultZone)
	units := map[int64]domain.Unit{}
	for i, vr := range b.Visits {
		u, err := s.unitByCode(ctx, vr.Unit)
		if errors.Is(err, domain.ErrNotFound) {
			v.Add(fmt.Sprintf("visits[%d].unit", i), domain.MsgNoUnit(vr.Unit))
			continue
		} else if err != nil {
			fail(c, err)
			return
		}
		units[u.ID] = u
		day, _ := time.ParseInLocation(time.DateOnly, vr.VisitedOn, domain.DefaultZone)
		in.Visits = append(in.Visits, store.Visit{UnitID: u.ID, VisitedOn: store.Date{Time: day}, Findings: vr.Findings, Examined: vr.Examined,
			Passed: vr.Passed, LeaderDown: vr.LeaderDown})
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	in.Key = recordKey(p, key)
	// A people's-congress inspection's recommendations become assigned matters,
	// issued by the recorder's leading or safety-office grant.
	var matters []contract.AssignmentInput
	if len(b.Recommendations) > 0 {
		assigning, ok := assigningGrant(p)
		if !ok {
			problem(c, http.StatusForbidden, TypeForbidden, "人大视察建议由领导或安委办交办，请由其记录")
			return
		}
		for i, r := range b.Recommendations {
			m, err := s.assignmentInput(ctx, p, assigning, assignmentBody{Title: "人大视察建议：" + r.Title, Content: r.Content, DueAt: r.DueAt, AssigneeUnit: r.Unit}, time.Now())
			var ve *domain.ValidationError
			switch {
			case errors.As(err, &ve):
				for _, f := range ve.Fields {
					v.Add(fmt.Sprintf("recommendations[%d].%s", i, strings.TrimPrefix(f.Field, "assignee_")), f.Detail)
				}
			case err != nil:
				fail(c, err)
				return
			}
			matters = append(matters, m)
		}
		if err := v.Err(); err != nil {
			fail(c, err)
			return
		}
	}
	var id int64
	created := false
	var assignments []int64
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, created, err = store.InsertInspection(ctx, tx, in); err != nil || !created {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("inspection.recorded:%d", id), Actor: p.Key, Action: "inspection.recorded",
			SubjectType: "inspection", SubjectID: fmt.Sprint(id), UnitID: grant.UnitID,
			After: map[string]any{"kind": b.Kind, "title": b.Title, "visits": len(b.Visits), "recommendations": len(matters)}}); err != nil {
			return err
		}
		for i := range matters {
			key := fmt.Sprintf("inspection:%d:recommendation:%d", id, i)
			matter, err := s.issueMatter(ctx, tx, p, key, matters[i], map[string]any{"inspection": id})
			if err != nil {
				return err
			}
			assignments = append(assignments, matter)
		}
		return s.covertFailures(ctx, tx, id, in, units)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	out, err := store.InspectionByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	out.Assignments = assignments
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.Header("Location", fmt.Sprintf("/api/v1/inspections/%d", id))
	c.JSON(code, out)
}

// issueMatter records an assigned matter that a record gives rise to (a
// people's-congress recommendation, a meeting's decision), under a key made of
// the record's so it is issued once, and starts its process; from names the
// record in the matter's audit row.
func (s *Server) issueMatter(ctx context.Context, tx *sqlx.Tx, p domain.Person, key string, in contract.AssignmentInput, from map[string]any) (int64, error) {
	id, err := store.NextAssignmentID(ctx, tx)
	if err != nil {
		return 0, err
	}
	in.ID, in.IdempotencyKey = id, key
	ladder, err := json.Marshal(in.Ladder)
	if err != nil {
		return 0, err
	}
	record := store.Assignment{ID: id, Title: in.Title, Content: in.Content, DueAt: in.DueAt, IssuerUnitID: in.IssuerUnitID, AssignerID: in.AssignerID,
		AssigneeUnitID: in.AssigneeUnitID, ReviewerUnitID: in.ReviewerUnitID, ReviewerRole: in.ReviewerRole.String(), CreatedAt: in.CreatedAt,
		Ladder: ladder, IdempotencyKey: &key}
	if _, err := store.UpsertAssignment(ctx, tx, record); err != nil {
		return 0, err
	}
	after := map[string]any{"title": in.Title, "due_at": in.DueAt, "assignee_unit_id": in.AssigneeUnitID}
	maps.Copy(after, from)
	if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assignment.created:%d", id), At: in.CreatedAt, Actor: p.Key,
		Action: "assignment.created", SubjectType: "assignment", SubjectID: fmt.Sprint(id), UnitID: in.AssigneeUnitID, After: after}); err != nil {
		return 0, err
	}
	return id, s.startInTx(ctx, contract.AssignmentID(id), contract.AssignmentWorkflow, in)
}

// covertPoints are what a failed covert check costs: the campaign's policy,
// or domain.CovertCheckPoints outside a campaign.
func (s *Server) covertPoints(ctx context.Context, tx *sqlx.Tx, campaign *string) (float64, error) {
	if campaign == nil {
		return domain.CovertCheckPoints, nil
	}
	camp, err := store.CampaignByID(ctx, tx, *campaign)
	if err != nil {
		return 0, err
	}
	return camp.FullPolicy().Hazard.Covert(), nil
}

// covertFailures summons the head of each mine whose leader did not go down
// with the shift and deducts the policy's points, once per mine and month.
func (s *Server) covertFailures(ctx context.Context, tx *sqlx.Tx, id int64, in store.Inspection, units map[int64]domain.Unit) error {
	for _, vr := range in.Visits {
		if vr.LeaderDown == nil || *vr.LeaderDown {
			continue
		}
		u := units[vr.UnitID]
		month := vr.VisitedOn.Format("2006-01")
		reason := fmt.Sprintf("暗访发现%s矿级领导未按规定带班下井（%s）", u.Name, vr.VisitedOn.Format("2006年1月2日"))
		key := fmt.Sprintf("covert:%d:%s", u.ID, month)
		campaign := ""
		if in.CampaignID != nil {
			campaign = *in.CampaignID
		}
		if _, err := activities.Summon(ctx, tx, store.Summons{Key: key, CampaignID: campaign, UnitID: u.ID, ReasonKey: key, Reason: reason,
			Source: "covert", At: time.Now(), SubjectType: "inspection", SubjectID: fmt.Sprint(id), Label: reason}); err != nil {
			return err
		}
		points, err := s.covertPoints(ctx, tx, in.CampaignID)
		if err != nil {
			return err
		}
		if points == 0 {
			continue // the campaign's policy deducts nothing
		}
		e := store.LedgerEntry{Key: key, Year: vr.VisitedOn.Year(), UnitID: u.ID, Points: -points, Reason: reason,
			Process: fmt.Sprintf("inspection/%d", id)}
		if in.CampaignID != nil {
			e.CampaignID = in.CampaignID
		}
		if _, err := store.AddLedgerEntry(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) listInspections(c *gin.Context) {
	p := caller(c)
	q := store.InspectionQuery{Kind: c.Query("kind")}
	if q.Kind != "" && !contains(domain.InspectionKinds, q.Kind) {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "kind", Detail: domain.MsgOneOf(domain.InspectionKinds...)}}})
		return
	}
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	q.UnitID = unitID
	list, err := store.Inspections(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	out := InspectionList{Inspections: []store.Inspection{}}
	for _, in := range list {
		if readsAllRecords(p) || inUnit(p, in.BodyUnitID) {
			in.Visits = []store.Visit{}
			out.Inspections = append(out.Inspections, in)
		}
	}
	c.JSON(http.StatusOK, out)
}

// inspection loads an inspection its reader may see: the county's readers,
// inspectors, the body that made it and the units it visited.
func (s *Server) inspection(c *gin.Context) (store.Inspection, bool) {
	id, ok := pathID(c, "id")
	if !ok {
		return store.Inspection{}, false
	}
	in, err := store.InspectionByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return in, false
	}
	p := caller(c)
	visible := readsAllRecords(p) || inUnit(p, in.BodyUnitID)
	for _, v := range in.Visits {
		visible = visible || inUnit(p, v.UnitID)
	}
	if !visible {
		fail(c, domain.ErrNotFound)
		return in, false
	}
	return in, true
}

func (s *Server) getInspection(c *gin.Context) {
	if in, ok := s.inspection(c); ok {
		c.JSON(http.StatusOK, in)
	}
}

// closeInspection closes an inspection: its team leader alone.
func (s *Server) closeInspection(c *gin.Context) {
	in, ok := s.inspection(c)
	if !ok {
		return
	}
	p := caller(c)
	if in.LeaderID != p.ID {
		problem(c, http.StatusForbidden, TypeForbidden, "只有检查组组长可以结束检查")
		return
	}
	ctx := c.Request.Context()
	err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		closed, err := store.CloseInspection(ctx, tx, in.ID, time.Now())
		if err != nil || !closed {
			if err == nil {
				err = fmt.Errorf("%w: 检查已结束", domain.ErrConflict)
			}
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("inspection.closed:%d", in.ID), Actor: p.Key, Action: "inspection.closed",
			SubjectType: "inspection", SubjectID: fmt.Sprint(in.ID), UnitID: in.BodyUnitID})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	out, err := store.InspectionByID(ctx, s.Store.DB, in.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// createHazard records a hazard and starts its loop: by an inspection's body
// (inspectors, the safety office, leaders) or by the unit itself
// (self-inspection, its head). A major hazard at a coal mine issues a stop
// order at once — the whole mine, or the faces named — and starts its lifting.
func (s *Server) createHazard(c *gin.Context) {
	p := caller(c)
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewHazard
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if key != "" {
		k := fmt.Sprintf("p%d:%s", p.ID, key)
		var id int64
		if err := s.Store.DB.GetContext(ctx, &id, `SELECT id FROM hazards WHERE idempotency_key = $1`, k); err == nil {
			h, err := store.HazardByID(ctx, s.Store.DB, id)
			if err != nil {
				fail(c, err)
				return
			}
			c.JSON(http.StatusOK, h)
			return
		}
	}
	h, stop, in, err := s.hazardInput(ctx, p, b)
	if err != nil {
		fail(c, err)
		return
	}
	h.Key = recordKey(p, key)
	historic := b.ClosedOn != ""
	if historic {
		closed, _ := time.ParseInLocation(time.DateOnly, b.ClosedOn, domain.DefaultZone)
		closed = domain.Stored(closed.Add(18 * time.Hour)) // the day's end of work
		h.Status, h.ClosedAt, stop = domain.HazardClosed, &closed, nil
	}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, created, err := store.InsertHazard(ctx, tx, h)
		if err != nil || !created {
			h.ID = id
			return err
		}
		h.ID, in.ID = id, id
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("hazard.recorded:%d", id), Actor: p.Key, Action: "hazard.recorded",
			SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(id), UnitID: h.UnitID,
			After: map[string]any{"level": h.Level, "source": h.Source, "category": h.Category, "deadline": h.Deadline}}); err != nil {
			return err
		}
		if historic {
			return nil // a past hazard, closed: its loop is history
		}
		if stop != nil {
			stop.HazardIDs, stop.Key = pq.Int64Array{id}, fmt.Sprintf("hazard:%d", id)
			if err := s.issueStop(ctx, tx, p, stop); err != nil {
				return err
			}
		}
		return s.startInTx(ctx, contract.HazardID(id), contract.HazardWorkflow, in)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	out, err := store.HazardByID(ctx, s.Store.DB, h.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/hazards/%d", out.ID))
	c.JSON(http.StatusCreated, out)
}

// hazardInput validates a new hazard and resolves its unit, face, finding
// body and checkers; a major hazard at a mine comes with its stop order.
func (s *Server) hazardInput(ctx context.Context, p domain.Person, b domain.NewHazard) (store.Hazard, *store.StopOrder, contract.HazardInput, error) {
	v := &domain.ValidationError{}
	var h store.Hazard
	var in contract.HazardInput
	u, err := s.unitByCode(ctx, b.Unit)
	sector, supervisor := "", int64(0)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		v.Add("unit", domain.MsgNoUnit(b.Unit))
	case err != nil:
		return h, nil, in, err
	default:
		sector, supervisor, err = store.UnitProduction(ctx, s.Store.DB, u.ID)
		if errors.Is(err, domain.ErrNotFound) {
			v.Add("unit", "不是生产经营单位")
		} else if err != nil {
			return h, nil, in, err
		}
	}
	now := time.Now()
	b.Validate(sector, now, v)
	// Who found it: the unit itself, or a body through its inspector, office or leader.
	finder := u.ID
	switch b.FoundBy {
	case "self":
		if u.ID != 0 && !p.Has(domain.RoleUnitHead, u.ID) {
			v.Add("found_by", "只有本单位负责人记录自查发现的隐患")
		}
	default:
		g, ok := inspectingGrant(p)
		if !ok {
			return h, nil, in, fmt.Errorf("%w: 只有执法人员、安委办和领导可以记录检查发现的隐患", domain.ErrForbidden)
		}
		finder = g.UnitID
	}
	if b.Inspection > 0 {
		insp, err := store.InspectionByID(ctx, s.Store.DB, b.Inspection)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add("inspection", "没有这次检查")
		case err != nil:
			return h, nil, in, err
		default:
			finder = insp.BodyUnitID
			id := insp.ID
			h.InspectionID = &id
			h.CampaignID = insp.CampaignID // found in a campaign's inspection: the campaign's hazard
		}
	}
	var faceIDs []int64
	codes := append([]string{}, b.StopFaces...)
	if b.Face != "" {
		codes = append(codes, b.Face)
	}
	if len(codes) > 0 && u.ID != 0 {
		faces, err := store.FaceIDsByCode(ctx, s.Store.DB, u.ID, codes)
		if err != nil {
			return h, nil, in, err
		}
		if b.Face != "" {
			if id, ok := faces[b.Face]; ok {
				h.FaceID = &id
			} else {
				v.Add("face", "该单位没有这个工作面")
			}
		}
		for i, code := range b.StopFaces {
			if id, ok := faces[code]; ok {
				faceIDs = append(faceIDs, id)
			} else {
				v.Add(fmt.Sprintf("stop_faces[%d]", i), "该单位没有这个工作面")
			}
		}
	}
	if err := v.Err(); err != nil {
		return h, nil, in, err
	}
	found, _ := time.ParseInLocation(time.DateOnly, b.FoundOn, domain.DefaultZone)
	h.UnitID, h.Source, h.Level, h.Category, h.Description, h.Location = u.ID, b.Source, b.Level, b.Category, b.Description, b.Location
	h.FoundBy, h.FinderUnitID, h.FoundOn, h.Deadline, h.CreatedBy, h.CreatedAt = b.FoundBy, finder, store.Date{Time: found}, *b.Deadline, p.ID, now
	// The loop: verified by the finder, on the campaign's hazard policy (its
	// days and ladders) when found in a campaign's inspection. The loop itself
	// runs in real time (a hazard is rectified on the ground, whatever the
	// campaign's clock), so its tasks carry no campaign.
	in, err = activities.HazardLoopInput(ctx, s.Store.DB, h, u.Code, supervisor)
	if err != nil {
		return h, nil, in, err
	}
	if b.Level == domain.HazardMajor {
		leader, err := store.CountyLeader(ctx, s.Store.DB, in.CountyUnitID)
		if err != nil {
			return h, nil, in, err
		}
		in.LeaderID = leader
	}
	var stop *store.StopOrder
	if b.Level == domain.HazardMajor && sector == "coal_mine" {
		stop = &store.StopOrder{UnitID: u.ID, Scope: "unit", Reason: "重大事故隐患：" + b.Description, IssuedBy: &p.ID, IssuedAt: now}
		if len(faceIDs) > 0 {
			stop.Scope, stop.FaceIDs = "faces", faceIDs
		}
	}
	return h, stop, in, nil
}

// issueStop writes a stop order, audits it and starts its lifting process.
func (s *Server) issueStop(ctx context.Context, tx *sqlx.Tx, p domain.Person, o *store.StopOrder) error {
	in, created, err := activities.IssueStop(ctx, tx, p.Key, o)
	if err != nil || !created {
		return err
	}
	return s.startInTx(ctx, contract.StopOrderID(o.ID), contract.StopOrderWorkflow, in)
}

func (s *Server) listHazards(c *gin.Context) {
	p := caller(c)
	q := store.HazardQuery{Status: c.Query("status"), Level: c.Query("level"), Source: c.Query("source"), All: readsAllRecords(p), UnitIDs: myUnits(p)}
	v := &domain.ValidationError{}
	if q.Status != "" && !contains([]string{"open", "planned", "plan_returned", "listed", "submitted", "returned", "closed"}, q.Status) {
		v.Add("status", domain.MsgOneOf("open", "planned", "plan_returned", "listed", "submitted", "returned", "closed"))
	}
	if q.Level != "" && q.Level != domain.HazardGeneral && q.Level != domain.HazardMajor {
		v.Add("level", domain.MsgOneOf(domain.HazardGeneral, domain.HazardMajor))
	}
	if q.Source != "" && !contains(domain.HazardSources, q.Source) {
		v.Add("source", domain.MsgOneOf(domain.HazardSources...))
	}
	if i := c.Query("inspection"); i != "" {
		n, err := strconv.ParseInt(i, 10, 64)
		if err != nil || n < 1 {
			v.Add("inspection", "应为正整数")
		}
		q.InspectionID = n
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	xlsx, ok := format(c)
	if !ok {
		return
	}
	list, err := store.Hazards(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		b, err := excel.HazardLedger(excel.HazardSheet{Title: "隐患台账", Hazards: list, Now: time.Now(), Location: domain.DefaultZone})
		sendXLSX(c, "隐患台账.xlsx", b, err)
		return
	}
	c.JSON(http.StatusOK, HazardList{Hazards: emptyIfNil(list)})
}

// hazard loads a hazard its reader may see: the county's readers, inspectors,
// the unit, the finding body and the supervising department.
func (s *Server) hazard(c *gin.Context) (store.Hazard, bool) {
	id, ok := pathID(c, "id")
	if !ok {
		return store.Hazard{}, false
	}
	ctx := c.Request.Context()
	h, err := store.HazardByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return h, false
	}
	p := caller(c)
	if !readsAllRecords(p) && !inUnit(p, h.UnitID) && !inUnit(p, h.FinderUnitID) {
		_, supervisor, err := store.UnitProduction(ctx, s.Store.DB, h.UnitID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return h, false
		}
		if !inUnit(p, supervisor) {
			fail(c, domain.ErrNotFound)
			return h, false
		}
	}
	return h, true
}

func (s *Server) getHazard(c *gin.Context) {
	h, ok := s.hazard(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	files, err := store.HazardFiles(ctx, s.Store.DB, h.ID)
	if err != nil {
		fail(c, err)
		return
	}
	audit, err := store.AuditFor(ctx, s.Store.DB, "", domain.SubjectHazard, fmt.Sprint(h.ID))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, HazardDetail{Hazard: h, Files: files, Timeline: timelineOf(audit)})
}

// uploadHazardFile stores an evidence file (multipart field "file", at most
// 5 MiB) with its SHA-256: the unit, the finding body or an inspector.
func (s *Server) uploadHazardFile(c *gin.Context) {
	h, ok := s.hazard(c)
	if !ok {
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Detail: "请以 multipart/form-data 上传字段 file"}}})
		return
	}
	name := fh.Filename
	v := &domain.ValidationError{}
	v.Text("file", &name, true, 200)
	if fh.Size < 1 || fh.Size > domain.MaxEvidence {
		v.Add("file", fmt.Sprintf("文件大小应在 1 字节到 %d 字节之间", domain.MaxEvidence))
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	f, err := fh.Open()
	if err != nil {
		fail(c, err)
		return
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, domain.MaxEvidence+1))
	if err != nil {
		fail(c, err)
		return
	}
	media := http.DetectContentType(content)
	ctx := c.Request.Context()
	p := caller(c)
	var out store.HazardFile
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if out, err = store.AddHazardFile(ctx, tx, h.ID, name, media, content, p.ID); err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("hazard.file:%d:%x", h.ID, out.SHA256), Actor: p.Key, Action: "hazard.file",
			SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(h.ID), UnitID: h.UnitID,
			After: map[string]any{"name": name, "size": len(content), "sha256": fmt.Sprintf("%x", out.SHA256)}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (s *Server) getHazardFile(c *gin.Context) {
	h, ok := s.hazard(c)
	if !ok {
		return
	}
	fileID, ok := pathID(c, "file")
	if !ok {
		return
	}
	f, content, err := store.HazardFileContent(c.Request.Context(), s.Store.DB, h.ID, fileID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="file"; filename*=UTF-8''%s`, url.PathEscape(f.Name)))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Digest", fmt.Sprintf("sha-256=%x", f.SHA256))
	c.Data(http.StatusOK, "application/octet-stream", content)
}

func (s *Server) listStopOrders(c *gin.Context) {
	p := caller(c)
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	list, err := store.StopOrders(c.Request.Context(), s.Store.DB, unitID)
	if err != nil {
		fail(c, err)
		return
	}
	out := StopOrderList{StopOrders: []store.StopOrder{}}
	for _, o := range list {
		if readsAllRecords(p) || inUnit(p, o.UnitID) {
			out.StopOrders = append(out.StopOrders, o)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getStopOrder(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	o, err := store.StopOrderByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	if p := caller(c); !readsAllRecords(p) && !inUnit(p, o.UnitID) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, o)
}

type stopBody struct {
	Unit   string   `json:"unit"`
	Faces  []string `json:"faces"`
	Reason string   `json:"reason"`
	Case   int64    `json:"case"`
	// IssuedOn and LiftedOn record a past order already lifted: history, no process.
	IssuedOn string `json:"issued_on"`
	LiftedOn string `json:"lifted_on"`
}

// createStopOrder records an enforcement decision to stop a unit or faces (inspectors).
func (s *Server) createStopOrder(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleInspector) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有执法人员可以责令停产停业")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b stopBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	v.Text("reason", &b.Reason, true, 2000)
	u, err := s.unitByCode(ctx, b.Unit)
	if errors.Is(err, domain.ErrNotFound) {
		v.Add("unit", domain.MsgNoUnit(b.Unit))
	} else if err != nil {
		fail(c, err)
		return
	} else if _, _, err := store.UnitProduction(ctx, s.Store.DB, u.ID); errors.Is(err, domain.ErrNotFound) {
		v.Add("unit", "不是生产经营单位")
	} else if err != nil {
		fail(c, err)
		return
	}
	o := store.StopOrder{UnitID: u.ID, Scope: "unit", Reason: b.Reason, IssuedBy: &p.ID, IssuedAt: time.Now()}
	if len(b.Faces) > 0 && u.ID != 0 {
		faces, err := store.FaceIDsByCode(ctx, s.Store.DB, u.ID, b.Faces)
		if err != nil {
			fail(c, err)
			return
		}
		for i, code := range b.Faces {
			id, ok := faces[code]
			if !ok {
				v.Add(fmt.Sprintf("faces[%d]", i), "该单位没有这个工作面")
			}
			o.FaceIDs = append(o.FaceIDs, id)
		}
		o.Scope = "faces"
	}
	if b.Case > 0 {
		o.CaseID = &b.Case
	}
	now := time.Now()
	historic := b.IssuedOn != "" || b.LiftedOn != ""
	if historic {
		issued, err1 := time.ParseInLocation(time.DateOnly, b.IssuedOn, domain.DefaultZone)
		lifted, err2 := time.ParseInLocation(time.DateOnly, b.LiftedOn, domain.DefaultZone)
		switch {
		case err1 != nil || issued.After(now) || issued.Before(domain.Earliest):
			v.Add("issued_on", "应为不晚于今天的日期，例如 2020-06-01")
		case err2 != nil || lifted.After(now) || lifted.Before(issued):
			v.Add("lifted_on", "应为责令日期之后、不晚于今天的日期")
		default:
			at := domain.Stored(lifted.Add(18 * time.Hour))
			o.IssuedAt, o.Status, o.LiftedAt = issued.Add(9*time.Hour), domain.StopLifted, &at
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	o.Key = fmt.Sprintf("p%d:%s", p.ID, key)
	if key == "" {
		o.Key = "r:" + requestID(c)
	}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if historic {
			id, _, err := store.InsertStopOrder(ctx, tx, o)
			o.ID = id
			return err
		}
		return s.issueStop(ctx, tx, p, &o)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	out, err := store.StopOrderByID(ctx, s.Store.DB, o.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// createCase files an enforcement case (立案, inspectors) and starts its steps.
func (s *Server) createCase(c *gin.Context) {
	p := caller(c)
	var authority domain.Grant
	for _, g := range p.Grants {
		if g.Role == domain.RoleInspector {
			authority = g
		}
	}
	if authority.UnitID == 0 {
		problem(c, http.StatusForbidden, TypeForbidden, "只有执法人员可以立案")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewCase
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	b.Validate(time.Now(), v)
	u, err := s.unitByCode(ctx, b.Unit)
	if errors.Is(err, domain.ErrNotFound) {
		v.Add("unit", domain.MsgNoUnit(b.Unit))
	} else if err != nil {
		fail(c, err)
		return
	}
	cs := store.Case{UnitID: u.ID, AuthorityID: authority.UnitID, Violation: b.Violation, LegalBasis: b.LegalBasis, CreatedBy: p.ID}
	if b.Inspection > 0 {
		if _, err := store.InspectionByID(ctx, s.Store.DB, b.Inspection); err != nil {
			v.Add("inspection", "没有这次检查")
		}
		cs.InspectionID = &b.Inspection
	}
	if b.Hazard > 0 {
		if _, err := store.HazardByID(ctx, s.Store.DB, b.Hazard); err != nil {
			v.Add("hazard", "没有这条隐患")
		}
		cs.HazardID = &b.Hazard
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	cs.FiledOn.Time, _ = time.ParseInLocation(time.DateOnly, b.FiledOn, domain.DefaultZone)
	historic := b.ClosedOn != ""
	if historic {
		closed, _ := time.ParseInLocation(time.DateOnly, b.ClosedOn, domain.DefaultZone)
		closed = domain.Stored(closed.Add(18 * time.Hour))
		cs.Step, cs.ClosedAt, cs.Fine = domain.CaseClosed, &closed, b.Fine
		if b.Decision != "" {
			cs.Decision = &b.Decision
		}
	}
	cs.Key = recordKey(p, key)
	var id int64
	created := false
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, created, err = store.InsertCase(ctx, tx, cs); err != nil || !created {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("case.filed:%d", id), Actor: p.Key, Action: "case.filed",
			SubjectType: domain.SubjectCase, SubjectID: fmt.Sprint(id), UnitID: u.ID, After: map[string]any{"violation": b.Violation, "closed_on": b.ClosedOn}}); err != nil {
			return err
		}
		if historic {
			return nil // a past case, closed: its steps are history
		}
		in := contract.CaseInput{ID: id, Title: u.Name + "：" + b.Violation, UnitID: u.ID, UnitCode: u.Code, AuthorityUnitID: authority.UnitID,
			Ladder: domain.DefaultHazardPolicy().StepLadder}
		return s.startInTx(ctx, contract.CaseID(id), contract.CaseWorkflow, in)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	out, err := store.CaseByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.JSON(code, out)
}

func (s *Server) listCases(c *gin.Context) {
	p := caller(c)
	xlsx, ok := format(c)
	if !ok {
		return
	}
	list, err := store.Cases(c.Request.Context(), s.Store.DB, myUnits(p), readsAllRecords(p))
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		b, err := excel.CaseLedger(excel.CaseSheet{Title: "执法案件台账", Cases: list, Location: domain.DefaultZone})
		sendXLSX(c, "执法案件台账.xlsx", b, err)
		return
	}
	c.JSON(http.StatusOK, CaseList{Cases: list})
}

func (s *Server) getCase(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	cs, err := store.CaseByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	if p := caller(c); !readsAllRecords(p) && !inUnit(p, cs.UnitID) && !inUnit(p, cs.AuthorityID) {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, cs)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// statistics counts the inspections, hazards, stop orders, cases and exams
// from the records only (store.Statistics), in the campaign's zone: from the
// campaign's first day to its time now unless from/to say otherwise;
// ?tied=true counts only the records tied to the campaign.
func (s *Server) statistics(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	loc := camp.Location()
	q := store.StatsQuery{From: camp.StartsOn, To: camp.Now(time.Now()).In(loc), Sector: c.Query("sector"), InspectionKind: c.Query("kind"),
		BodyLevel: c.Query("level"), Source: c.Query("source")}
	v := &domain.ValidationError{}
	for name, at := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if raw := c.Query(name); raw != "" {
			d, err := time.ParseInLocation(time.DateOnly, raw, loc)
			if err != nil {
				v.Add(name, "应为日期，例如 2020-12-14")
				continue
			}
			*at = d
		}
	}
	switch c.Query("tied") {
	case "", "false":
	case "true":
		q.CampaignID = camp.ID
	default:
		v.Add("tied", domain.MsgBool)
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	q.UnitID = unitID
	if err := q.Validate(); err != nil {
		fail(c, err)
		return
	}
	xlsx, ok := format(c)
	if !ok {
		return
	}
	stats, err := store.Statistics(ctx, s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		title := fmt.Sprintf("%s 检查执法统计（%s至%s）", camp.Name, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
		b, err := excel.StatisticsTable(excel.StatsSheet{Title: title, Stats: stats})
		sendXLSX(c, "检查执法统计.xlsx", b, err)
		return
	}
	c.JSON(http.StatusOK, Statistics{CampaignID: camp.ID, From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly), Stats: stats})
}

// ProducerView is a production unit with its faces.
type ProducerView struct {
	store.ProductionUnit
	Faces []store.Face `json:"faces"`
}

// listProducers answers the production units (every authenticated person):
// ?sector= filters by sector.
func (s *Server) listProducers(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := store.ProductionUnits(ctx, s.Store.DB, store.ProducerQuery{Sector: c.Query("sector")})
	if err != nil {
		fail(c, err)
		return
	}
	out := ProducerList{ProductionUnits: make([]ProducerView, 0, len(list))}
	for _, u := range list {
		faces, err := store.Faces(ctx, s.Store.DB, u.UnitID)
		if err != nil {
			fail(c, err)
			return
		}
		out.ProductionUnits = append(out.ProductionUnits, ProducerView{ProductionUnit: u, Faces: faces})
	}
	c.JSON(http.StatusOK, out)
}

// importHazards records the hazards of an inspection from its Excel sheet
// (multipart field file, the template of GET /hazards/template): every row is
// checked first — by the sheet's rules and then as POST /hazards checks one —
// and nothing is written unless every row is valid.
func (s *Server) importHazards(c *gin.Context) {
	in, ok := s.inspection(c)
	if !ok {
		return
	}
	p := caller(c)
	if _, ok := inspectingGrant(p); !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有执法人员、安委办和领导可以记录检查发现的隐患")
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Detail: "请以 multipart/form-data 上传字段 file（隐患导入模板）"}}})
		return
	}
	f, err := fh.Open()
	if err != nil {
		fail(c, err)
		return
	}
	defer f.Close()
	ctx := c.Request.Context()
	sectorOf := func(code string) (string, bool) {
		u, err := s.unitByCode(ctx, code)
		if err != nil {
			return "", false
		}
		sector, _, err := store.UnitProduction(ctx, s.Store.DB, u.ID)
		return sector, err == nil
	}
	rows, rowErrs := excel.ParseHazards(f, sectorOf, time.Now())
	v := &domain.ValidationError{}
	for _, e := range rowErrs {
		v.Add(cellName(e.Sheet, e.Column, e.Row), e.Message)
	}
	type prepared struct {
		h    store.Hazard
		stop *store.StopOrder
		in   contract.HazardInput
	}
	var all []prepared
	for i, b := range rows {
		b.FoundBy, b.Inspection = "inspection", in.ID
		h, stop, hin, err := s.hazardInput(ctx, p, b)
		var ve *domain.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, fe := range ve.Fields {
				v.Add(fmt.Sprintf("%s!row%d.%s", excel.SheetHazards, i+2, fe.Field), fe.Detail)
			}
		case err != nil:
			fail(c, err)
			return
		default:
			all = append(all, prepared{h, stop, hin})
		}
	}
	if len(rows) == 0 && len(rowErrs) == 0 {
		v.Add("file", "表中没有隐患")
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	ids := make([]int64, 0, len(all))
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		for i := range all {
			x := &all[i]
			id, _, err := store.InsertHazard(ctx, tx, x.h)
			if err != nil {
				return err
			}
			x.in.ID = id
			ids = append(ids, id)
			if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("hazard.recorded:%d", id), Actor: p.Key, Action: "hazard.recorded",
				SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(id), UnitID: x.h.UnitID,
				After: map[string]any{"level": x.h.Level, "source": x.h.Source, "imported_from": fh.Filename != ""}}); err != nil {
				return err
			}
			if x.stop != nil {
				x.stop.HazardIDs, x.stop.Key = pq.Int64Array{id}, fmt.Sprintf("hazard:%d", id)
				if err := s.issueStop(ctx, tx, p, x.stop); err != nil {
					return err
				}
			}
			if err := s.startInTx(ctx, contract.HazardID(id), contract.HazardWorkflow, x.in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		failStart(c, err)
		return
	}
	list, err := store.Hazards(ctx, s.Store.DB, store.HazardQuery{All: true, InspectionID: in.ID, Limit: 5000})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, HazardList{Hazards: emptyIfNil(list)})
}

// cellName names a cell as Excel does: 隐患!B3 (the sheet, or the row, when no column).
func cellName(sheet, column string, row int) string {
	switch {
	case row == 0:
		return "file"
	case column == "":
		return fmt.Sprintf("%s!row%d", sheet, row)
	}
	return fmt.Sprintf("%s!%s%d", sheet, column, row)
}

// hazardTemplate downloads the hazard import template.
func (s *Server) hazardTemplate(c *gin.Context) {
	b, err := excel.HazardTemplate()
	sendXLSX(c, "隐患导入模板.xlsx", b, err)
}
