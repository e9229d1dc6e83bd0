package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// producerOrg is a small organisation: a county, two departments, two towns
// and a mine (an enterprise below yjj, headed by mine-boss); ids by code.
func producerOrg(t *testing.T) (*store.Store, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	s := testdb.New(t)
	ids := map[string]int64{}
	err := s.InTx(ctx, func(tx *sqlx.Tx) error {
		unit := func(code string, kind domain.UnitKind, parent string) error {
			var p *int64
			if parent != "" {
				id := ids[parent]
				p = &id
			}
			id, err := store.UpsertUnit(ctx, tx, code, code+"单位", kind, p)
			ids[code] = id
			return err
		}
		for _, u := range []struct {
			code   string
			kind   domain.UnitKind
			parent string
		}{{"cty", domain.KindCounty, ""}, {"yjj", domain.KindDepartment, "cty"}, {"zjj", domain.KindDepartment, "cty"},
			{"t1", domain.KindTown, "cty"}, {"t2", domain.KindTown, "cty"}, {"mine", domain.KindEnterprise, "yjj"}, {"mine2", domain.KindEnterprise, "yjj"}} {
			if err := unit(u.code, u.kind, u.parent); err != nil {
				return err
			}
		}
		boss, err := store.UpsertPerson(ctx, tx, "mine-boss", "矿长甲", "矿长", ids["mine"])
		if err != nil {
			return err
		}
		return store.GrantRole(ctx, tx, boss, domain.RoleUnitHead, ids["mine"])
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, ids
}

func upsertProducer(t *testing.T, s *store.Store, p store.ProductionUnitSpec) (int64, error) {
	t.Helper()
	var id int64
	err := s.InTx(context.Background(), func(tx *sqlx.Tx) (err error) {
		id, err = store.UpsertProductionUnit(context.Background(), tx, p)
		return err
	})
	return id, err
}

func producerFieldErrors(err error) []string {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func TestUpsertProductionUnit(t *testing.T) {
	ctx := context.Background()
	s, ids := producerOrg(t)
	t1 := ids["t1"]
	spec := store.ProductionUnitSpec{Code: "lpg-1", Name: "液化气站", Sector: "gas", SupervisorID: ids["zjj"], TownID: &t1,
		Responsible: "张三", Phone: "0917-0000001", Demo: true}
	id, err := upsertProducer(t, s, spec)
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.UnitByCode(ctx, s.DB, "lpg-1")
	if err != nil || u.ID != id || u.Kind != domain.KindProducer || u.ParentID == nil || *u.ParentID != ids["zjj"] {
		t.Fatalf("unit %+v (%v)", u, err)
	}
	p, err := store.ProductionUnitByID(ctx, s.DB, id)
	want := store.ProductionUnit{UnitID: id, Code: "lpg-1", Name: "液化气站", Kind: "producer", Sector: "gas",
		SupervisorID: ids["zjj"], SupervisorCode: "zjj", SupervisorName: "zjj单位", TownID: &t1, TownCode: "t1", TownName: "t1单位",
		Responsible: "张三", Phone: "0917-0000001", Demo: true}
	if err != nil || p.TownID == nil || *p.TownID != t1 {
		t.Fatalf("production unit %+v (%v)", p, err)
	}
	p.TownID = &t1
	if p != want {
		t.Fatalf("production unit\n%+v, want\n%+v", p, want)
	}
	head, err := store.PersonByKey(ctx, s.DB, "lpg-1-head")
	if err != nil || head.Name != "张三" || head.Title != store.ProducerHeadTitle || head.UnitID != id || !head.Has(domain.RoleUnitHead, id) {
		t.Fatalf("head %+v (%v)", head, err)
	}

	// Again: the same unit, nothing more.
	before, _ := store.CountOrganisation(ctx, s.DB)
	if again, err := upsertProducer(t, s, spec); err != nil || again != id {
		t.Fatalf("again: %d (%v), want %d", again, err, id)
	}
	if after, _ := store.CountOrganisation(ctx, s.DB); after != before {
		t.Fatalf("counts %+v, then %+v", before, after)
	}

	// Updated: the parent follows the new supervisor; no town; the head is renamed.
	spec.SupervisorID, spec.TownID, spec.Responsible, spec.Sector, spec.Name = ids["yjj"], nil, "李四", "other", "液化气站（迁）"
	if _, err := upsertProducer(t, s, spec); err != nil {
		t.Fatal(err)
	}
	p, _ = store.ProductionUnitByCode(ctx, s.DB, "lpg-1")
	u, _ = store.UnitByCode(ctx, s.DB, "lpg-1")
	head, _ = store.PersonByKey(ctx, s.DB, "lpg-1-head")
	if p.SupervisorCode != "yjj" || p.TownID != nil || p.TownCode != "" || p.Sector != "other" || p.Name != "液化气站（迁）" ||
		*u.ParentID != ids["yjj"] || head.Name != "李四" || len(head.Grants) != 1 {
		t.Fatalf("updated: %+v, unit %+v, head %+v", p, u, head)
	}

	// An enterprise keeps its kind, parent and head; one without a head gets one.
	for _, code := range []string{"mine", "mine2"} {
		if _, err := upsertProducer(t, s, store.ProductionUnitSpec{Code: code, Name: code + "单位", Sector: "coal_mine",
			SupervisorID: ids["yjj"], Responsible: code + "矿长"}); err != nil {
			t.Fatal(err)
		}
		m, err := store.ProductionUnitByCode(ctx, s.DB, code)
		if err != nil || m.Kind != "enterprise" || m.Sector != "coal_mine" || m.Demo {
			t.Fatalf("%s: %+v (%v)", code, m, err)
		}
	}
	if _, err := store.PersonByKey(ctx, s.DB, "mine-head"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("mine, headed by mine-boss, got a head: %v", err)
	}
	if h, err := store.PersonByKey(ctx, s.DB, "mine2-head"); err != nil || h.Name != "mine2矿长" || !h.Has(domain.RoleUnitHead, ids["mine2"]) {
		t.Fatalf("mine2's head %+v (%v)", h, err)
	}

	// A department's or town's code is not a production unit's.
	for _, code := range []string{"zjj", "t2", "cty"} {
		_, err := upsertProducer(t, s, store.ProductionUnitSpec{Code: code, Name: "x", Sector: "gas", SupervisorID: ids["zjj"], Responsible: "x"})
		if !errors.Is(err, domain.ErrConflict) {
			t.Errorf("%s: %v, want a conflict", code, err)
		}
	}
	if u, _ := store.UnitByCode(ctx, s.DB, "t2"); u.Kind != domain.KindTown || u.Name != "t2单位" {
		t.Errorf("t2 became %+v", u)
	}

	// Every wrong field is named, and nothing is written.
	t2, yjj := ids["t2"], ids["yjj"]
	for _, c := range []struct {
		spec store.ProductionUnitSpec
		want []string
	}{
		{store.ProductionUnitSpec{Code: "Bad Code", Name: " ", Sector: "mines", Responsible: ""}, []string{"code", "name", "responsible", "sector", "supervisor"}},
		{store.ProductionUnitSpec{Code: "ok", Name: "n", Sector: "gas", SupervisorID: t2, TownID: &yjj, Responsible: "r"}, []string{"supervisor", "town"}},
		{store.ProductionUnitSpec{Code: "ok", Name: "n", Sector: "gas", SupervisorID: 1 << 40, Responsible: "r", Phone: strings.Repeat("1", 41)}, []string{"phone", "supervisor"}},
	} {
		_, err := upsertProducer(t, s, c.spec)
		if got := producerFieldErrors(err); !slices.Equal(got, c.want) {
			t.Errorf("%+v: fields %v (%v), want %v", c.spec, got, err, c.want)
		}
	}
	if _, err := store.UnitByCode(ctx, s.DB, "ok"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a refused unit was written: %v", err)
	}
}

func TestProductionUnitsFilter(t *testing.T) {
	ctx := context.Background()
	s, ids := producerOrg(t)
	t1, t2 := ids["t1"], ids["t2"]
	for _, p := range []store.ProductionUnitSpec{
		{Code: "b-site", Sector: "construction", SupervisorID: ids["zjj"], TownID: &t1},
		{Code: "a-gas", Sector: "gas", SupervisorID: ids["zjj"], TownID: &t2},
		{Code: "c-chem", Sector: "hazardous_chemicals", SupervisorID: ids["yjj"], TownID: &t1},
		{Code: "d-chem", Sector: "hazardous_chemicals", SupervisorID: ids["yjj"]},
		{Code: "mine", Sector: "coal_mine", SupervisorID: ids["yjj"], TownID: &t2},
	} {
		p.Name, p.Responsible = p.Code+"名", p.Code+"负责人"
		if _, err := upsertProducer(t, s, p); err != nil {
			t.Fatal(err)
		}
	}
	codes := func(q store.ProducerQuery) []string {
		t.Helper()
		ps, err := store.ProductionUnits(ctx, s.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, p := range ps {
			out = append(out, p.Code)
		}
		return out
	}
	for _, c := range []struct {
		q    store.ProducerQuery
		want []string
	}{
		// by sector in the order of domain.Sectors, then code
		{store.ProducerQuery{}, []string{"mine", "c-chem", "d-chem", "b-site", "a-gas"}},
		{store.ProducerQuery{Sector: "hazardous_chemicals"}, []string{"c-chem", "d-chem"}},
		{store.ProducerQuery{Sector: "fireworks"}, []string{}},
		{store.ProducerQuery{SupervisorID: ids["zjj"]}, []string{"b-site", "a-gas"}},
		{store.ProducerQuery{TownID: t1}, []string{"c-chem", "b-site"}},
		{store.ProducerQuery{TownID: t2, SupervisorID: ids["yjj"]}, []string{"mine"}},
		{store.ProducerQuery{Sector: "gas", TownID: t1}, []string{}},
		{store.ProducerQuery{Sector: "construction", SupervisorID: ids["zjj"], TownID: t1}, []string{"b-site"}},
	} {
		if got := codes(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	if _, err := store.ProductionUnits(ctx, s.DB, store.ProducerQuery{Sector: "mines"}); !slices.Equal(producerFieldErrors(err), []string{"sector"}) {
		t.Errorf("unknown sector: %v", err)
	}
	for _, code := range []string{"yjj", "nowhere"} {
		if _, err := store.ProductionUnitByCode(ctx, s.DB, code); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: %v, want not found", code, err)
		}
	}
	if _, err := store.ProductionUnitByID(ctx, s.DB, ids["t1"]); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a town as a production unit: %v", err)
	}
	if m, err := store.ProductionUnitByID(ctx, s.DB, ids["mine"]); err != nil || m.Code != "mine" || m.TownCode != "t2" || m.Kind != "enterprise" {
		t.Errorf("mine: %+v (%v)", m, err)
	}
}

func TestFaces(t *testing.T) {
	ctx := context.Background()
	s, ids := producerOrg(t)
	for _, code := range []string{"mine", "mine2"} {
		if _, err := upsertProducer(t, s, store.ProductionUnitSpec{Code: code, Name: code, Sector: "coal_mine", SupervisorID: ids["yjj"], Responsible: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	mine, mine2 := ids["mine"], ids["mine2"]
	face := func(unit int64, code, name, kind string) (int64, error) {
		return store.UpsertFace(ctx, s.DB, unit, code, name, kind)
	}
	a, err := face(mine, "3102j", "3102运输顺槽掘进工作面", store.FaceHeading)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := face(mine, "3101", "3101采煤工作面", store.FaceCoal); err != nil {
		t.Fatal(err)
	}
	// The same code at another mine is another face.
	if b, err := face(mine2, "3101", "3101采煤工作面", store.FaceCoal); err != nil || b == a {
		t.Fatalf("mine2's 3101: %d (%v)", b, err)
	}
	// Again: the same face; renamed in place.
	if again, err := face(mine, "3102j", "3102运输顺槽掘进工作面", store.FaceHeading); err != nil || again != a {
		t.Fatalf("again: %d (%v), want %d", again, err, a)
	}
	if again, err := face(mine, "3102j", "3102胶带顺槽掘进工作面", store.FaceHeading); err != nil || again != a {
		t.Fatalf("renamed: %d (%v), want %d", again, err, a)
	}
	faces, err := store.Faces(ctx, s.DB, mine)
	if err != nil || len(faces) != 2 || faces[0].Code != "3101" || faces[0].Kind != "coal" || faces[1] != (store.Face{ID: a, UnitID: mine, Code: "3102j", Name: "3102胶带顺槽掘进工作面", Kind: "heading"}) {
		t.Fatalf("faces %+v (%v)", faces, err)
	}
	if f, err := store.FaceByCode(ctx, s.DB, mine, "3102j"); err != nil || f != faces[1] {
		t.Fatalf("3102j: %+v (%v)", f, err)
	}
	if _, err := store.FaceByCode(ctx, s.DB, mine2, "3102j"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("mine2's 3102j: %v", err)
	}
	if faces, err := store.Faces(ctx, s.DB, ids["t1"]); err != nil || len(faces) != 0 {
		t.Fatalf("a town's faces: %+v (%v)", faces, err)
	}
	// Bad fields are named; a unit that is no production unit has no faces.
	if _, err := face(mine, "31 02", "", "longwall"); !slices.Equal(producerFieldErrors(err), []string{"code", "kind", "name"}) {
		t.Errorf("bad face: %v", err)
	}
	if _, err := face(ids["t1"], "3101", "3101采煤工作面", store.FaceCoal); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a town's face: %v", err)
	}
}
