// Package seed loads the demo county (Linyou County, from the source report)
// into the store: units, committees, supervision, people and their roles,
// and its production units (demo data: producers by sector, the coal mines'
// working faces; producers.go).
package seed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"gopkg.in/yaml.v3"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

//go:embed county.yaml
var countyYAML []byte

type unitSpec struct {
	Code       string   `yaml:"code"`
	Name       string   `yaml:"name"`
	Supervisor string   `yaml:"supervisor"`
	Hazards    []string `yaml:"hazards"`
	Lead       string   `yaml:"lead"`
	Members    []string `yaml:"members"`
}

type personSpec struct {
	Key   string `yaml:"key"`
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	Role  string `yaml:"role"`
	Head  bool   `yaml:"head"`
}

// County is the demo county as the seed file describes it.
type County struct {
	County struct {
		Code     string `yaml:"code"`
		Name     string `yaml:"name"`
		TimeZone string `yaml:"time_zone"`
	} `yaml:"county"`
	Leaders         []personSpec `yaml:"leaders"`
	Admin           personSpec   `yaml:"admin"`
	SafetyCommittee struct {
		Code       string `yaml:"code"`
		Name       string `yaml:"name"`
		OfficeUnit string `yaml:"office_unit"`
	} `yaml:"safety_committee"`
	Departments  []unitSpec   `yaml:"departments"`
	Towns        []unitSpec   `yaml:"towns"`
	Enterprises  []unitSpec   `yaml:"enterprises"`
	Committees   []unitSpec   `yaml:"committees"`
	OfficePeople []personSpec `yaml:"office_people"`
	// ProductionUnits are the supervised production units (demo data).
	ProductionUnits ProductionUnits `yaml:"production_units"`
	// PledgeTemplates and Duties by unit kind.
	PledgeTemplates map[string][]domain.Target `yaml:"pledge_templates"`
	Duties          map[string][]string        `yaml:"duties"`
	Campaign        struct {
		Name          string               `yaml:"name"`
		Start         string               `yaml:"start"`
		End           string               `yaml:"end"`
		Phases        []domain.Phase       `yaml:"phases"`
		Meetings      []domain.MeetingRule `yaml:"meetings"`
		ThematicPlans []string             `yaml:"thematic_plans"`
	} `yaml:"campaign"`
}

// Demo parses the embedded demo county.
func Demo() (County, error) {
	var c County
	if err := yaml.Unmarshal(countyYAML, &c); err != nil {
		return c, fmt.Errorf("demo county: %w", err)
	}
	return c, nil
}

// Person is one seeded person and the role they were seeded for.
type Person struct {
	ID       int64       `json:"-"`
	Key      string      `json:"person"`
	Name     string      `json:"name"`
	Role     domain.Role `json:"role"`
	UnitCode string      `json:"unit_code"`
}

// Load writes the demo county into the database in one transaction. It is
// idempotent: loading twice leaves the same rows. It answers the people of
// the organisation; the producers' heads are listed by ProducerHeads.
func Load(ctx context.Context, s *store.Store) ([]Person, error) {
	c, err := Demo()
	if err != nil {
		return nil, err
	}
	var people []Person
	err = s.InTx(ctx, func(tx *sqlx.Tx) error {
		people, err = load(ctx, tx, c)
		return err
	})
	return people, err
}

func load(ctx context.Context, tx *sqlx.Tx, c County) ([]Person, error) {
	ids := map[string]int64{}
	unit := func(code, name string, kind domain.UnitKind, parent string) error {
		var parentID *int64
		if parent != "" {
			p, ok := ids[parent]
			if !ok {
				return fmt.Errorf("seed: unit %s: parent %s not defined before it", code, parent)
			}
			parentID = &p
		}
		id, err := store.UpsertUnit(ctx, tx, code, name, kind, parentID)
		ids[code] = id
		return err
	}
	var people []Person
	person := func(key, name, title, unitCode string, roles ...domain.Role) error {
		id, err := store.UpsertPerson(ctx, tx, key, name, title, ids[unitCode])
		if err != nil {
			return err
		}
		for _, r := range roles {
			if err := store.GrantRole(ctx, tx, id, r, ids[unitCode]); err != nil {
				return err
			}
			people = append(people, Person{ID: id, Key: key, Name: name, Role: r, UnitCode: unitCode})
		}
		return nil
	}
	// heads and staff of an ordinary unit
	staffed := func(code, name string) error {
		if err := person(code+"-head", name+"主要负责人", "主要负责人", code, domain.RoleUnitHead); err != nil {
			return err
		}
		return person(code+"-staff", name+"工作人员", "工作人员", code, domain.RoleStaff)
	}

	county := c.County.Code
	if err := unit(county, c.County.Name, domain.KindCounty, ""); err != nil {
		return nil, err
	}
	for _, l := range c.Leaders {
		roles := []domain.Role{domain.RoleLeader}
		if l.Head {
			roles = append(roles, domain.RoleUnitHead)
		}
		if err := person(l.Key, c.County.Name+l.Title, l.Title, county, roles...); err != nil {
			return nil, err
		}
	}
	if err := person(c.Admin.Key, c.County.Name+c.Admin.Title, c.Admin.Title, county, domain.RoleAdmin); err != nil {
		return nil, err
	}
	sc := c.SafetyCommittee
	if err := unit(sc.Code, sc.Name, domain.KindCommittee, county); err != nil {
		return nil, err
	}
	if err := staffed(sc.Code, sc.Name); err != nil {
		return nil, err
	}
	for _, groups := range []struct {
		specs []unitSpec
		kind  domain.UnitKind
	}{{c.Departments, domain.KindDepartment}, {c.Towns, domain.KindTown}} {
		for _, u := range groups.specs {
			if err := unit(u.Code, u.Name, groups.kind, county); err != nil {
				return nil, err
			}
			if err := staffed(u.Code, u.Name); err != nil {
				return nil, err
			}
		}
	}
	for _, e := range c.Enterprises {
		if err := unit(e.Code, e.Name, domain.KindEnterprise, e.Supervisor); err != nil {
			return nil, err
		}
		if err := store.AddSupervision(ctx, tx, ids[e.Supervisor], ids[e.Code]); err != nil {
			return nil, err
		}
		if err := staffed(e.Code, e.Name); err != nil {
			return nil, err
		}
	}
	for _, cm := range c.Committees {
		if err := unit(cm.Code, cm.Name, domain.KindCommittee, sc.Code); err != nil {
			return nil, err
		}
		if err := staffed(cm.Code, cm.Name); err != nil {
			return nil, err
		}
		lead, ok := ids[cm.Lead]
		if !ok {
			return nil, fmt.Errorf("seed: committee %s: unknown lead unit %s", cm.Code, cm.Lead)
		}
		if err := store.AddCommitteeMember(ctx, tx, ids[cm.Code], lead, true); err != nil {
			return nil, err
		}
		for _, m := range cm.Members {
			id, ok := ids[m]
			if !ok {
				return nil, fmt.Errorf("seed: committee %s: unknown member unit %s", cm.Code, m)
			}
			if err := store.AddCommitteeMember(ctx, tx, ids[cm.Code], id, false); err != nil {
				return nil, err
			}
		}
	}
	// Every key member department sits on the safety committee.
	for _, d := range c.Departments {
		if err := store.AddCommitteeMember(ctx, tx, ids[sc.Code], ids[d.Code], d.Code == sc.OfficeUnit); err != nil {
			return nil, err
		}
	}
	office := c.SafetyCommittee.OfficeUnit
	for _, p := range c.OfficePeople {
		role, err := domain.ParseRole(p.Role)
		if err != nil {
			return nil, fmt.Errorf("seed: %s: %w", p.Key, err)
		}
		if err := person(p.Key, p.Name, p.Title, office, role); err != nil {
			return nil, err
		}
	}
	// The production units and their heads, who are not among the people
	// Load answers (see ProducerHeads).
	if err := loadProductionUnits(ctx, tx, c, ids); err != nil {
		return nil, err
	}
	if err := loadCampaign(ctx, tx, c, ids); err != nil {
		return nil, err
	}
	return people, nil
}

// DemoCampaignID is the id of the demo county's three-year campaign.
const DemoCampaignID = "linyou-2020"

// loadCampaign writes the demo campaign with the default policy, the pledge
// templates and every unit's duty list; an edited template is left alone.
func loadCampaign(ctx context.Context, tx *sqlx.Tx, c County, ids map[string]int64) error {
	start, err := time.Parse("2006-01-02", c.Campaign.Start)
	if err != nil {
		return fmt.Errorf("seed: campaign start: %w", err)
	}
	end, err := time.Parse("2006-01-02", c.Campaign.End)
	if err != nil {
		return fmt.Errorf("seed: campaign end: %w", err)
	}
	policy, err := json.Marshal(store.CampaignPolicy{Pledge: domain.DefaultPledgePolicy(), Phases: c.Campaign.Phases, Meetings: c.Campaign.Meetings})
	if err != nil {
		return err
	}
	if err := store.UpsertCampaign(ctx, tx, store.Campaign{ID: DemoCampaignID, Name: c.Campaign.Name, TimeZone: c.County.TimeZone,
		StartsOn: start, EndsOn: end, Policy: policy}); err != nil {
		return err
	}
	units, err := store.AllReportingUnits(ctx, tx)
	if err != nil {
		return err
	}
	if err := store.SetParticipants(ctx, tx, DemoCampaignID, unitIDs(units)); err != nil {
		return err
	}
	for _, kind := range []string{"department", "town", "enterprise"} {
		v := &domain.ValidationError{}
		domain.ValidateTargets("pledge_templates."+kind, c.PledgeTemplates[kind], v)
		if err := v.Err(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if _, err := store.PledgeTemplateFor(ctx, tx, kind); err == nil {
			continue
		}
		if err := store.SetPledgeTemplate(ctx, tx, kind, c.PledgeTemplates[kind], "seed"); err != nil {
			return err
		}
	}
	// 1 overall plan, 2 thematic plans, 14 sector plans (one per specialist committee).
	if _, err := store.UpsertPlan(ctx, tx, store.Plan{CampaignID: DemoCampaignID, Kind: "overall", Title: c.Campaign.Name + "总体方案"}); err != nil {
		return err
	}
	for _, t := range c.Campaign.ThematicPlans {
		if _, err := store.UpsertPlan(ctx, tx, store.Plan{CampaignID: DemoCampaignID, Kind: "thematic", Title: t + "专题方案"}); err != nil {
			return err
		}
	}
	for _, cm := range c.Committees {
		id := ids[cm.Code]
		if _, err := store.UpsertPlan(ctx, tx, store.Plan{CampaignID: DemoCampaignID, Kind: "sector", Title: strings.TrimSuffix(cm.Name, "专业委员会") + "专项整治方案", CommitteeUnitID: &id}); err != nil {
			return err
		}
	}
	for kind, specs := range map[string][]unitSpec{"department": c.Departments, "town": c.Towns, "enterprise": c.Enterprises} {
		for _, u := range specs {
			if err := store.SetDuties(ctx, tx, ids[u.Code], c.Duties[kind]); err != nil {
				return err
			}
		}
	}
	return nil
}

func unitIDs(units []domain.Unit) []int64 {
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	return ids
}

// IssueTokens issues one bearer token per demo person (a person with several
// roles is listed once per role, and gets one token), labelled label, and
// answers them by person key: for tests and tools that act as the county.
func IssueTokens(ctx context.Context, db sqlx.ExtContext, people []Person, label string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, p := range people {
		if tokens[p.Key] != "" {
			continue
		}
		tok, err := store.IssueToken(ctx, db, p.ID, label)
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", p.Key, err)
		}
		tokens[p.Key] = tok
	}
	return tokens, nil
}
