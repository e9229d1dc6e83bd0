package excel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// ---------------------------------------------------------------- labels

// label is a stored code and what officials call it.
type label struct{ code, label string }

func labelOf(list []label, code string) string {
	for _, l := range list {
		if l.code == code {
			return l.label
		}
	}
	return code
}

func labelChoices(list []label) []string {
	out := make([]string, len(list))
	for i, l := range list {
		out[i] = l.label
	}
	return out
}

// codeByLabel reads a code from its label, its code (in any case) or one of
// the aliases.
func codeByLabel(list []label, aliases map[string]string, s string) (string, bool) {
	for _, l := range list {
		if s == l.label || strings.EqualFold(s, l.code) {
			return l.code, true
		}
	}
	code, ok := aliases[s]
	return code, ok
}

var sectorLabels = []label{
	{"coal_mine", "煤矿"}, {"non_coal_mine", "非煤矿山"}, {"hazardous_chemicals", "危险化学品"}, {"construction", "建筑施工"},
	{"road_transport", "道路运输"}, {"gas", "城镇燃气"}, {"industry_trade", "工贸"}, {"fireworks", "烟花爆竹"}, {"other", "其他"},
}

// SectorLabel is a production unit's sector (行业领域) in Chinese: 煤矿, 非煤矿山, 危险化学品 ….
func SectorLabel(sector string) string { return labelOf(sectorLabels, sector) }

var sourceLabels = []label{{"ventilation", "一通三防"}, {"rock_burst", "冲击地压"}, {"daily", "日常监管"}, {"other", "其他"}}

var sourceAliases = map[string]string{
	"一通三防专项监察": "ventilation", "冲击地压专项监察": "rock_burst", "日常": "daily", "日常检查": "daily",
}

// HazardSourceLabel is where a hazard came from: 一通三防, 冲击地压, 日常监管, 其他.
func HazardSourceLabel(source string) string { return labelOf(sourceLabels, source) }

var levelLabels = []label{{domain.HazardGeneral, "一般"}, {domain.HazardMajor, "重大"}}

var levelAliases = map[string]string{
	"一般隐患": domain.HazardGeneral, "一般事故隐患": domain.HazardGeneral,
	"重大隐患": domain.HazardMajor, "重大事故隐患": domain.HazardMajor,
}

// HazardLevelLabel is a hazard's level: 一般 or 重大.
func HazardLevelLabel(level string) string { return labelOf(levelLabels, level) }

var finderLabels = []label{{"inspection", "检查发现"}, {"self", "企业自查"}, {"report", "举报"}, {domain.HazardFoundByDrill, "联合演练发现"}}

// HazardFinderLabel is how a hazard was found: 检查发现, 企业自查, 举报, 联合演练发现.
func HazardFinderLabel(foundBy string) string { return labelOf(finderLabels, foundBy) }

var hazardStatusLabels = []struct {
	status      domain.Status
	label, fill string
}{
	{domain.HazardOpen, "待整改", ""},
	{domain.HazardPlanned, "方案待审", fillPending},
	{domain.HazardPlanReturned, "方案退回", fillWarn},
	{domain.HazardListed, "挂牌督办", fillLate},
	{domain.HazardSubmitted, "待复查", fillPending},
	{domain.HazardReturned, "退回整改", fillWarn},
	{domain.HazardClosed, "已销号", fillGood},
}

// HazardStatusLabel is where a hazard's loop stands: 待整改, 方案待审, 方案退回,
// 挂牌督办, 待复查, 退回整改, 已销号.
func HazardStatusLabel(s domain.Status) string {
	for _, l := range hazardStatusLabels {
		if l.status == s {
			return l.label
		}
	}
	return s.String()
}

func hazardStatusFill(s domain.Status) string {
	for _, l := range hazardStatusLabels {
		if l.status == s {
			return l.fill
		}
	}
	return ""
}

// HazardOverdue says whether a hazard is open (not closed, whatever step its
// loop is at) past its deadline at now.
func HazardOverdue(h store.Hazard, now time.Time) bool {
	return h.Status != domain.HazardClosed && !h.Deadline.IsZero() && now.After(h.Deadline)
}

var decisionLabels = []label{{"warning", "警告"}, {"fine", "罚款"}, {"stop", "责令停产停业"}, {"suspend_licence", "暂扣证照"},
	{"confiscate", "没收"}, {"close", "关闭"}}

// CaseDecisionLabel is an enforcement decision: 警告, 罚款, 责令停产停业, 暂扣证照, 没收, 关闭.
func CaseDecisionLabel(decision string) string { return labelOf(decisionLabels, decision) }

var stepLabels = []label{{domain.CaseFiled.String(), "立案"}, {domain.CaseInvestigating.String(), "调查取证"},
	{domain.CaseNotified.String(), "告知"}, {domain.CaseDecided.String(), "决定"}, {domain.CaseExecuting.String(), "执行"},
	{domain.CaseClosed.String(), "结案"}}

// CaseStepLabel is a case's step: 立案, 调查取证, 告知, 决定, 执行, 结案.
func CaseStepLabel(step string) string { return labelOf(stepLabels, step) }

// ---------------------------------------------------------------- styles

// restyled is a new style: base's (0: the text style) changed by change.
func (b *book) restyled(base int, change func(*excelize.Style)) int {
	if b.err != nil {
		return 0
	}
	if base == 0 {
		base = b.text
	}
	s, err := b.f.GetStyle(base)
	if err != nil {
		b.fail(err)
		return 0
	}
	change(s)
	id, err := b.f.NewStyle(s)
	b.fail(err)
	return id
}

// numFmt is base with a custom number format.
func (b *book) numFmt(base int, format string) int {
	return b.restyled(base, func(s *excelize.Style) { s.NumFmt, s.CustomNumFmt = 0, &format })
}

// tint gives cells a fill colour, keeping each cell's other style: a style
// made once per style it tints.
type tint struct {
	b     *book
	color string
	ids   map[int]int
}

func (b *book) tint(color string) *tint { return &tint{b: b, color: color, ids: map[int]int{}} }

func (t *tint) of(c cell) cell {
	id, ok := t.ids[c.style]
	if !ok {
		id = t.b.restyled(c.style, func(s *excelize.Style) {
			s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{t.color}}
		})
		t.ids[c.style] = id
	}
	c.style = id
	return c
}

// day is a calendar day's cell (the day itself, no time zone), empty for none.
func (b *book) day(d store.Date, style int) cell {
	if d.IsZero() {
		return cell{nil, style}
	}
	return cell{time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), style}
}

// ---------------------------------------------------------------- hazard ledger

// HazardSheet is a list of hazards for the 隐患台账.
type HazardSheet struct {
	// Title, when not empty, is a row above the header.
	Title   string
	Hazards []store.Hazard
	// Now is the campaign's time: a hazard not closed past its deadline is
	// overdue, its row red (zero: not judged).
	Now time.Time
	// Location is the time zone of deadlines and times (nil: DefaultLocation).
	Location *time.Location
}

var hazardLedgerHeaders = []string{"隐患编号", "单位", "行业领域", "工作面", "隐患来源", "隐患等级", "隐患类别", "隐患描述", "隐患部位",
	"发现方式", "发现单位", "发现日期", "整改期限", "状态", "是否逾期",
	"整改措施", "整改资金（元）", "方案整改时限", "整改责任人", "应急预案", "整改情况", "挂牌督办领导", "销号时间"}

// HazardLedger writes sheet 隐患台账: a row per hazard with its whole loop —
// number, unit, sector, face, source, level, category, description,
// location, how and by whom it was found, the day found, the deadline, the
// status, whether it is overdue; for a major hazard its plan's five parts
// (五到位: measures, funds, time limit, responsible person, contingency
// plan); the rectification, the county leader supervising it (挂牌督办) and
// when it was closed (销号). An overdue row is red.
func HazardLedger(h HazardSheet) ([]byte, error) {
	b := newBook()
	dayStyle, money := b.numFmt(b.date, "yyyy-mm-dd"), b.numFmt(b.decimal, "#,##0.00")
	red := b.tint(fillBad)
	t := b.table("隐患台账", h.Title, hazardLedgerHeaders, 2)
	for _, x := range h.Hazards {
		sector := cell{nil, 0}
		if x.Sector != nil {
			sector.v = SectorLabel(*x.Sector)
		}
		overdue := cell{nil, b.fills[""]}
		late := !h.Now.IsZero() && HazardOverdue(x, h.Now)
		switch {
		case late:
			overdue.v = "是"
		case !h.Now.IsZero():
			overdue.v = "否"
		}
		var plan *domain.Plan // a major hazard's, once submitted
		planCells := []cell{{nil, b.wrap}, {nil, money}, {nil, b.text}, {nil, 0}, {nil, b.wrap}}
		if len(x.Plan) > 0 && json.Unmarshal(x.Plan, &plan) == nil && plan != nil {
			planCells = []cell{{plan.Measures, b.wrap}, {plan.Funds, money}, b.when(plan.Deadline, h.Location), {plan.Responsible, 0},
				{plan.Contingency, b.wrap}}
		}
		deadline := x.Deadline
		cells := []cell{{x.ID, b.number}, {x.UnitName, 0}, sector, {ptrText(x.FaceName), 0}, {HazardSourceLabel(x.Source), 0},
			{HazardLevelLabel(x.Level), b.fills[""]}, {x.Category, b.wrap}, {x.Description, b.wrap}, {x.Location, b.wrap},
			{HazardFinderLabel(x.FoundBy), 0}, {x.FinderName, 0}, b.day(x.FoundOn, dayStyle), b.when(&deadline, h.Location),
			{HazardStatusLabel(x.Status), b.fills[hazardStatusFill(x.Status)]}, overdue}
		cells = append(cells, planCells...)
		cells = append(cells, cell{ptrText(x.Rectification), b.wrap}, cell{ptrText(x.Supervisor), 0}, b.when(x.ClosedAt, h.Location))
		if late {
			for i := range cells {
				cells[i] = red.of(cells[i])
			}
		}
		t.add(cells...)
	}
	t.widths[6] = min(t.widths[6], 30) // 隐患类别: the coal-mine categories are long, wrapped
	t.done()
	return b.bytes()
}

func ptrText(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// ---------------------------------------------------------------- case ledger

// CaseSheet is a list of enforcement cases for the 执法案件台账.
type CaseSheet struct {
	// Title, when not empty, is a row above the header.
	Title string
	Cases []store.Case
	// Location is the time zone of the closing times (nil: DefaultLocation).
	Location *time.Location
}

var caseLedgerHeaders = []string{"案件编号", "被查处单位", "行业领域", "执法机关", "违法行为", "法律依据", "处理决定", "罚款金额（元）",
	"办理环节", "文书编号", "立案日期", "结案时间"}

// CaseLedger writes sheet 执法案件台账: a row per case — unit, sector,
// authority, violation, legal basis, decision, fine, the step it is at, the
// numbers of its documents by step (立案：…), the day filed and when it was
// closed — and below the table (outside its filter) a row with the number
// of cases and the total of their fines.
func CaseLedger(c CaseSheet) ([]byte, error) {
	b := newBook()
	dayStyle, money := b.numFmt(b.date, "yyyy-mm-dd"), b.numFmt(b.decimal, "#,##0.00")
	t := b.table("执法案件台账", c.Title, caseLedgerHeaders, 2)
	var total float64
	for _, x := range c.Cases {
		sector, decision, fine := cell{nil, 0}, cell{nil, 0}, cell{nil, money}
		if x.Sector != nil {
			sector.v = SectorLabel(*x.Sector)
		}
		if x.Decision != nil {
			decision.v = CaseDecisionLabel(*x.Decision)
		}
		if x.Fine != nil {
			fine.v = *x.Fine
			total += *x.Fine
		}
		t.add(cell{x.ID, b.number}, cell{x.UnitName, 0}, sector, cell{x.Authority, 0}, cell{x.Violation, b.wrap},
			cell{x.LegalBasis, b.wrap}, decision, fine, cell{CaseStepLabel(x.Step.String()), b.fills[""]},
			cell{caseNumbers(x.Numbers), b.wrap}, b.day(x.FiledOn, dayStyle), b.when(x.ClosedAt, c.Location))
	}
	t.done()
	// the total below the filtered range, so that sorting and filtering leave it last
	bold := b.restyled(b.text, func(s *excelize.Style) { s.Font = &excelize.Font{Bold: true} })
	boldMoney := b.restyled(money, func(s *excelize.Style) { s.Font = &excelize.Font{Bold: true} })
	cells := make([]cell, len(caseLedgerHeaders))
	for i := range cells {
		cells[i] = cell{nil, bold}
	}
	cells[0].v, cells[1].v = "合计", fmt.Sprintf("%d 件", len(c.Cases))
	cells[7] = cell{math.Round(total*100) / 100, boldMoney}
	t.add(cells...)
	return b.bytes()
}

// caseNumbers lists a case's document numbers (step → number) a line each,
// in the order of the steps: 立案：麟应急立〔2021〕3号.
func caseNumbers(raw store.JSON) string {
	var numbers map[string]string
	if len(raw) == 0 || json.Unmarshal(raw, &numbers) != nil || len(numbers) == 0 {
		return ""
	}
	keys := make([]string, 0, len(numbers))
	for k := range numbers {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.IndexFunc(stepLabels, func(l label) bool { return l.code == k }); i >= 0 {
			return i
		}
		return len(stepLabels)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		if numbers[k] != "" {
			lines = append(lines, CaseStepLabel(k)+"："+numbers[k])
		}
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------- hazard import

// The sheets of the hazard template.
const (
	SheetHazards    = "隐患"
	SheetCategories = "隐患类别"
)

// MaxHazardRows is the most hazards one file may hold (its size is bounded by MaxOrgFileSize).
const MaxHazardRows = 2000

// hazardHeaders are the columns of sheet 隐患, domain.NewHazard's fields in order.
var hazardHeaders = []string{"单位编码", "工作面编码", "隐患来源", "隐患等级", "隐患类别", "隐患描述", "隐患部位", "发现日期", "整改期限"}

// hazardColumn is the column (0-based) of each field domain.NewHazard.Validate names.
var hazardColumn = map[string]int{"unit": 0, "face": 1, "source": 2, "level": 3, "category": 4, "description": 5,
	"location": 6, "found_on": 7, "deadline": 8}

const maxCategory = 100

// categoryColumns are the columns of sheet 隐患类别 after the category: which
// kinds of hazard take it, a sector and a level each.
var categoryColumns = []struct{ header, sector, level string }{
	{"煤矿重大隐患", "coal_mine", domain.HazardMajor},
	{"煤矿一般隐患", "coal_mine", domain.HazardGeneral},
	{"其他行业", "other", domain.HazardGeneral},
}

// allCategories are the categories of every sector, the coal-mine standard's first.
func allCategories() []string {
	var out []string
	for _, c := range append(slices.Clone(domain.CoalMajorCategories), domain.OtherCategories...) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// categoryFits says whether domain.NewHazard.Validate takes the category for
// a hazard of the level at a unit of the sector: the domain's rule, whatever
// it is, asked rather than copied.
func categoryFits(sector, level, category string) bool {
	h := domain.NewHazard{Level: level, Category: category}
	var v domain.ValidationError
	h.Validate(sector, time.Now(), &v)
	return !slices.ContainsFunc(v.Fields, func(f domain.FieldError) bool { return f.Field == "category" })
}

// categoriesFor are the categories a hazard of the level at a unit of the sector takes.
func categoriesFor(sector, level string) []string {
	var out []string
	for _, c := range allCategories() {
		if categoryFits(sector, level, c) {
			out = append(out, c)
		}
	}
	return out
}

// HazardTemplate is the empty template of an inspection's hazards: sheet 隐患
// (单位编码, 工作面编码, 隐患来源, 隐患等级, 隐患类别, 隐患描述, 隐患部位, 发现日期,
// 整改期限) with drop-downs for the source, the level and the category, and
// sheet 隐患类别, the categories of coal mines and of the other sectors.
func HazardTemplate() ([]byte, error) {
	b := newBook()
	t := b.table(SheetHazards, "", hazardHeaders, 1)
	t.widths[4], t.widths[5], t.widths[6] = 30, 40, 20
	t.widths[7], t.widths[8] = 12, 12
	t.done()
	b.dropList(SheetHazards, "C", labelChoices(sourceLabels))
	b.dropList(SheetHazards, "D", labelChoices(levelLabels))

	headers := []string{"隐患类别"}
	for _, k := range categoryColumns {
		headers = append(headers, k.header)
	}
	c := b.table(SheetCategories, "", headers, 1)
	for _, x := range allCategories() {
		cells := []cell{{x, 0}}
		for _, k := range categoryColumns {
			mark := cell{nil, b.fills[""]}
			if categoryFits(k.sector, k.level, x) {
				mark.v = "✓"
			}
			cells = append(cells, mark)
		}
		c.add(cells...)
	}
	c.widths[0] = min(c.widths[0], 50)
	c.done()
	if b.err == nil {
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("E2:E%d", MaxOrgRows+1))
		dv.SetSqrefDropList(fmt.Sprintf("'%s'!$A$2:$A$%d", SheetCategories, c.row))
		dv.SetError(excelize.DataValidationErrorStyleWarning, "请从列表中选择", "各行业、各等级隐患适用的类别不同，见“隐患类别”表")
		b.fail(b.f.AddDataValidation(SheetHazards, dv))
	}
	return b.bytes()
}

// ParseHazards reads the hazards of an inspection from a workbook filled in
// from HazardTemplate, row by row: a source and a level by their Chinese
// names (一通三防, 重大 …) or their codes (ventilation, major …), dates as
// Excel dates or written out (2021-03-05, 2021/3/5, 2021年3月5日), a deadline
// without a time of day at the end of that day (county time). Each row is
// checked by domain.NewHazard.Validate with its unit's sector (sectorOf; an
// unknown unit is refused), its category among the sector's, no two rows
// alike; every refused cell is one RowError (隐患 第3行 C列：…). The hazards
// are found by inspection (FoundBy "inspection"; the caller sets Inspection)
// and are answered only when every row is valid: with any error, none.
func ParseHazards(r io.Reader, sectorOf func(unitCode string) (string, bool), now time.Time) ([]domain.NewHazard, []RowError) {
	data, err := io.ReadAll(io.LimitReader(r, MaxOrgFileSize+1))
	if err != nil {
		return nil, []RowError{{Message: "读取文件失败：" + err.Error()}}
	}
	if len(data) > MaxOrgFileSize {
		return nil, []RowError{{Message: fmt.Sprintf("文件不能超过 %d MB", MaxOrgFileSize>>20)}}
	}
	// raw values: a date is its serial number, whatever format shows it
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return nil, []RowError{{Message: "不是有效的 Excel 工作簿（.xlsx），请用隐患导入模板填写后上传"}}
	}
	defer func() { _ = f.Close() }()
	date1904 := false // a workbook from old Excel for Mac counts days from 1904
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	p := &parser{f: f}
	var out []domain.NewHazard
	n, seen := 0, map[string]int{}
	found := p.sheet(SheetHazards, hazardHeaders, func(r *rowIn) {
		if n++; n > MaxHazardRows {
			if n == MaxHazardRows+1 {
				p.errs = append(p.errs, RowError{Sheet: SheetHazards, Row: r.row, Message: fmt.Sprintf("一个文件最多 %d 条隐患", MaxHazardRows)})
			}
			return
		}
		if h, ok := parseHazard(r, sectorOf, now, date1904); ok {
			key := strings.Join([]string{h.Unit, h.Face, h.FoundOn, h.Description}, "\x00")
			if first, dup := seen[key]; dup {
				r.fail(5, fmt.Sprintf("与第%d行重复（同一单位、工作面、发现日期和隐患描述）", first))
				return
			}
			seen[key] = r.row
			out = append(out, h)
		}
	})
	errs := p.errs
	switch {
	case found == 0:
		errs = append(errs, RowError{Message: "工作簿中没有“隐患”表，请用隐患导入模板填写"})
	case n == 0 && len(errs) == 0:
		errs = append(errs, RowError{Sheet: SheetHazards, Message: "表中没有隐患：请从第2行起每行填写一条隐患"})
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, dedupe(errs)
	}
	return out, nil
}

// parseHazard reads one row; false when any of its cells is refused.
func parseHazard(r *rowIn, sectorOf func(string) (string, bool), now time.Time, date1904 bool) (domain.NewHazard, bool) {
	h := domain.NewHazard{FoundBy: "inspection"}
	failed := map[int]bool{}
	fail := func(col int, msg string) {
		if !failed[col] {
			failed[col] = true
			r.fail(col, msg)
		}
	}
	problem := func(col int, msg string) bool {
		if msg != "" {
			fail(col, msg)
		}
		return msg != ""
	}
	hd := hazardHeaders

	h.Unit = r.cell(0)
	sector := ""
	if !problem(0, codeProblem(hd[0], h.Unit, true)) {
		s, ok := sectorOf(h.Unit)
		if !ok {
			fail(0, fmt.Sprintf("单位“%s”不存在：未在系统中登记为生产经营单位", h.Unit))
		}
		sector = s
	}

	h.Face = r.cell(1)
	if !problem(1, textProblem(hd[1], h.Face, false, 40)) && h.Face != "" && !validFace(h.Face) {
		fail(1, hd[1]+"“"+h.Face+"”只能用字母、数字、_ 和 -，最长 40 个字符，例如 4201、3104j")
	}

	choose := func(col int, list []label, aliases map[string]string, dst *string) {
		s := r.cell(col)
		if problem(col, textProblem(hd[col], s, true, 20)) {
			return
		}
		if code, ok := codeByLabel(list, aliases, s); ok {
			*dst = code
			return
		}
		fail(col, hd[col]+"“"+s+"”"+domain.MsgOneOf(labelChoices(list)...))
	}
	choose(2, sourceLabels, sourceAliases, &h.Source)
	choose(3, levelLabels, levelAliases, &h.Level)

	h.Category = r.cell(4)
	problem(4, textProblem(hd[4], h.Category, true, maxCategory)) // its sector's categories: Validate

	h.Description, h.Location = r.cell(5), r.cell(6)

	foundOn, deadline := r.cell(7), r.cell(8)
	switch day, _, ok := excelDay(foundOn, date1904); {
	case foundOn == "":
		fail(7, hd[7]+"不能为空")
	case !ok:
		fail(7, fmt.Sprintf("%s“%s”不是日期，应为日期，例如 2021-03-05", hd[7], printable(foundOn)))
	default:
		h.FoundOn = day.Format(time.DateOnly)
	}
	switch at, withTime, ok := excelDay(deadline, date1904); {
	case deadline == "":
		fail(8, hd[8]+"不能为空")
	case !ok:
		fail(8, fmt.Sprintf("%s“%s”不是日期，应为日期，例如 2021-03-20（当天 24 时前），或日期和时间，例如 2021-03-20 18:00", hd[8], printable(deadline)))
	default:
		if !withTime {
			at = at.Add(24*time.Hour - time.Second) // the end of that day
		}
		h.Deadline = &at
	}

	// the domain's rules; a cell refused above keeps its first message
	var v domain.ValidationError
	h.Inspection = 1 // the caller's
	h.Validate(sector, now, &v)
	h.Inspection = 0
	for _, e := range v.Fields {
		col, ok := hazardColumn[e.Field]
		if !ok {
			r.p.errs = append(r.p.errs, RowError{Sheet: r.sheet, Row: r.row, Message: e.Field + "：" + e.Detail})
			r.bad = true
			continue
		}
		switch {
		case e.Detail == domain.MsgRequired:
			fail(col, hd[col]+"不能为空")
		case e.Field == "category":
			kind := SectorLabel(sector) + "的"
			if h.Level != "" {
				kind += HazardLevelLabel(h.Level)
			}
			fail(col, fmt.Sprintf("隐患类别“%s”不适用于%s隐患，应为以下之一（见“隐患类别”表）：%s", h.Category, kind,
				strings.Join(categoriesFor(sector, h.Level), "、")))
		default:
			fail(col, hd[col]+e.Detail)
		}
	}
	return h, !r.bad
}

// validFace is a face code as work_faces takes it.
func validFace(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// dayLayouts are the ways a date, with or without a time, is written in a cell.
var dayLayouts = []string{"2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102",
	"2006-1-2 15:04", "2006-1-2 15:04:05", "2006/1/2 15:04", "2006/1/2 15:04:05", "2006年1月2日 15:04", "2006年1月2日15:04",
	"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// excelDay reads a date cell — an Excel serial date (the raw value), a date
// cell's ISO 8601 value or a date written out — as the county's wall time
// (Excel dates have no zone); withTime says whether it has a time of day
// other than 00:00.
func excelDay(s string, date1904 bool) (t time.Time, withTime, ok bool) {
	if x, err := strconv.ParseFloat(s, 64); err == nil && x >= 1 && x < 2958466 && !strings.ContainsAny(s, "eE") {
		d, err := excelize.ExcelDateToTime(x, date1904)
		if err != nil {
			return time.Time{}, false, false
		}
		d = d.Round(time.Second)
		t = time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, domain.DefaultZone)
	} else {
		s = strings.TrimSuffix(strings.Join(strings.Fields(s), " "), "Z")
		i := slices.IndexFunc(dayLayouts, func(l string) bool {
			var err error
			t, err = time.ParseInLocation(l, s, domain.DefaultZone)
			return err == nil
		})
		if i < 0 {
			return time.Time{}, false, false
		}
	}
	return t, t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0, true
}
