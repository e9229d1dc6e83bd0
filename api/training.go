package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Training sessions (安全培训) and publicity items (宣传) are records a unit
// keeps of its own work (issue 15 point 4). A unit records its own: a person
// records for a unit in which they hold a working role (its head, staff,
// inspectors, the safety office, leaders — not an administrator). The
// county's readers and inspectors read every record; others read their
// units' own.

// recordingRoles are the roles under which a person records their unit's
// training sessions and publicity items.
var recordingRoles = []domain.Role{domain.RoleSafetyOffice, domain.RoleLeader, domain.RoleUnitHead, domain.RoleInspector, domain.RoleStaff}

// recordingUnits are the units p records training and publicity for, in the
// order of recordingRoles (the first is the default).
func recordingUnits(p domain.Person) []int64 {
	var out []int64
	for _, role := range recordingRoles {
		for _, g := range p.Grants {
			if g.Role == role && !containsID(out, g.UnitID) {
				out = append(out, g.UnitID)
			}
		}
	}
	return out
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// errNotYourUnit refuses a record for a unit the caller holds no working role in.
var errNotYourUnit = fmt.Errorf("%w: 只能记录本单位的培训和宣传", domain.ErrForbidden)

// recordingUnit resolves the unit a record is for: the unit named by code (a
// 422 naming "unit" in v when there is none, errNotYourUnit when it is not
// one of the caller's), or the caller's own when code is empty.
func (s *Server) recordingUnit(ctx context.Context, p domain.Person, code string, v *domain.ValidationError) (int64, error) {
	mine := recordingUnits(p)
	if code == "" {
		return mine[0], nil
	}
	u, err := s.unitByCode(ctx, code)
	if errors.Is(err, domain.ErrNotFound) {
		v.Add("unit", domain.MsgNoUnit(code))
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if !containsID(mine, u.ID) {
		return 0, errNotYourUnit
	}
	return u.ID, nil
}

// failRecord answers a refusal of a record, naming why a unit is not the caller's.
func failRecord(c *gin.Context, err error) {
	if errors.Is(err, errNotYourUnit) {
		problem(c, http.StatusForbidden, TypeForbidden, "只能记录本单位组织的培训、发布的宣传")
		return
	}
	fail(c, err)
}

// recordCampaign checks a record's optional campaign: its id, or nil.
func (s *Server) recordCampaign(ctx context.Context, id string, v *domain.ValidationError) *string {
	if id == "" {
		return nil
	}
	if _, err := store.CampaignByID(ctx, s.Store.DB, id); err != nil {
		v.Add("campaign", "没有这个专项行动")
		return nil
	}
	return &id
}

// createTraining records a training session of the caller's unit.
func (s *Server) createTraining(c *gin.Context) {
	p := caller(c)
	if len(recordingUnits(p)) == 0 {
		problem(c, http.StatusForbidden, TypeForbidden, "只有本单位人员可以记录培训")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewTraining
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	b.Validate(time.Now(), v)
	unitID, err := s.recordingUnit(ctx, p, b.Unit, v)
	if err != nil {
		failRecord(c, err)
		return
	}
	t := store.Training{UnitID: unitID, Topic: b.Topic, Audience: b.Audience, Trained: b.Trained, Hours: b.Hours, Location: b.Location,
		Notes: b.Notes, CampaignID: s.recordCampaign(ctx, b.Campaign, v), CreatedBy: p.ID}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	t.HeldOn.Time, _ = time.ParseInLocation(time.DateOnly, b.HeldOn, domain.DefaultZone)
	t.Key = recordKey(p, key)
	var id int64
	created := false
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, created, err = store.InsertTraining(ctx, tx, t); err != nil || !created {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("training.recorded:%d", id), Actor: p.Key, Action: "training.recorded",
			SubjectType: "training", SubjectID: fmt.Sprint(id), UnitID: unitID,
			After: map[string]any{"held_on": b.HeldOn, "topic": b.Topic, "audience": b.Audience, "trained": b.Trained}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	out, err := store.TrainingByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.Header("Location", fmt.Sprintf("/api/v1/trainings/%d", id))
	c.JSON(code, out)
}

// recordQuery reads a list's filters: ?unit= (a unit code), ?year=, and the
// kind filter named kindParam, one of kinds.
func (s *Server) recordQuery(c *gin.Context, kindParam string, kinds []string) (store.RecordQuery, bool) {
	p := caller(c)
	q := store.RecordQuery{UnitIDs: myUnits(p), All: readsAllRecords(p), Kind: c.Query(kindParam)}
	v := &domain.ValidationError{}
	if q.Kind != "" && !contains(kinds, q.Kind) {
		v.Add(kindParam, domain.MsgOneOf(kinds...))
	}
	if raw := c.Query("year"); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil || y < domain.Earliest.Year() || y > 2100 {
			v.Add("year", domain.MsgRange(domain.Earliest.Year(), 2100))
		}
		q.Year = y
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return q, false
	}
	unitID, ok := s.unitParam(c)
	q.UnitID = unitID
	return q, ok
}

func (s *Server) listTrainings(c *gin.Context) {
	q, ok := s.recordQuery(c, "audience", domain.TrainingAudiences)
	if !ok {
		return
	}
	list, err := store.Trainings(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	out := TrainingList{Trainings: list}
	for _, t := range list {
		out.Trained += t.Trained
	}
	c.JSON(http.StatusOK, out)
}

// readsRecordOf says whether p reads a training session or publicity item of the unit.
func readsRecordOf(p domain.Person, unitID int64) bool {
	return readsAllRecords(p) || inUnit(p, unitID)
}

func (s *Server) getTraining(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	t, err := store.TrainingByID(c.Request.Context(), s.Store.DB, id)
	if err == nil && !readsRecordOf(caller(c), t.UnitID) {
		err = domain.ErrNotFound
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

// createPublicity records a publicity item of the caller's unit.
func (s *Server) createPublicity(c *gin.Context) {
	p := caller(c)
	if len(recordingUnits(p)) == 0 {
		problem(c, http.StatusForbidden, TypeForbidden, "只有本单位人员可以记录宣传")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var b domain.NewPublicity
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v := &domain.ValidationError{}
	b.Validate(time.Now(), v)
	unitID, err := s.recordingUnit(ctx, p, b.Unit, v)
	if err != nil {
		failRecord(c, err)
		return
	}
	item := store.Publicity{UnitID: unitID, Kind: b.Kind, Title: b.Title, Channel: b.Channel, Notes: b.Notes,
		CampaignID: s.recordCampaign(ctx, b.Campaign, v), CreatedBy: p.ID}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	item.PublishedOn.Time, _ = time.ParseInLocation(time.DateOnly, b.PublishedOn, domain.DefaultZone)
	item.Key = recordKey(p, key)
	var id int64
	created := false
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, created, err = store.InsertPublicity(ctx, tx, item); err != nil || !created {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("publicity.recorded:%d", id), Actor: p.Key, Action: "publicity.recorded",
			SubjectType: "publicity", SubjectID: fmt.Sprint(id), UnitID: unitID,
			After: map[string]any{"kind": b.Kind, "title": b.Title, "channel": b.Channel, "published_on": b.PublishedOn}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	out, err := store.PublicityByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.Header("Location", fmt.Sprintf("/api/v1/publicity/%d", id))
	c.JSON(code, out)
}

func (s *Server) listPublicity(c *gin.Context) {
	q, ok := s.recordQuery(c, "kind", domain.PublicityKinds)
	if !ok {
		return
	}
	list, err := store.PublicityItems(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, PublicityList{Publicity: list})
}

func (s *Server) getPublicity(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	item, err := store.PublicityByID(c.Request.Context(), s.Store.DB, id)
	if err == nil && !readsRecordOf(caller(c), item.UnitID) {
		err = domain.ErrNotFound
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, item)
}
