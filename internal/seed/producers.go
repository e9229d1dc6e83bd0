package seed

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// ProductionUnits are the demo county's production units (生产经营单位): the
// coal mines, which are enterprises of the organisation, with their working
// faces, and the producers by sector. All are demo data.
type ProductionUnits struct {
	Mines   []MineSpec    `yaml:"mines"`
	Sectors []SectorGroup `yaml:"sectors"`
}

// MineSpec makes one of the county's enterprises a coal-mine production unit.
type MineSpec struct {
	Code        string     `yaml:"code"`
	Town        string     `yaml:"town"`
	Responsible string     `yaml:"responsible"`
	Phone       string     `yaml:"phone"`
	Faces       []FaceSpec `yaml:"faces"`
}

// FaceSpec is a mine's working face: kind coal (采煤) or heading (掘进).
type FaceSpec struct {
	Code string `yaml:"code"`
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
}

// SectorGroup is a sector's producers and the department that supervises
// them (a producer may name its own).
type SectorGroup struct {
	Sector     string         `yaml:"sector"`
	Supervisor string         `yaml:"supervisor"`
	Units      []ProducerSpec `yaml:"units"`
}

// ProducerSpec is one producer.
type ProducerSpec struct {
	Code        string `yaml:"code"`
	Name        string `yaml:"name"`
	Town        string `yaml:"town"`
	Supervisor  string `yaml:"supervisor"`
	Responsible string `yaml:"responsible"`
	Phone       string `yaml:"phone"`
}

// Producers lists the demo producers with their sector and supervisor filled
// in from their group, in the file's order.
func (c County) Producers() []ProducerEntry {
	var out []ProducerEntry
	for _, g := range c.ProductionUnits.Sectors {
		for _, u := range g.Units {
			e := ProducerEntry{ProducerSpec: u, Sector: g.Sector}
			if e.Supervisor == "" {
				e.Supervisor = g.Supervisor
			}
			out = append(out, e)
		}
	}
	return out
}

// ProducerEntry is a producer with its sector.
type ProducerEntry struct {
	ProducerSpec
	Sector string
}

// loadProductionUnits writes the mines' production_units rows and faces and
// every producer, with their heads. ids maps the codes of the units already
// written; the producers' are added.
func loadProductionUnits(ctx context.Context, tx *sqlx.Tx, c County, ids map[string]int64) error {
	kinds := map[string]domain.UnitKind{}
	for _, d := range c.Departments {
		kinds[d.Code] = domain.KindDepartment
	}
	for _, t := range c.Towns {
		kinds[t.Code] = domain.KindTown
	}
	enterprises := map[string]unitSpec{}
	for _, e := range c.Enterprises {
		enterprises[e.Code] = e
	}
	lookup := func(what, code string, kind domain.UnitKind) (int64, error) {
		if kinds[code] != kind {
			return 0, fmt.Errorf("seed: %s: %q is not a %s of the county", what, code, kind)
		}
		return ids[code], nil
	}
	town := func(what, code string) (*int64, error) {
		if code == "" {
			return nil, nil
		}
		id, err := lookup(what+": town", code, domain.KindTown)
		return &id, err
	}
	for _, m := range c.ProductionUnits.Mines {
		e, ok := enterprises[m.Code]
		if !ok {
			return fmt.Errorf("seed: mine %s is not an enterprise of the county", m.Code)
		}
		supervisor, err := lookup("mine "+m.Code+": supervisor", e.Supervisor, domain.KindDepartment)
		if err != nil {
			return err
		}
		townID, err := town("mine "+m.Code, m.Town)
		if err != nil {
			return err
		}
		id, err := store.UpsertProductionUnit(ctx, tx, store.ProductionUnitSpec{Code: m.Code, Name: e.Name, Sector: "coal_mine",
			SupervisorID: supervisor, TownID: townID, Responsible: m.Responsible, Phone: m.Phone, Demo: true})
		if err != nil {
			return fmt.Errorf("seed: mine %s: %w", m.Code, err)
		}
		for _, f := range m.Faces {
			if _, err := store.UpsertFace(ctx, tx, id, f.Code, f.Name, f.Kind); err != nil {
				return fmt.Errorf("seed: mine %s: %w", m.Code, err)
			}
		}
	}
	for _, p := range c.Producers() {
		if _, taken := ids[p.Code]; taken {
			return fmt.Errorf("seed: producer %s: the code is already a unit's", p.Code)
		}
		if !slices.Contains(domain.Sectors, p.Sector) || p.Sector == "coal_mine" {
			return fmt.Errorf("seed: producer %s: sector %q", p.Code, p.Sector)
		}
		supervisor, err := lookup("producer "+p.Code+": supervisor", p.Supervisor, domain.KindDepartment)
		if err != nil {
			return err
		}
		townID, err := town("producer "+p.Code, p.Town)
		if err != nil {
			return err
		}
		id, err := store.UpsertProductionUnit(ctx, tx, store.ProductionUnitSpec{Code: p.Code, Name: p.Name, Sector: p.Sector,
			SupervisorID: supervisor, TownID: townID, Responsible: p.Responsible, Phone: p.Phone, Demo: true})
		if err != nil {
			return fmt.Errorf("seed: producer %s: %w", p.Code, err)
		}
		ids[p.Code] = id
	}
	return nil
}

// ProducerHeads lists the heads of the units of kind producer, as Person
// values with the role unit_head, by unit code. Load leaves them out of the
// people it answers — the demo's sign-in list, tokens and inbox-reading bot
// stay the organisation's — so a test or tool that acts as a producer's head
// issues their token from here (IssueTokens).
func ProducerHeads(ctx context.Context, db sqlx.ExtContext) ([]Person, error) {
	var rows []struct {
		ID       int64  `db:"id"`
		Key      string `db:"key"`
		Name     string `db:"name"`
		UnitCode string `db:"code"`
	}
	err := sqlx.SelectContext(ctx, db, &rows, `
SELECT p.id, p.key, p.name, u.code FROM role_grants g
JOIN people p ON p.id = g.person_id JOIN units u ON u.id = g.unit_id
WHERE g.role = 'unit_head' AND u.kind = 'producer' ORDER BY u.code, p.id`)
	if err != nil {
		return nil, fmt.Errorf("producer heads: %w", err)
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = Person{ID: r.ID, Key: r.Key, Name: r.Name, Role: domain.RoleUnitHead, UnitCode: r.UnitCode}
	}
	return out, nil
}
