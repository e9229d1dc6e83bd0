package excel

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
)

// The sheets of the organisation template, in their order.
const (
	SheetUnits       = "单位"
	SheetPeople      = "负责人"
	SheetCommittees  = "委员会"
	SheetSupervision = "监管"
	SheetGuide       = "填写说明"
)

// The columns of each sheet, in their order.
var (
	unitHeaders        = []string{"单位编码", "单位名称", "类别", "上级单位编码"}
	personHeaders      = []string{"人员标识", "姓名", "职务", "所在单位编码", "角色"}
	seatHeaders        = []string{"委员会编码", "成员单位编码", "是否牵头"}
	supervisionHeaders = []string{"监管单位编码", "被监管单位编码"}
)

// Limits of an import.
const (
	// MaxOrgFileSize is the largest workbook ParseOrg reads.
	MaxOrgFileSize = 10 << 20
	// MaxOrgRows is the most data rows a sheet may have.
	MaxOrgRows = 5000
	maxName    = 100
	maxTitle   = 100
)

// Org is an organisation as the template holds it: units, people with their
// roles, committee seats and supervision. Each item's Row is its row in its
// sheet (0 for one not read from a file), for the errors that name it.
type Org struct {
	Units       []OrgUnit        `json:"units"`
	People      []OrgPerson      `json:"people"`
	Committees  []OrgSeat        `json:"committees"`
	Supervision []OrgSupervision `json:"supervision"`
}

// OrgUnit is a row of sheet 单位: a unit by its code.
type OrgUnit struct {
	Row  int             `json:"row"`
	Code string          `json:"code"`
	Name string          `json:"name"`
	Kind domain.UnitKind `json:"kind"`
	// Parent is the parent unit's code: every unit has one but the county.
	Parent string `json:"parent,omitempty"`
}

// OrgPerson is a row of sheet 负责人: a person (by key) in their unit, with a
// role there. A person with several roles has a row for each, with the same
// name and title; the first row's unit is the person's own unit. Without a
// role the row only registers the person.
type OrgPerson struct {
	Row   int         `json:"row"`
	Key   string      `json:"key"`
	Name  string      `json:"name"`
	Title string      `json:"title"`
	Unit  string      `json:"unit"`
	Role  domain.Role `json:"role"`
}

// OrgSeat is a row of sheet 委员会: a unit's seat on a committee, and whether
// it leads the committee (one lead per committee).
type OrgSeat struct {
	Row       int    `json:"row"`
	Committee string `json:"committee"`
	Unit      string `json:"unit"`
	Lead      bool   `json:"lead"`
}

// OrgSupervision is a row of sheet 监管: a department supervises a unit.
type OrgSupervision struct {
	Row        int    `json:"row"`
	Supervisor string `json:"supervisor"`
	Supervised string `json:"supervised"`
}

// RowError is one refused cell (or row, or sheet, or file), in Chinese.
type RowError struct {
	Sheet   string `json:"sheet,omitempty"`
	Row     int    `json:"row,omitempty"`    // 1 is the header row; 0: the whole sheet or file
	Column  string `json:"column,omitempty"` // "A", "B" …; "": the whole row
	Message string `json:"message"`
}

// Error reads 单位 第3行 B列：单位名称不能为空.
func (e RowError) Error() string {
	var where string
	switch {
	case e.Row > 0 && e.Column != "":
		where = fmt.Sprintf("第%d行 %s列", e.Row, e.Column)
	case e.Row > 0:
		where = fmt.Sprintf("第%d行", e.Row)
	}
	switch {
	case e.Sheet != "" && where != "":
		return e.Sheet + " " + where + "：" + e.Message
	case e.Sheet != "":
		return e.Sheet + "：" + e.Message
	case where != "":
		return where + "：" + e.Message
	}
	return e.Message
}

// ImportError is an organisation ApplyOrg refused, nothing written: every
// error found, in sheet, row and column order.
type ImportError struct {
	Errors []RowError `json:"errors"`
}

func (e *ImportError) Error() string {
	if len(e.Errors) == 1 {
		return e.Errors[0].Error()
	}
	return fmt.Sprintf("%s（共 %d 处错误）", e.Errors[0].Error(), len(e.Errors))
}

// ---------------------------------------------------------------- labels

// kindByLabel reads a kind from its label or its name.
func kindByLabel(s string) (domain.UnitKind, bool) {
	for _, k := range kindLabels {
		if s == k.label || s == k.kind.String() {
			return k.kind, true
		}
	}
	switch s {
	case "乡", "镇", "街道":
		return domain.KindTown, true
	}
	return domain.UnitKind{}, false
}

func kindChoices() []string {
	out := make([]string, len(kindLabels))
	for i, k := range kindLabels {
		out[i] = k.label
	}
	return out
}

// roleByLabel reads a role from its label or its name.
func roleByLabel(s string) (domain.Role, bool) {
	for _, r := range roleLabels {
		if s == r.label || s == r.role.String() {
			return r.role, true
		}
	}
	return domain.Role{}, false
}

func roleChoices() []string {
	out := make([]string, len(roleLabels))
	for i, r := range roleLabels {
		out[i] = r.label
	}
	return out
}

func leadByLabel(s string) (lead, ok bool) {
	switch strings.ToLower(s) {
	case "", "否", "n", "no", "false", "0":
		return false, true
	case "是", "牵头", "y", "yes", "true", "1":
		return true, true
	}
	return false, false
}

func leadLabel(lead bool) string {
	if lead {
		return "是"
	}
	return "否"
}

// ---------------------------------------------------------------- field rules

var (
	validCode      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	validPersonKey = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
)

const (
	msgCode      = "只能用小写字母、数字和连字符（-），以字母或数字开头，最长 63 个字符，例如 yjj、c-road"
	msgPersonKey = "只能用小写字母、数字和 . _ -，以字母或数字开头，最长 63 个字符，例如 yjj-head"
)

// textProblem checks a text field by the project's rules (domain.TextProblem:
// no NUL, no invalid UTF-8, no control characters), and, names and codes
// being one line, no line break or tab; "" when s is fine.
func textProblem(header, s string, required bool, maxLen int) string {
	switch {
	case domain.TextProblem(s) != "":
		return header + domain.TextProblem(s)
	case s == "" && required:
		return header + "不能为空"
	case strings.ContainsAny(s, "\n\t"):
		return header + "不能换行，也不能含有制表符"
	case utf8.RuneCountInString(s) > maxLen:
		return header + domain.MsgAtMost(maxLen)
	}
	return ""
}

// codeProblem checks a unit code: required (or optional), storable, well formed.
func codeProblem(header, s string, required bool) string {
	if p := textProblem(header, s, required, 63); p != "" || s == "" {
		return p
	}
	if !validCode.MatchString(s) {
		return header + "“" + s + "”" + msgCode
	}
	return ""
}

// ---------------------------------------------------------------- parse

// ParseOrg reads an organisation workbook filled in from OrgTemplate, cell by
// cell: every refused cell is one RowError (第3行 B列：单位名称不能为空), and a
// row with any refused cell is left out of the Org. It checks everything the
// file itself shows — codes, names, kinds and roles, text PostgreSQL can
// store, duplicates, one lead per committee, one county, a parent for every
// other unit, the same name for a person on every row, parent cycles, and
// references to units the file defines (kinds of committees and
// supervisors). A reference to a unit the file does not define may name one
// already registered: ApplyOrg (or CheckOrg) checks those against the
// database. Missing sheets are allowed (a file of people only adds people);
// a workbook with none of them is refused.
func ParseOrg(r io.Reader) (Org, []RowError) {
	var org Org
	data, err := io.ReadAll(io.LimitReader(r, MaxOrgFileSize+1))
	if err != nil {
		return org, []RowError{{Message: "读取文件失败：" + err.Error()}}
	}
	if len(data) > MaxOrgFileSize {
		return org, []RowError{{Message: fmt.Sprintf("文件不能超过 %d MB", MaxOrgFileSize>>20)}}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return org, []RowError{{Message: "不是有效的 Excel 工作簿（.xlsx），请用导入模板填写后上传"}}
	}
	defer func() { _ = f.Close() }()
	p := &parser{f: f}
	found := 0
	found += p.sheet(SheetUnits, unitHeaders, func(r *rowIn) {
		u := OrgUnit{Row: r.row, Code: r.code(0, true), Name: r.text(1, true, maxName), Parent: r.code(3, false)}
		kind := r.cell(2)
		switch k, ok := kindByLabel(kind); {
		case r.problem(2, textProblem(unitHeaders[2], kind, true, 20)):
		case !ok:
			r.fail(2, unitHeaders[2]+"“"+kind+"”"+domain.MsgOneOf(kindChoices()...))
		default:
			u.Kind = k
		}
		if !r.bad {
			org.Units = append(org.Units, u)
		}
	})
	found += p.sheet(SheetPeople, personHeaders, func(r *rowIn) {
		key := r.cell(0)
		if !r.problem(0, textProblem(personHeaders[0], key, true, 63)) && !validPersonKey.MatchString(key) {
			r.fail(0, personHeaders[0]+"“"+key+"”"+msgPersonKey)
		}
		p := OrgPerson{Row: r.row, Key: key, Name: r.text(1, true, maxName), Title: r.text(2, false, maxTitle), Unit: r.code(3, true)}
		role := r.cell(4)
		if !r.problem(4, textProblem(personHeaders[4], role, false, 20)) && role != "" {
			if x, ok := roleByLabel(role); ok {
				p.Role = x
			} else {
				r.fail(4, personHeaders[4]+"“"+role+"”"+domain.MsgOneOf(roleChoices()...))
			}
		}
		if !r.bad {
			org.People = append(org.People, p)
		}
	})
	found += p.sheet(SheetCommittees, seatHeaders, func(r *rowIn) {
		s := OrgSeat{Row: r.row, Committee: r.code(0, true), Unit: r.code(1, true)}
		lead := r.cell(2)
		if !r.problem(2, textProblem(seatHeaders[2], lead, false, 10)) {
			if x, ok := leadByLabel(lead); ok {
				s.Lead = x
			} else {
				r.fail(2, seatHeaders[2]+"应为“是”或“否”")
			}
		}
		if !r.bad {
			org.Committees = append(org.Committees, s)
		}
	})
	found += p.sheet(SheetSupervision, supervisionHeaders, func(r *rowIn) {
		s := OrgSupervision{Row: r.row, Supervisor: r.code(0, true), Supervised: r.code(1, true)}
		if !r.bad {
			org.Supervision = append(org.Supervision, s)
		}
	})
	if found == 0 {
		return org, []RowError{{Message: "工作簿中没有“单位”“负责人”“委员会”“监管”中的任何一张表，请用导入模板填写"}}
	}
	errs := append(p.errs, org.check(nil)...)
	sortErrors(errs)
	return org, errs
}

type parser struct {
	f    *excelize.File
	errs []RowError
}

// rowIn is one data row being read.
type rowIn struct {
	p       *parser
	sheet   string
	headers []string
	row     int
	cells   []string
	bad     bool
}

// sheet reads a sheet's data rows with each, after checking its header; it
// answers 1 when the sheet exists.
func (p *parser) sheet(name string, headers []string, each func(*rowIn)) int {
	if i, err := p.f.GetSheetIndex(name); err != nil || i < 0 {
		return 0
	}
	rows, readable := p.rows(name)
	if !readable {
		return 1
	}
	var head []string
	if len(rows) > 0 {
		head = rows[0]
	}
	ok := true
	for i, h := range headers {
		got := ""
		if i < len(head) {
			got = strings.TrimSpace(head[i])
		}
		if got != h {
			ok = false
			p.errs = append(p.errs, RowError{Sheet: name, Row: 1, Column: colName(i + 1),
				Message: fmt.Sprintf("表头应为“%s”，实际为“%s”；请用导入模板，不要增删或调换列", h, printable(got))})
		}
	}
	if !ok {
		return 1
	}
	n := 0
	for i := 1; i < len(rows); i++ {
		cells := make([]string, len(headers))
		empty := true
		for j := range headers {
			if j < len(rows[i]) {
				cells[j] = domain.CleanText(rows[i][j])
				empty = empty && cells[j] == ""
			}
		}
		if empty {
			continue
		}
		if n++; n > MaxOrgRows {
			p.errs = append(p.errs, RowError{Sheet: name, Row: i + 1, Message: fmt.Sprintf("每张表最多 %d 行数据", MaxOrgRows)})
			break
		}
		each(&rowIn{p: p, sheet: name, headers: headers, row: i + 1, cells: cells})
	}
	return 1
}

// rows reads a sheet's rows (row i+1 at i, as excelize.GetRows, which
// passes over a row it cannot read); a sheet it cannot read is one error.
func (p *parser) rows(name string) ([][]string, bool) {
	it, err := p.f.Rows(name)
	if err != nil {
		p.errs = append(p.errs, RowError{Sheet: name, Message: msgUnreadable})
		return nil, false
	}
	defer func() { _ = it.Close() }()
	var rows [][]string
	last, filled := 0, 0
	for n := 1; it.Next(); n++ {
		cols, err := it.Columns()
		if err != nil {
			p.errs = append(p.errs, RowError{Sheet: name, Message: msgUnreadable})
			return nil, false
		}
		rows = append(rows, cols)
		if len(cols) > 0 {
			last = n
		}
		if slices.ContainsFunc(cols, func(c string) bool { return strings.TrimSpace(c) != "" }) {
			// past the rows a sheet may have: enough to refuse it
			if filled++; filled > MaxOrgRows+1 {
				break
			}
		}
	}
	if err := it.Error(); err != nil {
		p.errs = append(p.errs, RowError{Sheet: name, Message: msgUnreadable})
		return nil, false
	}
	return rows[:last], true
}

const msgUnreadable = "无法读取这张表：文件含有无效的编码（不是 UTF-8）或已损坏，请在 Excel 中另存为 .xlsx 后重新上传"

// printable shows refused text safely in a message.
func printable(s string) string {
	if domain.TextProblem(s) != "" {
		return strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				return '?'
			}
			return r
		}, s), "?")
	}
	return s
}

func (r *rowIn) cell(col int) string { return r.cells[col] }

func (r *rowIn) fail(col int, msg string) {
	r.bad = true
	r.p.errs = append(r.p.errs, RowError{Sheet: r.sheet, Row: r.row, Column: colName(col + 1), Message: msg})
}

// problem records msg against the cell unless it is empty, and says whether it did.
func (r *rowIn) problem(col int, msg string) bool {
	if msg == "" {
		return false
	}
	r.fail(col, msg)
	return true
}

func (r *rowIn) text(col int, required bool, maxLen int) string {
	s := r.cells[col]
	r.problem(col, textProblem(r.headers[col], s, required, maxLen))
	return s
}

func (r *rowIn) code(col int, required bool) string {
	s := r.cells[col]
	r.problem(col, codeProblem(r.headers[col], s, required))
	return s
}

var sheetOrder = []string{SheetUnits, SheetPeople, SheetCommittees, SheetSupervision}

// sortErrors orders errors by sheet, row and column, each once.
func sortErrors(errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int {
		return cmp.Or(cmp.Compare(slices.Index(sheetOrder, a.Sheet), slices.Index(sheetOrder, b.Sheet)),
			cmp.Compare(a.Row, b.Row), cmp.Compare(len(a.Column), len(b.Column)), cmp.Compare(a.Column, b.Column))
	})
}

// dedupe drops repeated errors (a sorted list).
func dedupe(errs []RowError) []RowError {
	return slices.Compact(errs)
}
