package excel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Summary says what an import changed; an import of what is already
// registered changes nothing (Changed() is false).
type Summary struct {
	UnitsAdded       int `json:"units_added"`
	UnitsUpdated     int `json:"units_updated"`
	PeopleAdded      int `json:"people_added"`
	PeopleUpdated    int `json:"people_updated"`
	RolesGranted     int `json:"roles_granted"`
	SeatsAdded       int `json:"seats_added"`
	SeatsUpdated     int `json:"seats_updated"`
	SupervisionAdded int `json:"supervision_added"`
	// Unchanged counts the rows that matched the database already.
	Unchanged int `json:"unchanged"`
	// Changes lists each change in Chinese, e.g. 新增单位 yjj（县应急管理局）.
	Changes []string `json:"changes"`
}

// Changed says whether the import wrote anything.
func (s Summary) Changed() bool { return len(s.Changes) > 0 }

func (s *Summary) note(format string, args ...any) {
	s.Changes = append(s.Changes, fmt.Sprintf(format, args...))
}

// loadRegistered reads what the import compares with.
func loadRegistered(ctx context.Context, db sqlx.ExtContext, org Org) (*registered, error) {
	r := &registered{units: map[string]domain.Unit{}, byID: map[int64]domain.Unit{}, people: map[string]store.PersonRow{},
		grants: map[grant]bool{}, seats: map[[2]int64]bool{}, supervision: map[[2]int64]bool{}}
	units, err := store.Units(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		r.units[u.Code] = u
		r.byID[u.ID] = u
		if u.Kind == domain.KindCounty && r.county == "" {
			r.county = u.Code
		}
	}
	keys := make([]string, 0, len(org.People))
	for _, p := range org.People {
		keys = append(keys, p.Key)
	}
	people, err := store.PeopleByKeys(ctx, db, keys)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(people))
	for _, p := range people {
		r.people[p.Key] = p
		ids = append(ids, p.ID)
	}
	grants, err := store.RoleGrantsOf(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		r.grants[grant{g.PersonID, g.Role, g.UnitID}] = true
	}
	seats, err := store.CommitteeSeats(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, s := range seats {
		r.seats[[2]int64{s.CommitteeID, s.UnitID}] = s.Lead
	}
	sup, err := store.Supervision(ctx, db)
	if err != nil {
		return nil, err
	}
	for supervisor, list := range sup {
		for _, supervised := range list {
			r.supervision[[2]int64{supervisor, supervised}] = true
		}
	}
	return r, nil
}

// CheckOrg answers every error of the organisation against the database:
// ParseOrg's checks again, and every reference to a unit the file does not
// define must name a registered one; a registered unit keeps its kind; there
// is one county. Nothing is written. It is what ApplyOrg checks first, for a
// preview before the import.
func CheckOrg(ctx context.Context, db sqlx.ExtContext, org Org) ([]RowError, error) {
	reg, err := loadRegistered(ctx, db, org)
	if err != nil {
		return nil, err
	}
	return org.check(reg), nil
}

// ApplyOrg writes the organisation in the caller's transaction, as upserts by
// code and key: units (name, kind, parent), people (name, title, unit) and
// their roles, committee seats (a new lead takes over the committee's lead),
// supervision. Only what differs from the database is written, so importing
// the same file twice changes nothing the second time. Nothing is removed: a
// role, seat or supervision the file leaves out stays. When any row is
// invalid (CheckOrg) nothing is written and the error is an *ImportError
// listing every one.
func ApplyOrg(ctx context.Context, tx *sqlx.Tx, org Org) (Summary, error) {
	sum := Summary{Changes: []string{}}
	reg, err := loadRegistered(ctx, tx, org)
	if err != nil {
		return sum, err
	}
	if errs := org.check(reg); len(errs) > 0 {
		return sum, &ImportError{Errors: errs}
	}
	ids := map[string]int64{}
	for code, u := range reg.units {
		ids[code] = u.ID
	}

	// units, each after its parent
	byCode := map[string]OrgUnit{}
	for _, u := range org.Units {
		byCode[u.Code] = u
	}
	done := map[string]bool{}
	var write func(u OrgUnit) error
	write = func(u OrgUnit) error {
		if done[u.Code] {
			return nil
		}
		done[u.Code] = true
		if p, ok := byCode[u.Parent]; ok {
			if err := write(p); err != nil {
				return err
			}
		}
		var parentID *int64
		if u.Parent != "" {
			id := ids[u.Parent]
			parentID = &id
		}
		old, exists := reg.units[u.Code]
		if exists && old.Name == u.Name && old.Kind == u.Kind && sameID(old.ParentID, parentID) {
			sum.Unchanged++
			return nil
		}
		id, err := store.UpsertUnit(ctx, tx, u.Code, u.Name, u.Kind, parentID)
		if err != nil {
			return err
		}
		ids[u.Code] = id
		if !exists {
			sum.UnitsAdded++
			sum.note("新增单位 %s（%s，%s）", u.Code, u.Name, KindLabel(u.Kind.String()))
			return nil
		}
		sum.UnitsUpdated++
		var what []string
		if old.Name != u.Name {
			what = append(what, fmt.Sprintf("名称 %s → %s", old.Name, u.Name))
		}
		if !sameID(old.ParentID, parentID) {
			from := "无"
			if old.ParentID != nil {
				from = reg.byID[*old.ParentID].Code
			}
			what = append(what, fmt.Sprintf("上级单位 %s → %s", from, u.Parent))
		}
		sum.note("更新单位 %s：%s", u.Code, strings.Join(what, "；"))
		return nil
	}
	for _, u := range org.Units {
		if err := write(u); err != nil {
			return sum, err
		}
	}

	// people, then their roles
	personIDs := map[string]int64{}
	for _, p := range org.People {
		if _, seen := personIDs[p.Key]; seen {
			continue
		}
		old, exists := reg.people[p.Key]
		unitID := ids[p.Unit]
		if exists && old.Name == p.Name && old.Title == p.Title && old.UnitID == unitID {
			personIDs[p.Key] = old.ID
			sum.Unchanged++
			continue
		}
		id, err := store.UpsertPerson(ctx, tx, p.Key, p.Name, p.Title, unitID)
		if err != nil {
			return sum, err
		}
		personIDs[p.Key] = id
		if exists {
			sum.PeopleUpdated++
			sum.note("更新人员 %s（%s）", p.Key, p.Name)
		} else {
			sum.PeopleAdded++
			sum.note("新增人员 %s（%s，%s）", p.Key, p.Name, p.Unit)
		}
	}
	for _, p := range org.People {
		if p.Role == (domain.Role{}) {
			continue
		}
		g := grant{personIDs[p.Key], p.Role.String(), ids[p.Unit]}
		if reg.grants[g] {
			sum.Unchanged++
			continue
		}
		if err := store.GrantRole(ctx, tx, g.person, p.Role, g.unit); err != nil {
			return sum, err
		}
		reg.grants[g] = true
		sum.RolesGranted++
		sum.note("授予 %s（%s）在 %s 的角色：%s", p.Key, p.Name, p.Unit, RoleLabel(p.Role))
	}

	// committee seats
	for _, s := range org.Committees {
		key := [2]int64{ids[s.Committee], ids[s.Unit]}
		lead, exists := reg.seats[key]
		if exists && lead == s.Lead {
			sum.Unchanged++
			continue
		}
		if err := store.SeatOnCommittee(ctx, tx, key[0], key[1], s.Lead); err != nil {
			return sum, err
		}
		if s.Lead {
			for k, l := range reg.seats {
				if k[0] == key[0] && k[1] != key[1] && l {
					reg.seats[k] = false
				}
			}
		}
		reg.seats[key] = s.Lead
		role := "成员单位"
		if s.Lead {
			role = "牵头单位"
		}
		if exists {
			sum.SeatsUpdated++
			sum.note("委员会 %s：%s 改为%s", s.Committee, s.Unit, role)
		} else {
			sum.SeatsAdded++
			sum.note("委员会 %s：新增%s %s", s.Committee, role, s.Unit)
		}
	}

	// supervision
	for _, s := range org.Supervision {
		key := [2]int64{ids[s.Supervisor], ids[s.Supervised]}
		if reg.supervision[key] {
			sum.Unchanged++
			continue
		}
		if err := store.AddSupervision(ctx, tx, key[0], key[1]); err != nil {
			return sum, err
		}
		reg.supervision[key] = true
		sum.SupervisionAdded++
		sum.note("新增监管关系：%s 监管 %s", s.Supervisor, s.Supervised)
	}
	return sum, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// ImportOrg reads a workbook (ParseOrg) and, when every row is valid, applies
// it in the caller's transaction (ApplyOrg). Refused rows are answered as
// RowErrors, with nothing written; the error is for anything else (the
// database) — the caller rolls back on either.
func ImportOrg(ctx context.Context, tx *sqlx.Tx, r io.Reader) (Summary, []RowError, error) {
	org, errs := ParseOrg(r)
	if len(errs) > 0 {
		return Summary{Changes: []string{}}, errs, nil
	}
	sum, err := ApplyOrg(ctx, tx, org)
	var ie *ImportError
	if errors.As(err, &ie) {
		return sum, ie.Errors, nil
	}
	return sum, nil, err
}

// LoadOrg reads the registered organisation as the template holds it: every
// unit (in the order registered), every person with a row per role (their
// own unit's first; a person without a role has one row without), every
// committee seat (lead first) and supervision.
func LoadOrg(ctx context.Context, db sqlx.ExtContext) (Org, error) {
	org := Org{Units: []OrgUnit{}, People: []OrgPerson{}, Committees: []OrgSeat{}, Supervision: []OrgSupervision{}}
	units, err := store.Units(ctx, db)
	if err != nil {
		return org, err
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	for _, u := range units {
		x := OrgUnit{Code: u.Code, Name: u.Name, Kind: u.Kind}
		if u.ParentID != nil {
			x.Parent = code[*u.ParentID]
		}
		org.Units = append(org.Units, x)
	}
	people, err := store.AllPeople(ctx, db)
	if err != nil {
		return org, err
	}
	grants, err := store.RoleGrantsOf(ctx, db, nil)
	if err != nil {
		return org, err
	}
	byPerson := map[int64][]store.RoleGrantRow{}
	for _, g := range grants {
		byPerson[g.PersonID] = append(byPerson[g.PersonID], g)
	}
	for _, p := range people {
		gs := byPerson[p.ID]
		// the person's own unit first: the first row's unit is theirs
		var own, other []store.RoleGrantRow
		for _, g := range gs {
			if g.UnitID == p.UnitID {
				own = append(own, g)
			} else {
				other = append(other, g)
			}
		}
		if len(own) == 0 {
			org.People = append(org.People, OrgPerson{Key: p.Key, Name: p.Name, Title: p.Title, Unit: code[p.UnitID]})
		}
		for _, g := range append(own, other...) {
			role, err := domain.ParseRole(g.Role)
			if err != nil {
				return org, err
			}
			org.People = append(org.People, OrgPerson{Key: p.Key, Name: p.Name, Title: p.Title, Unit: code[g.UnitID], Role: role})
		}
	}
	seats, err := store.CommitteeSeats(ctx, db)
	if err != nil {
		return org, err
	}
	for _, s := range seats {
		org.Committees = append(org.Committees, OrgSeat{Committee: code[s.CommitteeID], Unit: code[s.UnitID], Lead: s.Lead})
	}
	sup, err := store.Supervision(ctx, db)
	if err != nil {
		return org, err
	}
	for _, u := range units {
		for _, supervised := range sup[u.ID] {
			org.Supervision = append(org.Supervision, OrgSupervision{Supervisor: u.Code, Supervised: code[supervised]})
		}
	}
	return org, nil
}

// OrgTemplate is the empty import template: sheets 单位, 负责人, 委员会 and
// 监管 with their headers and drop-down lists for kinds, roles and leads, and
// 填写说明, what each column takes.
func OrgTemplate() ([]byte, error) { return OrgWorkbook(Org{}) }

// OrgWorkbook writes an organisation in the template's form (LoadOrg's, to
// edit and import again).
func OrgWorkbook(org Org) ([]byte, error) {
	b := newBook()
	u := b.table(SheetUnits, "", unitHeaders, 2)
	for _, x := range org.Units {
		u.add(cell{x.Code, 0}, cell{x.Name, 0}, cell{KindLabel(x.Kind.String()), 0}, cell{x.Parent, 0})
	}
	u.widths[1] = max(u.widths[1], 24)
	u.done()
	b.dropList(SheetUnits, "C", kindChoices())

	p := b.table(SheetPeople, "", personHeaders, 2)
	for _, x := range org.People {
		role := ""
		if x.Role != (domain.Role{}) {
			role = RoleLabel(x.Role)
		}
		p.add(cell{x.Key, 0}, cell{x.Name, 0}, cell{x.Title, 0}, cell{x.Unit, 0}, cell{role, 0})
	}
	p.widths[1], p.widths[2] = max(p.widths[1], 16), max(p.widths[2], 16)
	p.done()
	b.dropList(SheetPeople, "E", roleChoices())

	c := b.table(SheetCommittees, "", seatHeaders, 1)
	for _, x := range org.Committees {
		c.add(cell{x.Committee, 0}, cell{x.Unit, 0}, cell{leadLabel(x.Lead), 0})
	}
	c.done()
	b.dropList(SheetCommittees, "C", []string{"是", "否"})

	s := b.table(SheetSupervision, "", supervisionHeaders, 1)
	for _, x := range org.Supervision {
		s.add(cell{x.Supervisor, 0}, cell{x.Supervised, 0})
	}
	s.done()

	g := b.table(SheetGuide, "组织机构导入模板填写说明", []string{"工作表", "列", "填写要求"}, 0)
	for _, x := range [][3]string{
		{SheetUnits, "单位编码", "必填。小写字母、数字和连字符（-），以字母或数字开头，最长 63 个字符，例如 yjj、c-road；每个单位唯一，已登记的单位按编码更新"},
		{SheetUnits, "单位名称", "必填，最多 100 个字，不能换行"},
		{SheetUnits, "类别", "必填：" + strings.Join(kindChoices(), "、") + "。只能有一个县；已登记单位的类别不能改"},
		{SheetUnits, "上级单位编码", "县留空，其他单位必填：本表中的单位或系统中已登记的单位；不能成环"},
		{SheetPeople, "人员标识", "必填。小写字母、数字和 . _ -，例如 yjj-head；同一人有多个角色时每个角色一行，姓名和职务相同"},
		{SheetPeople, "姓名", "必填，最多 100 个字"},
		{SheetPeople, "职务", "选填，最多 100 个字"},
		{SheetPeople, "所在单位编码", "必填：本人所在单位，角色在这个单位内有效；同一人第一行的单位为其所在单位"},
		{SheetPeople, "角色", "选填：" + strings.Join(roleChoices(), "、") + "；留空只登记人员"},
		{SheetCommittees, "委员会编码", "必填：类别为委员会的单位"},
		{SheetCommittees, "成员单位编码", "必填：参加该委员会的单位"},
		{SheetCommittees, "是否牵头", "是或否（留空为否）；每个委员会最多一个牵头单位，新指定的牵头单位取代原牵头单位"},
		{SheetSupervision, "监管单位编码", "必填：部门"},
		{SheetSupervision, "被监管单位编码", "必填：部门、乡镇或企业（如应急管理局监管的煤矿）"},
		{"", "", "导入只新增和更新，不删除：表中没有的单位、人员、角色、委员会成员和监管关系保持不变。任何一行有错误时整个文件都不导入，并列出每处错误的行和列。重复导入同一文件不会产生变化。"},
	} {
		g.add(cell{x[0], 0}, cell{x[1], 0}, cell{x[2], b.wrap})
	}
	g.widths[2] = 80
	g.done()
	return b.bytes()
}

// dropList offers choices in a column's data cells.
func (b *book) dropList(sheet, col string, choices []string) {
	if b.err != nil {
		return
	}
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, MaxOrgRows+1))
	b.fail(dv.SetDropList(choices))
	dv.SetError(excelize.DataValidationErrorStyleWarning, "请从列表中选择", "可选："+strings.Join(choices, "、"))
	b.fail(b.f.AddDataValidation(sheet, dv))
}
