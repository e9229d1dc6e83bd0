package excel

import (
	"fmt"
	"strings"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// registered is the organisation already in the database, as the checks and
// the writes of an import need it.
type registered struct {
	units       map[string]domain.Unit // by code
	byID        map[int64]domain.Unit
	county      string // the county's code, "" when none is registered
	people      map[string]store.PersonRow
	grants      map[grant]bool
	seats       map[[2]int64]bool // committee, unit → lead
	supervision map[[2]int64]bool
}

type grant struct {
	person int64
	role   string
	unit   int64
}

// check answers every error of the organisation: its fields, duplicates and
// consistency, and its references — to units of the file, or of the database
// when db is given (with db nil, a reference to a unit the file does not
// define is left for later).
func (o Org) check(db *registered) []RowError {
	var errs []RowError
	add := func(sheet string, row int, col int, msg string) {
		errs = append(errs, RowError{Sheet: sheet, Row: row, Column: colName(col + 1), Message: msg})
	}
	// kindOf says what kind the code's unit is: defined by the file, else
	// registered; known false when neither (or undecidable without db).
	fileUnits := map[string]OrgUnit{}
	for _, u := range o.Units {
		if _, dup := fileUnits[u.Code]; !dup {
			fileUnits[u.Code] = u
		}
	}
	kindOf := func(code string) (kind domain.UnitKind, known, missing bool) {
		if u, ok := fileUnits[code]; ok {
			return u.Kind, true, false
		}
		if db == nil {
			return domain.UnitKind{}, false, false
		}
		if u, ok := db.units[code]; ok {
			return u.Kind, true, false
		}
		return domain.UnitKind{}, false, true
	}
	unknown := func(header, code string) string {
		return fmt.Sprintf("%s“%s”不存在：既不在“单位”表中，也未在系统中登记", header, code)
	}

	// units
	seenUnit := map[string]int{}
	county := ""
	countyRow := 0
	for _, u := range o.Units {
		h := unitHeaders
		if p := codeProblem(h[0], u.Code, true); p != "" {
			add(SheetUnits, u.Row, 0, p)
		} else if first, dup := seenUnit[u.Code]; dup {
			add(SheetUnits, u.Row, 0, fmt.Sprintf("单位编码“%s”与第%d行重复", u.Code, first))
		} else {
			seenUnit[u.Code] = u.Row
		}
		if p := textProblem(h[1], u.Name, true, maxName); p != "" {
			add(SheetUnits, u.Row, 1, p)
		}
		switch {
		case u.Kind == domain.UnitKind{}:
			add(SheetUnits, u.Row, 2, h[2]+domain.MsgOneOf(kindChoices()...))
		case u.Kind == domain.KindCounty && county != "":
			add(SheetUnits, u.Row, 2, fmt.Sprintf("只能有一个县：第%d行已是县“%s”", countyRow, county))
		case u.Kind == domain.KindCounty && db != nil && db.county != "" && db.county != u.Code:
			add(SheetUnits, u.Row, 2, fmt.Sprintf("系统中已登记县“%s”（%s），不能再登记一个县", db.county, db.units[db.county].Name))
		case u.Kind == domain.KindCounty:
			county, countyRow = u.Code, u.Row
		}
		if db != nil {
			if _, ok := db.units[u.Code]; !ok && u.Kind == domain.KindProducer {
				add(SheetUnits, u.Row, 2, "生产经营单位连同其行业、监管部门在生产经营单位名录中登记，不在组织机构中新增")
			}
			if old, ok := db.units[u.Code]; ok && u.Kind != (domain.UnitKind{}) && old.Kind != u.Kind {
				add(SheetUnits, u.Row, 2, fmt.Sprintf("单位“%s”已登记为%s，不能改为%s（类别关系到它的报告、责任书和考核）",
					u.Code, KindLabel(old.Kind.String()), KindLabel(u.Kind.String())))
			}
		}
		switch {
		case u.Kind == domain.KindCounty && u.Parent != "":
			add(SheetUnits, u.Row, 3, "县没有上级单位，上级单位编码应留空")
		case u.Kind != domain.KindCounty && u.Kind != (domain.UnitKind{}) && u.Parent == "":
			add(SheetUnits, u.Row, 3, h[3]+"不能为空（只有县没有上级单位）")
		case u.Parent == "":
		case codeProblem(h[3], u.Parent, false) != "":
			add(SheetUnits, u.Row, 3, codeProblem(h[3], u.Parent, false))
		case u.Parent == u.Code:
			add(SheetUnits, u.Row, 3, "上级单位不能是这个单位自己")
		default:
			if _, _, missing := kindOf(u.Parent); missing {
				add(SheetUnits, u.Row, 3, unknown("上级单位", u.Parent))
			}
		}
	}
	// parent cycles, over the file's parents and, for units it does not
	// define, the registered ones
	parentOf := func(code string) (string, bool) {
		if u, ok := fileUnits[code]; ok {
			return u.Parent, u.Parent != ""
		}
		if db != nil {
			if u, ok := db.units[code]; ok && u.ParentID != nil {
				return db.byID[*u.ParentID].Code, true
			}
		}
		return "", false
	}
	bound := len(fileUnits) + 2
	if db != nil {
		bound += len(db.units)
	}
	for _, u := range o.Units {
		if fileUnits[u.Code].Row != u.Row || u.Parent == u.Code {
			continue
		}
		path := []string{u.Code}
		for code, steps := u.Code, 0; steps < bound; steps++ {
			parent, ok := parentOf(code)
			if !ok {
				break
			}
			path = append(path, parent)
			if parent == u.Code {
				add(SheetUnits, u.Row, 3, "上级单位关系成环："+strings.Join(path, " → "))
				break
			}
			code = parent
		}
	}

	// people
	type personSeen struct {
		row         int
		name, title string
	}
	seenPerson := map[string]personSeen{}
	seenGrant := map[string]int{}
	for _, p := range o.People {
		h := personHeaders
		if x := textProblem(h[0], p.Key, true, 63); x != "" {
			add(SheetPeople, p.Row, 0, x)
		} else if !validPersonKey.MatchString(p.Key) {
			add(SheetPeople, p.Row, 0, h[0]+"“"+p.Key+"”"+msgPersonKey)
		}
		if x := textProblem(h[1], p.Name, true, maxName); x != "" {
			add(SheetPeople, p.Row, 1, x)
		}
		if x := textProblem(h[2], p.Title, false, maxTitle); x != "" {
			add(SheetPeople, p.Row, 2, x)
		}
		if x := codeProblem(h[3], p.Unit, true); x != "" {
			add(SheetPeople, p.Row, 3, x)
		} else if _, _, missing := kindOf(p.Unit); missing {
			add(SheetPeople, p.Row, 3, unknown("单位", p.Unit))
		}
		if first, ok := seenPerson[p.Key]; ok {
			if p.Name != first.name {
				add(SheetPeople, p.Row, 1, fmt.Sprintf("姓名“%s”与第%d行同一人员标识“%s”的姓名“%s”不一致", p.Name, first.row, p.Key, first.name))
			}
			if p.Title != first.title {
				add(SheetPeople, p.Row, 2, fmt.Sprintf("职务“%s”与第%d行同一人员标识“%s”的职务“%s”不一致", p.Title, first.row, p.Key, first.title))
			}
		} else {
			seenPerson[p.Key] = personSeen{p.Row, p.Name, p.Title}
		}
		k := p.Key + "\x00" + p.Role.String() + "\x00" + p.Unit
		if first, dup := seenGrant[k]; dup {
			add(SheetPeople, p.Row, 0, fmt.Sprintf("与第%d行重复（同一人员、同一单位、同一角色）", first))
		} else {
			seenGrant[k] = p.Row
		}
	}

	// committee seats
	seenSeat := map[[2]string]int{}
	leadRow := map[string]int{}
	for _, s := range o.Committees {
		h := seatHeaders
		committeeOK := false
		if x := codeProblem(h[0], s.Committee, true); x != "" {
			add(SheetCommittees, s.Row, 0, x)
		} else if kind, known, missing := kindOf(s.Committee); missing {
			add(SheetCommittees, s.Row, 0, unknown("委员会", s.Committee))
		} else if known && kind != domain.KindCommittee {
			add(SheetCommittees, s.Row, 0, fmt.Sprintf("“%s”不是委员会（类别为%s）", s.Committee, KindLabel(kind.String())))
		} else {
			committeeOK = true
		}
		switch kind, _, missing := kindOf(s.Unit); {
		case codeProblem(h[1], s.Unit, true) != "":
			add(SheetCommittees, s.Row, 1, codeProblem(h[1], s.Unit, true))
		case s.Unit == s.Committee:
			add(SheetCommittees, s.Row, 1, "成员单位不能是委员会自己")
		case missing:
			add(SheetCommittees, s.Row, 1, unknown("成员单位", s.Unit))
		case kind == domain.KindCounty:
			add(SheetCommittees, s.Row, 1, "县不能作为委员会的成员单位")
		default:
			pair := [2]string{s.Committee, s.Unit}
			if first, dup := seenSeat[pair]; dup {
				add(SheetCommittees, s.Row, 1, fmt.Sprintf("“%s”在委员会“%s”中已列于第%d行", s.Unit, s.Committee, first))
			} else {
				seenSeat[pair] = s.Row
			}
		}
		if s.Lead && committeeOK {
			if first, ok := leadRow[s.Committee]; ok {
				add(SheetCommittees, s.Row, 2, fmt.Sprintf("委员会“%s”的牵头单位已在第%d行指定，只能有一个", s.Committee, first))
			} else {
				leadRow[s.Committee] = s.Row
			}
		}
	}

	// supervision
	seenSup := map[[2]string]int{}
	for _, s := range o.Supervision {
		h := supervisionHeaders
		if x := codeProblem(h[0], s.Supervisor, true); x != "" {
			add(SheetSupervision, s.Row, 0, x)
		} else if kind, known, missing := kindOf(s.Supervisor); missing {
			add(SheetSupervision, s.Row, 0, unknown("监管单位", s.Supervisor))
		} else if known && kind != domain.KindDepartment {
			add(SheetSupervision, s.Row, 0, fmt.Sprintf("监管单位应为部门（“%s”是%s）", s.Supervisor, KindLabel(kind.String())))
		}
		switch kind, known, missing := kindOf(s.Supervised); {
		case codeProblem(h[1], s.Supervised, true) != "":
			add(SheetSupervision, s.Row, 1, codeProblem(h[1], s.Supervised, true))
		case s.Supervised == s.Supervisor:
			add(SheetSupervision, s.Row, 1, "监管单位和被监管单位不能相同")
		case missing:
			add(SheetSupervision, s.Row, 1, unknown("被监管单位", s.Supervised))
		case known && kind != domain.KindDepartment && kind != domain.KindTown && kind != domain.KindEnterprise:
			add(SheetSupervision, s.Row, 1, fmt.Sprintf("被监管单位应为部门、乡镇或企业（“%s”是%s）", s.Supervised, KindLabel(kind.String())))
		default:
			pair := [2]string{s.Supervisor, s.Supervised}
			if first, dup := seenSup[pair]; dup {
				add(SheetSupervision, s.Row, 1, fmt.Sprintf("与第%d行重复", first))
			} else {
				seenSup[pair] = s.Row
			}
		}
	}
	sortErrors(errs)
	return dedupe(errs)
}
