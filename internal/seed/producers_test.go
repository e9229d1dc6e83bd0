package seed_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The file itself, without a database: unique codes, known sectors, the
// departments and towns it names exist, every mine an enterprise.
func TestDemoProducersFile(t *testing.T) {
	c, err := seed.Demo()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{c.County.Code: true, c.SafetyCommittee.Code: true}
	depts, towns := map[string]bool{}, map[string]bool{}
	for _, u := range c.Departments {
		codes[u.Code], depts[u.Code] = true, true
	}
	for _, u := range c.Towns {
		codes[u.Code], towns[u.Code] = true, true
	}
	enterprises := map[string]bool{}
	for _, u := range c.Enterprises {
		codes[u.Code], enterprises[u.Code] = true, true
	}
	for _, u := range c.Committees {
		codes[u.Code] = true
	}
	producers := c.Producers()
	if len(producers) < 80 {
		t.Fatalf("%d producers, want at least 80", len(producers))
	}
	for _, p := range producers {
		if codes[p.Code] {
			t.Errorf("producer %s: code used twice", p.Code)
		}
		codes[p.Code] = true
		if !slices.Contains(domain.Sectors, p.Sector) || p.Sector == "coal_mine" {
			t.Errorf("producer %s: sector %q", p.Code, p.Sector)
		}
		if !depts[p.Supervisor] || !towns[p.Town] || p.Name == "" || p.Responsible == "" {
			t.Errorf("producer %+v: supervisor, town, name or responsible missing", p)
		}
	}
	if len(c.ProductionUnits.Mines) != len(c.Enterprises) {
		t.Errorf("%d mines, want the %d enterprises", len(c.ProductionUnits.Mines), len(c.Enterprises))
	}
	for _, m := range c.ProductionUnits.Mines {
		if !enterprises[m.Code] || m.Responsible == "" || (m.Town != "" && !towns[m.Town]) {
			t.Errorf("mine %+v", m)
		}
	}
}

// The seed loads the producers across the sectors and towns, each with its
// supervising department and a head; the mines with their faces; and
// nothing else of the county moves.
func TestSeedLoadsProductionUnits(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	all, err := store.ProductionUnits(ctx, c.DB, store.ProducerQuery{})
	if err != nil {
		t.Fatal(err)
	}
	heads, err := store.UnitHeads(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	headOf := map[int64]store.UnitHead{}
	for _, h := range heads {
		headOf[h.UnitID] = h
	}
	sectors, towns, bySector := map[string]bool{}, map[string]bool{}, map[string]int{}
	producers := 0
	for _, p := range all {
		bySector[p.Sector]++
		if !p.Demo {
			t.Errorf("%s is not marked demo", p.Code)
		}
		if _, ok := headOf[p.UnitID]; !ok {
			t.Errorf("%s has no head", p.Code)
		}
		if p.Kind == "enterprise" {
			continue
		}
		producers++
		sectors[p.Sector] = true
		towns[p.TownCode] = true
		if p.Kind != "producer" || p.Sector == "coal_mine" || p.TownID == nil {
			t.Errorf("producer %+v", p)
		}
		// A producer sits below its supervising department; its head is named after its responsible person.
		u, err := store.UnitByCode(ctx, c.DB, p.Code)
		if err != nil || u.ParentID == nil || *u.ParentID != p.SupervisorID || c.Units[p.SupervisorCode] != p.SupervisorID {
			t.Errorf("producer %s: unit %+v (%v), supervisor %s", p.Code, u, err, p.SupervisorCode)
		}
		if h := headOf[p.UnitID]; h.Name != p.Responsible {
			t.Errorf("producer %s: head %+v, responsible %s", p.Code, h, p.Responsible)
		}
	}
	t.Logf("production units by sector: %v", bySector)
	if producers < 80 || len(sectors) < 7 || len(towns) != 7 {
		t.Fatalf("%d producers in %d sectors and %d towns, want ≥ 80, ≥ 7, 7", producers, len(sectors), len(towns))
	}
	// Each sector's supervisor: what the county's departments are for.
	want := map[string]string{"non_coal_mine": "yjj", "hazardous_chemicals": "yjj", "industry_trade": "yjj", "fireworks": "yjj",
		"construction": "zjj", "gas": "zjj", "road_transport": "jtj", "coal_mine": "yjj"}
	for _, p := range all {
		if w, ok := want[p.Sector]; ok && p.SupervisorCode != w {
			t.Errorf("%s (%s) supervised by %s, want %s", p.Code, p.Sector, p.SupervisorCode, w)
		}
	}

	// The producers' heads hold unit_head there, and ProducerHeads lists them.
	ph, err := seed.ProducerHeads(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(ph) != producers {
		t.Fatalf("%d producer heads, want %d", len(ph), producers)
	}
	for _, h := range ph {
		p, err := store.PersonByKey(ctx, c.DB, h.UnitCode+"-head")
		if err != nil || p.ID != h.ID || !p.Has(domain.RoleUnitHead, c.Units[h.UnitCode]) {
			t.Errorf("head of %s: %+v (%v)", h.UnitCode, p, err)
		}
	}

	// The four mines stay enterprises, keep their heads, and have their faces.
	headings := 0
	for _, code := range []string{"gjh", "yzg", "zxm", "cmm"} {
		m, err := store.ProductionUnitByCode(ctx, c.DB, code)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != "enterprise" || m.Sector != "coal_mine" || m.SupervisorCode != "yjj" || m.Responsible == "" {
			t.Errorf("mine %+v", m)
		}
		if h := headOf[m.UnitID]; h.Name != m.Name+"主要负责人" {
			t.Errorf("mine %s: head %+v", code, h)
		}
		faces, err := store.Faces(ctx, c.DB, m.UnitID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		var list []string
		for _, f := range faces {
			kinds[f.Kind]++
			list = append(list, f.Code)
		}
		t.Logf("%s %s: faces %v", code, m.Name, list)
		if kinds["coal"] < 2 || kinds["coal"] > 3 || kinds["heading"] < 3 || kinds["heading"] > 4 {
			t.Errorf("mine %s: faces %v", code, kinds)
		}
		headings += kinds["heading"]
	}
	if headings < 6 {
		t.Errorf("%d heading faces, want at least 6", headings)
	}
	f, err := store.FaceByCode(ctx, c.DB, c.Units["zxm"], "3102j")
	if err != nil || f.Kind != "heading" || f.UnitID != c.Units["zxm"] {
		t.Errorf("face 3102j of zxm: %+v (%v)", f, err)
	}

	// The organisation the campaign sees is unchanged: 25 reporting units,
	// 25 participants, 4 supervised mines; no producer among them.
	rep, err := store.AllReportingUnits(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := store.Participants(ctx, c.DB, seed.DemoCampaignID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep) != 25 || len(parts) != 25 {
		t.Errorf("%d reporting units and %d participants, want 25", len(rep), len(parts))
	}
	sup, err := store.Supervision(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sup); n != 1 || len(sup[c.Units["yjj"]]) != 4 {
		t.Errorf("supervision %v, want yjj over the 4 mines", sup)
	}
	for _, p := range c.People {
		if strings.HasPrefix(p.UnitCode, "fm-") || p.Key == "fm-01-head" {
			t.Errorf("Load answered producer person %+v", p)
		}
	}
}

// ProductionUnits filters the demo county by sector, supervisor and town.
func TestDemoProducersFilter(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	q := func(q store.ProducerQuery) []store.ProductionUnit {
		t.Helper()
		out, err := store.ProductionUnits(ctx, c.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	road := q(store.ProducerQuery{Sector: "road_transport"})
	if len(road) == 0 {
		t.Fatal("no road transport companies")
	}
	for _, p := range road {
		if p.Sector != "road_transport" || p.SupervisorCode != "jtj" {
			t.Errorf("road transport: %+v", p)
		}
	}
	if got := q(store.ProducerQuery{SupervisorID: c.Units["jtj"]}); len(got) != len(road) {
		t.Errorf("jtj supervises %d, want the %d road transport companies", len(got), len(road))
	}
	coal := q(store.ProducerQuery{Sector: "coal_mine"})
	if len(coal) != 4 {
		t.Errorf("%d coal mines", len(coal))
	}
	jcg := q(store.ProducerQuery{TownID: c.Units["jcg"]})
	both := q(store.ProducerQuery{TownID: c.Units["jcg"], SupervisorID: c.Units["zjj"]})
	if len(jcg) == 0 || len(both) == 0 || len(both) >= len(jcg) {
		t.Fatalf("九成宫镇 %d, of them supervised by zjj %d", len(jcg), len(both))
	}
	for _, p := range both {
		if p.TownCode != "jcg" || p.SupervisorCode != "zjj" || (p.Sector != "construction" && p.Sector != "gas" && p.Sector != "other") {
			t.Errorf("jcg × zjj: %+v", p)
		}
	}
	if got := q(store.ProducerQuery{Sector: "fireworks", TownID: c.Units["jf"]}); len(got) != 0 {
		t.Errorf("fireworks in 酒房镇: %+v", got)
	}
}

// Loading the county again changes no row of the organisation, its
// production units or faces.
func TestSeedTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s.DB)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, s.DB); after != before {
		t.Fatalf("the second load changed rows:\n%s\n---\n%s", before, after)
	}
}

// snapshot is every row of the tables the seed writes, as text.
func snapshot(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, code, name, kind, parent_id FROM units ORDER BY id`,
		`SELECT * FROM production_units ORDER BY unit_id`,
		`SELECT * FROM work_faces ORDER BY id`,
		`SELECT id, key, name, title, unit_id FROM people ORDER BY id`,
		`SELECT * FROM role_grants ORDER BY person_id, role, unit_id`,
		`SELECT * FROM supervision ORDER BY supervisor_id, supervised_id`,
		`SELECT * FROM committee_members ORDER BY committee_id, unit_id`,
		`SELECT * FROM campaign_participants ORDER BY campaign_id, unit_id`,
	} {
		rows, err := db.Queryx(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if p, ok := c.([]byte); ok {
					cols[i] = string(p)
				}
			}
			fmt.Fprintln(&b, cols...)
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n == 0 {
			t.Fatalf("%s: no rows", q)
		}
	}
	return b.String()
}
