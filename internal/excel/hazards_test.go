package excel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

func ptr[T any](v T) *T { return &v }

// day is a date column's value as the store reads it.
func day(y int, m time.Month, d int) store.Date {
	return store.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// row reads a sheet's row, without its trailing empty cells.
func row(t *testing.T, f *excelize.File, sheet string, n int) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if n > len(rows) {
		return nil
	}
	r := rows[n-1]
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}

func TestHazardLedger(t *testing.T) {
	now := time.Date(2021, 3, 20, 10, 0, 0, 0, cst)
	planDue := time.Date(2021, 4, 30, 18, 0, 0, 0, cst)
	plan, err := json.Marshal(domain.Plan{Measures: "补打锚索，加强支护", Funds: 125000.5, Deadline: &planDue,
		Responsible: "王强（生产矿长）", Contingency: "冒顶事故应急预案"})
	if err != nil {
		t.Fatal(err)
	}
	closed := time.Date(2021, 3, 12, 9, 30, 0, 0, cst)
	hazards := []store.Hazard{
		// submitted for verification, but still open past its deadline: overdue
		{ID: 7, UnitName: "崔木煤矿", Sector: ptr("coal_mine"), FaceName: ptr("4201采煤工作面"), Source: "ventilation", Level: "general",
			Category: "通风系统不完善、不可靠", Description: "回风巷风量不足", Location: "4201回风巷", FoundBy: "inspection",
			FinderName: "县应急管理局", FoundOn: day(2021, 3, 5), Deadline: time.Date(2021, 3, 15, 18, 0, 0, 0, cst),
			Status: domain.HazardSubmitted, Rectification: ptr("已调整风门，风量达标")},
		// major, listed for county supervision with its plan, before its deadline
		{ID: 8, UnitName: "崔木煤矿", Sector: ptr("coal_mine"), Source: "rock_burst", Level: "major",
			Category: "有冲击地压危险未采取有效措施", Description: "未按规定卸压", FoundBy: "inspection", FinderName: "市应急管理局",
			FoundOn: day(2021, 3, 18), Deadline: time.Date(2021, 5, 1, 18, 0, 0, 0, cst), Status: domain.HazardListed,
			Plan: plan, SupervisorID: ptr(int64(3)), Supervisor: ptr("李县长")},
		// closed past its deadline: not overdue
		{ID: 9, UnitName: "金鑫化工有限公司", Sector: ptr("hazardous_chemicals"), Source: "daily", Level: "general",
			Category: "消防安全", Description: "消防通道堵塞", FoundBy: "self", FinderName: "金鑫化工有限公司",
			FoundOn: day(2021, 3, 1), Deadline: time.Date(2021, 3, 10, 18, 0, 0, 0, cst), Status: domain.HazardClosed,
			Rectification: ptr("已清理"), ClosedAt: &closed},
	}
	b, err := excel.HazardLedger(excel.HazardSheet{Title: "2021年隐患台账", Hazards: hazards, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "隐患台账")
	if v := value(t, f, "隐患台账", "A1"); v != "2021年隐患台账" {
		t.Errorf("title %q", v)
	}
	header(t, f, "隐患台账", 2, 2, "隐患编号", "单位", "行业领域", "工作面", "隐患来源", "隐患等级", "隐患类别", "隐患描述", "隐患部位",
		"发现方式", "发现单位", "发现日期", "整改期限", "状态", "是否逾期",
		"整改措施", "整改资金（元）", "方案整改时限", "整改责任人", "应急预案", "整改情况", "挂牌督办领导", "销号时间")
	for i, want := range [][]string{
		{"7", "崔木煤矿", "煤矿", "4201采煤工作面", "一通三防", "一般", "通风系统不完善、不可靠", "回风巷风量不足", "4201回风巷",
			"检查发现", "县应急管理局", "2021-03-05", "2021-03-15 18:00", "待复查", "是", "", "", "", "", "", "已调整风门，风量达标"},
		{"8", "崔木煤矿", "煤矿", "", "冲击地压", "重大", "有冲击地压危险未采取有效措施", "未按规定卸压", "",
			"检查发现", "市应急管理局", "2021-03-18", "2021-05-01 18:00", "挂牌督办", "否",
			"补打锚索，加强支护", "125,000.50", "2021-04-30 18:00", "王强（生产矿长）", "冒顶事故应急预案", "", "李县长"},
		{"9", "金鑫化工有限公司", "危险化学品", "", "日常监管", "一般", "消防安全", "消防通道堵塞", "",
			"企业自查", "金鑫化工有限公司", "2021-03-01", "2021-03-10 18:00", "已销号", "否", "", "", "", "", "", "已清理", "",
			"2021-03-12 09:30"},
	} {
		if got := row(t, f, "隐患台账", 3+i); !slices.Equal(got, want) {
			t.Errorf("row %d:\n got %q\nwant %q", 3+i, got, want)
		}
	}
	// the overdue row is red in every cell, whatever the cell's own style
	for _, c := range []string{"A3", "B3", "H3", "L3", "M3", "N3", "O3", "Q3", "W3"} {
		if got := fill(t, f, "隐患台账", c); got != "FFC7CE" {
			t.Errorf("overdue %s fill %q, want FFC7CE", c, got)
		}
	}
	for c, want := range map[string]string{"A4": "", "H4": "", "N4": "FCD5B4", "A5": "", "M5": "", "N5": "C6EFCE"} {
		if got := fill(t, f, "隐患台账", c); got != want {
			t.Errorf("%s fill %q, want %q", c, got, want)
		}
	}

	// without Now nothing is judged overdue
	b, err = excel.HazardLedger(excel.HazardSheet{Hazards: hazards})
	if err != nil {
		t.Fatal(err)
	}
	f = open(t, b, "隐患台账")
	header(t, f, "隐患台账", 1, 2, row(t, f, "隐患台账", 1)...)
	if v, c := value(t, f, "隐患台账", "O2"), fill(t, f, "隐患台账", "A2"); v != "" || c != "" {
		t.Errorf("without Now: 是否逾期 %q, fill %q", v, c)
	}
}

func TestCaseLedger(t *testing.T) {
	closed := time.Date(2021, 4, 2, 16, 0, 0, 0, cst)
	numbers := func(m map[string]string) store.JSON {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []store.Case{
		{ID: 3, UnitName: "崔木煤矿", Sector: ptr("coal_mine"), Authority: "县应急管理局", Violation: "瓦斯超限作业",
			LegalBasis: "《安全生产法》第一百一十二条", Decision: ptr("fine"), Fine: ptr(50000.0), Step: domain.CaseClosed,
			Numbers: numbers(map[string]string{"closed": "麟应急结〔2021〕2号", "filed": "麟应急立〔2021〕3号", "decided": "麟应急罚〔2021〕5号"}),
			FiledOn: day(2021, 3, 2), ClosedAt: &closed},
		{ID: 4, UnitName: "金鑫化工有限公司", Sector: ptr("hazardous_chemicals"), Authority: "县应急管理局", Violation: "未按规定检测报警",
			LegalBasis: "《危险化学品安全管理条例》", Decision: ptr("stop"), Fine: ptr(12000.25), Step: domain.CaseExecuting,
			Numbers: numbers(map[string]string{"filed": "麟应急立〔2021〕4号"}), FiledOn: day(2021, 3, 9)},
		{ID: 5, UnitName: "九成宫镇青石沟建筑石料矿", Authority: "县自然资源局", Violation: "超层越界开采", LegalBasis: "《矿产资源法》",
			Step: domain.CaseFiled, Numbers: store.JSON(`{}`), FiledOn: day(2021, 3, 19)},
	}
	b, err := excel.CaseLedger(excel.CaseSheet{Title: "执法案件台账", Cases: cases})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "执法案件台账")
	header(t, f, "执法案件台账", 2, 2, "案件编号", "被查处单位", "行业领域", "执法机关", "违法行为", "法律依据", "处理决定", "罚款金额（元）",
		"办理环节", "文书编号", "立案日期", "结案时间")
	for i, want := range [][]string{
		{"3", "崔木煤矿", "煤矿", "县应急管理局", "瓦斯超限作业", "《安全生产法》第一百一十二条", "罚款", "50,000.00", "结案",
			"立案：麟应急立〔2021〕3号\n决定：麟应急罚〔2021〕5号\n结案：麟应急结〔2021〕2号", "2021-03-02", "2021-04-02 16:00"},
		{"4", "金鑫化工有限公司", "危险化学品", "县应急管理局", "未按规定检测报警", "《危险化学品安全管理条例》", "责令停产停业", "12,000.25",
			"执行", "立案：麟应急立〔2021〕4号", "2021-03-09"},
		{"5", "九成宫镇青石沟建筑石料矿", "", "县自然资源局", "超层越界开采", "《矿产资源法》", "", "", "立案", "", "2021-03-19"},
		{"合计", "3 件", "", "", "", "", "", "62,000.25"},
	} {
		if got := row(t, f, "执法案件台账", 3+i); !slices.Equal(got, want) {
			t.Errorf("row %d:\n got %q\nwant %q", 3+i, got, want)
		}
	}
	if v, _ := f.GetCellValue("执法案件台账", "H6", excelize.Options{RawCellValue: true}); v != "62000.25" {
		t.Errorf("total of fines %q, want the number 62000.25", v)
	}
	// the total stays below the filtered range
	var filter string
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" {
			filter = d.RefersTo
		}
	}
	if !strings.HasSuffix(filter, "$A$2:$L$5") {
		t.Errorf("auto-filter %q, want the header and the cases only", filter)
	}

	// no cases: a zero total
	b, err = excel.CaseLedger(excel.CaseSheet{})
	if err != nil {
		t.Fatal(err)
	}
	f = open(t, b, "执法案件台账")
	if got := row(t, f, "执法案件台账", 2); !slices.Equal(got, []string{"合计", "0 件", "", "", "", "", "", "0.00"}) {
		t.Errorf("empty ledger's total %q", got)
	}
}

func TestHazardTemplate(t *testing.T) {
	b, err := excel.HazardTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "隐患", "隐患类别")
	header(t, f, "隐患", 1, 1, "单位编码", "工作面编码", "隐患来源", "隐患等级", "隐患类别", "隐患描述", "隐患部位", "发现日期", "整改期限")
	header(t, f, "隐患类别", 1, 1, "隐患类别", "煤矿重大隐患", "煤矿一般隐患", "其他行业")
	dvs, err := f.GetDataValidations("隐患")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"C": "一通三防,冲击地压,日常监管,其他", "D": "一般,重大", "E": "'隐患类别'!$A$2:$A$25"}
	for _, dv := range dvs {
		col := dv.Sqref[:1]
		if !strings.Contains(dv.Formula1, want[col]) || want[col] == "" {
			t.Errorf("drop-down on %s: %q, want %q", dv.Sqref, dv.Formula1, want[col])
		}
		delete(want, col)
	}
	if len(want) > 0 {
		t.Errorf("no drop-down on %v", want)
	}
	// the national standard's categories first, for a coal mine's major hazards; then the others'
	// (whether a coal mine's general hazard takes a category is the domain's rule: not asserted here)
	rows, err := f.GetRows("隐患类别")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 25 {
		t.Fatalf("%d categories, want 24", len(rows)-1)
	}
	for i, r := range rows[1:] {
		r = append(r, "", "", "")
		coal := i < len(domain.CoalMajorCategories)
		if (r[0] == domain.CoalMajorCategories[min(i, len(domain.CoalMajorCategories)-1)]) != coal ||
			(r[1] == "✓") != coal || (r[3] == "✓") == coal {
			t.Errorf("category row %d: %q", i+2, r[:4])
		}
	}
	hazards, errs := excel.ParseHazards(bytes.NewReader(b), sectorOf, parseNow)
	if hazards != nil || !slices.Equal(errs, []excel.RowError{{Sheet: "隐患", Message: "表中没有隐患：请从第2行起每行填写一条隐患"}}) {
		t.Errorf("the empty template: %v, %v", hazards, errs)
	}
}

var parseNow = time.Date(2021, 3, 20, 15, 0, 0, 0, cst)

func sectorOf(code string) (string, bool) {
	s, ok := map[string]string{"cmm": "coal_mine", "fm-01": "non_coal_mine"}[code]
	return s, ok
}

// fillHazards fills the template's sheet 隐患 from row 2 on.
func fillHazards(t *testing.T, rows [][]any) []byte {
	t.Helper()
	tmpl, err := excel.HazardTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow("隐患", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Labels and codes, Excel dates and dates written out, an empty row between.
func TestParseHazards(t *testing.T) {
	file := fillHazards(t, [][]any{
		{"cmm", "4201", "一通三防", "重大", "通风系统不完善、不可靠", "回风巷风量不足，\r\n需调整风门", "4201回风巷",
			time.Date(2021, 3, 18, 0, 0, 0, 0, time.UTC), "2021-03-25"},
		{"fm-01", "", "daily", "GENERAL", "设备设施", "破碎机防护罩缺失", "", "2021/3/19", time.Date(2021, 3, 30, 18, 0, 0, 0, time.UTC)},
		{},
		{" cmm ", 4202, "冲击地压", "重大隐患", "有冲击地压危险未采取有效措施", "未按规定卸压", "4202运输顺槽", "2021年3月20日", "2021-04-10 18:00"},
	})
	hazards, errs := excel.ParseHazards(bytes.NewReader(file), sectorOf, parseNow)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	at := func(m time.Month, d, h, min, s int) *time.Time {
		return ptr(time.Date(2021, m, d, h, min, s, 0, domain.DefaultZone))
	}
	want := []domain.NewHazard{
		{Unit: "cmm", Face: "4201", Source: "ventilation", Level: "major", Category: "通风系统不完善、不可靠",
			Description: "回风巷风量不足，\n需调整风门", Location: "4201回风巷", FoundBy: "inspection", FoundOn: "2021-03-18", Deadline: at(3, 25, 23, 59, 59)},
		{Unit: "fm-01", Source: "daily", Level: "general", Category: "设备设施", Description: "破碎机防护罩缺失",
			FoundBy: "inspection", FoundOn: "2021-03-19", Deadline: at(3, 30, 18, 0, 0)},
		{Unit: "cmm", Face: "4202", Source: "rock_burst", Level: "major", Category: "有冲击地压危险未采取有效措施",
			Description: "未按规定卸压", Location: "4202运输顺槽", FoundBy: "inspection", FoundOn: "2021-03-20", Deadline: at(4, 10, 18, 0, 0)},
	}
	if len(hazards) != len(want) {
		t.Fatalf("%d hazards, want %d: %+v", len(hazards), len(want), hazards)
	}
	for i := range want {
		got, w := hazards[i], want[i]
		if got.Deadline == nil || !got.Deadline.Equal(*w.Deadline) {
			t.Errorf("hazard %d deadline %v, want %v", i, got.Deadline, w.Deadline)
		}
		got.Deadline, w.Deadline = nil, nil
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", w) {
			t.Errorf("hazard %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if hazards[0].Deadline == hazards[2].Deadline {
		t.Error("hazards share a deadline")
	}
}

// Every refused cell of every row, by row and column; no hazards at all.
func TestParseHazardsErrors(t *testing.T) {
	ok := []any{"cmm", "4201", "一通三防", "一般", "瓦斯超限作业", "甲烷传感器位置不当", "", "2021-03-18", "2021-03-25"}
	with := func(col int, v any) []any {
		r := slices.Clone(ok)
		r[col] = v
		return r
	}
	file := fillHazards(t, [][]any{
		ok,                  // row 2: valid
		with(0, "xkm"),      // 3: unknown unit
		with(0, "Bad Code"), // 4: not a code
		{"cmm", "42 01", "通风", "较大", "瓦斯超限作业", "", "", "2021-03-18", "2021-03-25"}, // 5: face, source, level, description
		with(7, "2021-03-21"),             // 6: found after now
		with(7, "上周"),                     // 7: not a date
		with(8, "2021-03-17"),             // 8: deadline before the day found
		with(8, ""),                       // 9: no deadline
		with(8, "2022-06-01"),             // 10: more than a year away
		with(6, strings.Repeat("巷", 501)), // 11: location too long
		ok,                                // 12: the same as row 2
		{"cmm", "", "冲击地压", "重大", "安全管理", "x", "", "2021-03-18", "2021-03-25"},                                   // 13: not a category of a coal mine's major hazards
		{"fm-01", "", "其他", "一般", "瓦斯超限作业", "x", "", time.Date(2021, 3, 18, 0, 0, 0, 0, time.UTC), "2021-03-25"}, // 14: not a category of a non-coal mine
		with(7, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)),                                                   // 15: found too long ago
	})
	hazards, errs := excel.ParseHazards(bytes.NewReader(file), sectorOf, parseNow)
	if hazards != nil {
		t.Errorf("hazards %+v, want none", hazards)
	}
	type at struct {
		row int
		col string
	}
	want := []at{{3, "A"}, {4, "A"}, {5, "B"}, {5, "C"}, {5, "D"}, {5, "F"}, {6, "H"}, {7, "H"}, {8, "I"}, {9, "I"},
		{10, "I"}, {11, "G"}, {12, "F"}, {13, "E"}, {14, "E"}, {15, "H"}}
	var got []at
	for _, e := range errs {
		if e.Sheet != "隐患" {
			t.Errorf("error %v: sheet %q", e, e.Sheet)
		}
		got = append(got, at{e.Row, e.Column})
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors at %v\nwant %v\n%v", got, want, errs)
	}
	messages := map[at]string{
		{3, "A"}: "单位“xkm”不存在", {5, "C"}: "隐患来源“通风”应为以下之一：一通三防、冲击地压、日常监管、其他",
		{5, "D"}: "隐患等级“较大”应为以下之一：一般、重大", {5, "F"}: "隐患描述不能为空",
		{6, "H"}: "发现日期不能晚于今天", {7, "H"}: "发现日期“上周”不是日期", {8, "I"}: "整改期限不能早于发现日期",
		{9, "I"}: "整改期限不能为空", {10, "I"}: "一年之内", {11, "G"}: "隐患部位不能超过 500 个字符",
		{12, "F"}: "与第2行重复", {13, "E"}: "隐患类别“安全管理”不适用于煤矿的重大隐患，应为以下之一（见“隐患类别”表）：超能力", {14, "E"}: "不适用于非煤矿山的一般隐患", {15, "H"}: "发现日期不能早于",
	}
	for _, e := range errs {
		if w, ok := messages[at{e.Row, e.Column}]; ok && !strings.Contains(e.Message, w) {
			t.Errorf("%s: want it to say %q", e.Error(), w)
		}
	}
	if len(errs) > 0 && errs[0].Error() != "隐患 第3行 A列：单位“xkm”不存在：未在系统中登记为生产经营单位" {
		t.Errorf("first error reads %q", errs[0].Error())
	}
}

// Files that are not the template, and too many rows.
func TestParseHazardsRefusesOtherFiles(t *testing.T) {
	for name, c := range map[string]struct {
		file []byte
		want excel.RowError
	}{
		"not a workbook": {[]byte("单位编码,隐患描述\n"), excel.RowError{Message: "不是有效的 Excel 工作簿（.xlsx），请用隐患导入模板填写后上传"}},
		"too large":      {bytes.Repeat([]byte{'x'}, excel.MaxOrgFileSize+1), excel.RowError{Message: "文件不能超过 10 MB"}},
		"no sheet 隐患": {func() []byte {
			b, err := excel.OrgTemplate()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}(), excel.RowError{Message: "工作簿中没有“隐患”表，请用隐患导入模板填写"}},
	} {
		hazards, errs := excel.ParseHazards(bytes.NewReader(c.file), sectorOf, parseNow)
		if hazards != nil || !slices.Equal(errs, []excel.RowError{c.want}) {
			t.Errorf("%s: %v, %v", name, hazards, errs)
		}
	}

	// a header changed
	tmpl, err := excel.HazardTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("隐患", "C1", "来源"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, errs := excel.ParseHazards(&buf, sectorOf, parseNow)
	if len(errs) != 1 || errs[0].Row != 1 || errs[0].Column != "C" {
		t.Errorf("a changed header: %v", errs)
	}

	// one row more than a file may hold
	rows := make([][]any, excel.MaxHazardRows+1)
	for i := range rows {
		rows[i] = []any{"cmm", "", "日常监管", "一般", "瓦斯超限作业", fmt.Sprintf("第%d条", i+1), "", "2021-03-18", "2021-03-25"}
	}
	hazards, errs := excel.ParseHazards(bytes.NewReader(fillHazards(t, rows)), sectorOf, parseNow)
	want := []excel.RowError{{Sheet: "隐患", Row: excel.MaxHazardRows + 2, Message: fmt.Sprintf("一个文件最多 %d 条隐患", excel.MaxHazardRows)}}
	if hazards != nil || !slices.Equal(errs, want) {
		t.Errorf("too many rows: %d hazards, %v", len(hazards), errs)
	}
	// as many as it may
	hazards, errs = excel.ParseHazards(bytes.NewReader(fillHazards(t, rows[:excel.MaxHazardRows])), sectorOf, parseNow)
	if len(hazards) != excel.MaxHazardRows || errs != nil {
		t.Errorf("%d rows: %d hazards, %v", excel.MaxHazardRows, len(hazards), errs)
	}
}
