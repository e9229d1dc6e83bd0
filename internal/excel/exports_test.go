package excel_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

var cst = time.FixedZone("CST", 8*3600)

// open reads a produced workbook and checks its sheets.
func open(t *testing.T, b []byte, sheets ...string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if got := f.GetSheetList(); !slices.Equal(got, sheets) {
		t.Fatalf("sheets %v, want %v", got, sheets)
	}
	return f
}

// header checks a sheet's header row, its frozen panes (the header row and
// the first cols columns) and that every column has a width that fits its header.
func header(t *testing.T, f *excelize.File, sheet string, row, cols int, want ...string) {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < row || !slices.Equal(rows[row-1], want) {
		t.Fatalf("%s header (row %d): %q, want %q", sheet, row, rows[min(row, len(rows))-1], want)
	}
	p, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Freeze || p.YSplit != row || p.XSplit != cols {
		t.Errorf("%s panes %+v: want frozen above row %d and left of column %d", sheet, p, row+1, cols+1)
	}
	for i, h := range want {
		col, _ := excelize.ColumnNumberToName(i + 1)
		w, err := f.GetColWidth(sheet, col)
		if err != nil {
			t.Fatal(err)
		}
		if need := float64(len([]rune(h))); w < need || w > 60 {
			t.Errorf("%s column %s (%s) width %.1f, want at least %.0f and at most 60", sheet, col, h, w, need)
		}
	}
}

// value reads one cell's shown value.
func value(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fill answers a cell's fill colour ("" for none).
func fill(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Fill.Color) == 0 {
		return ""
	}
	c := strings.ToUpper(s.Fill.Color[0])
	if len(c) == 8 { // with alpha
		c = c[2:]
	}
	return c
}

func TestScoreTable(t *testing.T) {
	at := time.Date(2021, 3, 6, 1, 30, 0, 0, time.UTC) // 09:30 in the county
	scores := []store.UnitScore{
		{UnitID: 1, UnitCode: "yjj", UnitName: "县应急管理局", Kind: "department", Score: 100, Rank: 1, Entries: []store.ScoreEntry{}},
		{UnitID: 2, UnitCode: "gaj", UnitName: "县公安局", Kind: "department", Score: 88.5, Rank: 2, Entries: []store.ScoreEntry{
			{UnitID: 2, Points: -1, Reason: "“报送2021年2月进展”逾期", Process: "report/linyou-2020/gaj/2021-02", CreatedAt: at},
			{UnitID: 2, Points: -10.5, Reason: "约谈未整改", Process: "interview/3", CreatedAt: at.Add(time.Hour)},
		}},
		{UnitID: 3, UnitCode: "cm", UnitName: "崔木镇", Kind: "town", Score: 60, Rank: 1, Entries: []store.ScoreEntry{
			{UnitID: 3, Points: -40, Reason: "多次逾期", Process: "report/x", CreatedAt: at}}},
		{UnitID: 4, UnitCode: "jcg", UnitName: "九成宫镇", Kind: "town", Score: 95, Rank: 2, Entries: []store.ScoreEntry{}},
	}
	// jcg's accident ranks it last of the towns whatever its score; cm's 60 fails.
	b, err := excel.ScoreTable(excel.ScoreSheet{Title: "2021年度考核得分", Scores: scores, Vetoes: map[int64]string{4: "重大生产安全事故"}})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "得分", "扣分明细")
	if v := value(t, f, "得分", "A1"); v != "2021年度考核得分" {
		t.Errorf("title %q", v)
	}
	header(t, f, "得分", 2, 4, "类别", "排名", "单位编码", "单位名称", "得分", "等级", "一票否决", "扣分记录（条）")
	rows, _ := f.GetRows("得分")
	want := [][]string{
		{"部门", "1", "yjj", "县应急管理局", "100", "优秀", "", "0"},
		{"部门", "2", "gaj", "县公安局", "88.5", "合格", "", "2"},
		{"乡镇", "1", "cm", "崔木镇", "60", "不合格", "", "1"},
		{"乡镇", "2", "jcg", "九成宫镇", "95", "不合格", "重大生产安全事故", "0"},
	}
	for i, w := range want {
		got := append(rows[i+2], make([]string, 8)...)[:8]
		if !slices.Equal(got, w) {
			t.Errorf("row %d: %q, want %q", i+3, got, w)
		}
	}
	if fill(t, f, "得分", "F3") != "C6EFCE" || fill(t, f, "得分", "F6") != "FFC7CE" || fill(t, f, "得分", "G6") != "FFC7CE" || fill(t, f, "得分", "F4") != "" {
		t.Errorf("grade fills: %q %q %q %q", fill(t, f, "得分", "F3"), fill(t, f, "得分", "F6"), fill(t, f, "得分", "G6"), fill(t, f, "得分", "F4"))
	}
	header(t, f, "扣分明细", 2, 3, "类别", "单位编码", "单位名称", "分值", "原因", "来源", "时间")
	rows, _ = f.GetRows("扣分明细")
	if len(rows) != 5 {
		t.Fatalf("%d rows of entries (with title and header), want 5: %q", len(rows), rows)
	}
	if got := rows[2]; !slices.Equal(got, []string{"部门", "gaj", "县公安局", "-1", "“报送2021年2月进展”逾期", "report/linyou-2020/gaj/2021-02", "2021-03-06 09:30"}) {
		t.Errorf("first entry %q", got)
	}
	if rows[3][3] != "-10.5" || rows[4][1] != "cm" {
		t.Errorf("entries %q", rows[3:])
	}
}

func TestReportMatrixSheet(t *testing.T) {
	due := func(y int, m time.Month) *time.Time { d := time.Date(y, m+1, 5, 18, 0, 0, 0, cst); return &d }
	grid := store.ReportGrid{CampaignID: "c", Periods: []string{"2020-11", "2020-12", "2021-01"}, Rows: []store.MatrixRow{
		{Unit: store.MatrixUnit{ID: 1, Code: "yjj", Name: "县应急管理局", Kind: domain.KindDepartment}, Cells: []store.MatrixCell{
			{Period: "2020-11", Status: domain.ReportAccepted, DueAt: due(2020, 11)},
			{Period: "2020-12", Status: domain.ReportAccepted, Late: true, LateSeconds: 3600, DueAt: due(2020, 12)},
			{Period: "2021-01", Status: domain.ReportDue, DueAt: due(2021, 1)},
		}},
		{Unit: store.MatrixUnit{ID: 2, Code: "cm", Name: "崔木镇", Kind: domain.KindTown}, Cells: []store.MatrixCell{
			{Period: "2020-11", Missing: true},
			{Period: "2020-12", Status: domain.ReportReturned, DueAt: due(2020, 12)},
			{Period: "2021-01", Status: domain.ReportSubmitted, DueAt: due(2021, 1)},
		}},
		{Unit: store.MatrixUnit{ID: 3, Code: "gjh", Name: "郭家河煤矿", Kind: domain.KindEnterprise}, Cells: []store.MatrixCell{
			{Period: "2020-11", Status: domain.ReportDue, DueAt: due(2020, 11)},
			{Period: "2020-12", Status: domain.ReportAccepted, DueAt: due(2020, 12)},
			{Period: "2021-01", Status: domain.ReportDue, DueAt: due(2021, 1)},
		}},
	}}
	now := time.Date(2021, 2, 1, 0, 0, 0, 0, cst) // November's and December's deadlines passed, January's not
	b, err := excel.ReportMatrix(excel.MatrixSheet{Matrix: grid, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "月报矩阵", "图例")
	header(t, f, "月报矩阵", 1, 3, "类别", "单位编码", "单位名称", "2020年11月", "2020年12月", "2021年1月", "按时（次）", "逾期（次）", "未报（次）")
	rows, _ := f.GetRows("月报矩阵")
	want := [][]string{
		{"部门", "yjj", "县应急管理局", "按时", "逾期", "待报", "1", "1", "0"},
		{"乡镇", "cm", "崔木镇", "未报", "退回", "待审", "0", "0", "1"},
		{"企业", "gjh", "郭家河煤矿", "逾期未报", "按时", "待报", "1", "0", "1"},
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want a header and 3 units", len(rows))
	}
	for i, w := range want {
		if !slices.Equal(rows[i+1], w) {
			t.Errorf("row %d: %q, want %q", i+2, rows[i+1], w)
		}
	}
	for cell, colour := range map[string]string{"D2": "C6EFCE", "E2": "FCD5B4", "F2": "", "D3": "FFC7CE", "E3": "FFEB9C", "F3": "DDEBF7", "D4": "FFC7CE"} {
		if got := fill(t, f, "月报矩阵", cell); got != colour {
			t.Errorf("fill of %s (%s) %q, want %q", cell, value(t, f, "月报矩阵", cell), got, colour)
		}
	}
	header(t, f, "图例", 1, 0, "标记", "含义")

	// Without a campaign time a due report is only due.
	if got := excel.CellLabel(grid.Rows[2].Cells[0], time.Time{}); got != excel.LabelDue {
		t.Errorf("label without now: %s", got)
	}
	// A campaign without reports yet: units, no months.
	b, err = excel.ReportMatrix(excel.MatrixSheet{Title: "月报", Matrix: store.ReportGrid{Rows: []store.MatrixRow{{Unit: grid.Rows[0].Unit}}}})
	if err != nil {
		t.Fatal(err)
	}
	f = open(t, b, "月报矩阵", "图例")
	header(t, f, "月报矩阵", 2, 3, "类别", "单位编码", "单位名称", "按时（次）", "逾期（次）", "未报（次）")
}

func TestPledgeProgressSheet(t *testing.T) {
	due := time.Date(2021, 1, 31, 10, 0, 0, 0, time.UTC) // 18:00 in the county
	progress := []store.PledgeProgress{{Level: 1, Issued: 21, Signed: 20, Countersigned: 19, Overdue: 2}, {Level: 2, Issued: 4, Signed: 4, Countersigned: 4}}
	unsigned := []store.Pledge{
		{Level: 1, IssuerName: "麟游县", SignerName: "崔木镇", SignerCode: "cm", Status: domain.PledgeIssued, DueAt: due},
		{Level: 1, IssuerName: "麟游县", SignerName: "县公安局", SignerCode: "gaj", Status: domain.PledgeSigned, DueAt: due.AddDate(0, 0, 28)},
	}
	b, err := excel.PledgeProgress(excel.PledgeSheet{Title: "2021年度目标责任书", Progress: progress, Unsigned: unsigned, Now: due.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "签订进度", "未签订")
	header(t, f, "签订进度", 2, 1, "层级", "已下发（份）", "已签订（份）", "已生效（份）", "逾期未生效（份）", "生效率")
	rows, _ := f.GetRows("签订进度")
	for i, w := range [][]string{
		{"第1级", "21", "20", "19", "2", "90.5%"},
		{"第2级", "4", "4", "4", "0", "100.0%"},
		{"合计", "25", "24", "23", "2", "92.0%"},
	} {
		if !slices.Equal(rows[i+2], w) {
			t.Errorf("row %d: %q, want %q", i+3, rows[i+2], w)
		}
	}
	if fill(t, f, "签订进度", "E3") != "FFC7CE" || fill(t, f, "签订进度", "E4") != "" {
		t.Error("overdue counts are not marked")
	}
	header(t, f, "未签订", 2, 3, "层级", "下发单位（甲方）", "签订单位（乙方）", "乙方编码", "状态", "签订期限", "是否逾期")
	rows, _ = f.GetRows("未签订")
	if !slices.Equal(rows[2], []string{"第1级", "麟游县", "崔木镇", "cm", "待签订", "2021-01-31 18:00", "是"}) ||
		!slices.Equal(rows[3], []string{"第1级", "麟游县", "县公安局", "gaj", "已签订，待会签", "2021-02-28 18:00", "否"}) {
		t.Errorf("unsigned %q", rows[2:])
	}
}

func TestNoticesSheet(t *testing.T) {
	at := time.Date(2021, 3, 9, 2, 0, 0, 0, time.UTC)
	notices := []store.NoticeRow{
		{ID: 7, IssuerName: "县应急管理局", UnitIDs: pq.Int64Array{3, 4}, Reason: "逾期未报送月度报告", SubjectType: domain.SubjectReport,
			SubjectID: "report/linyou-2020/cm/2021-02", Published: true, IssuedBy: domain.ActorEngine, CreatedAt: at},
		{ID: 8, IssuerName: "县应急管理局", UnitIDs: pq.Int64Array{9}, Reason: "检查发现重大隐患\n未及时整改", SubjectType: "manual",
			SubjectID: "manual:5:k", Published: true, IssuedBy: "yjj-office", CreatedAt: at.Add(24 * time.Hour)},
	}
	b, err := excel.Notices(excel.NoticeSheet{Notices: notices, UnitNames: map[int64]string{3: "崔木镇", 4: "九成宫镇"},
		PeopleNames: map[string]string{"yjj-office": "县安委办主任"}, Location: cst})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "通报")
	header(t, f, "通报", 1, 0, "编号", "通报时间", "通报单位", "被通报单位", "通报事由", "事项类别", "事项", "发布人")
	rows, _ := f.GetRows("通报")
	if !slices.Equal(rows[1], []string{"7", "2021-03-09 10:00", "县应急管理局", "崔木镇、九成宫镇", "逾期未报送月度报告", "月度报告", "report/linyou-2020/cm/2021-02", "系统（逾期自动通报）"}) {
		t.Errorf("row 2: %q", rows[1])
	}
	if !slices.Equal(rows[2], []string{"8", "2021-03-10 10:00", "县应急管理局", "9", "检查发现重大隐患\n未及时整改", "安委办通报", "", "县安委办主任"}) {
		t.Errorf("row 3: %q", rows[2])
	}
	// An empty list is a header only.
	b, err = excel.Notices(excel.NoticeSheet{})
	if err != nil {
		t.Fatal(err)
	}
	f = open(t, b, "通报")
	header(t, f, "通报", 1, 0, "编号", "通报时间", "通报单位", "被通报单位", "通报事由", "事项类别", "事项", "发布人")
}
