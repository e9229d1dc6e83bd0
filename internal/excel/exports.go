package excel

import (
	"fmt"
	"strings"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// KindLabel is a unit kind as officials name it: 县, 委员会, 部门, 乡镇, 企业.
func KindLabel(kind string) string {
	for _, k := range kindLabels {
		if k.kind.String() == kind {
			return k.label
		}
	}
	return kind
}

var kindLabels = []struct {
	kind  domain.UnitKind
	label string
}{
	{domain.KindCounty, "县"},
	{domain.KindCommittee, "委员会"},
	{domain.KindDepartment, "部门"},
	{domain.KindTown, "乡镇"},
	{domain.KindEnterprise, "企业"},
	{domain.KindProducer, "生产经营单位"},
}

// RoleLabel is a role as officials name it.
func RoleLabel(r domain.Role) string {
	for _, l := range roleLabels {
		if l.role == r {
			return l.label
		}
	}
	return r.String()
}

var roleLabels = []struct {
	role  domain.Role
	label string
}{
	{domain.RoleLeader, "县领导"},
	{domain.RoleSafetyOffice, "安委办"},
	{domain.RoleUnitHead, "主要负责人"},
	{domain.RoleStaff, "工作人员"},
	{domain.RoleInspector, "执法人员"},
	{domain.RoleAdmin, "系统管理员"},
}

// GradeLabel is an assessment grade in Chinese: 优秀, 合格, 不合格.
func GradeLabel(grade string) string {
	switch grade {
	case domain.GradeExcellent:
		return "优秀"
	case domain.GradePass:
		return "合格"
	case domain.GradeFail:
		return "不合格"
	}
	return grade
}

// ---------------------------------------------------------------- scores

// ScoreSheet is a campaign year's score table.
type ScoreSheet struct {
	// Title, when not empty, is a row above the header, e.g. "2021年度安全生产目标责任考核得分".
	Title  string
	Scores []store.UnitScore
	// Policy grades the scores; the zero value grades by the defaults (≥ 90 优秀, ≥ 70 合格).
	Policy domain.AssessmentPolicy
	// Vetoes maps a unit with a major accident in the year to its reason
	// (store.Vetoes): the unit fails and ranks last of its kind.
	Vetoes map[int64]string
	// Location is the time zone of the entries' times (nil: DefaultLocation).
	Location *time.Location
}

// ScoreTable writes the score table: sheet 得分 (kind, rank, unit, score,
// grade, veto, number of entries), ranked within kind as the assessment
// ranks, and sheet 扣分明细 with the ledger entries behind each score.
func ScoreTable(s ScoreSheet) ([]byte, error) {
	policy := s.Policy.WithDefaults()
	units := make([]domain.AssessedUnit, 0, len(s.Scores))
	byID := map[int64]store.UnitScore{}
	for _, u := range s.Scores {
		veto, vetoed := s.Vetoes[u.UnitID]
		units = append(units, domain.AssessedUnit{UnitID: u.UnitID, UnitCode: u.UnitCode, UnitName: u.UnitName, Kind: u.Kind,
			Score: u.Score, Vetoed: vetoed, Veto: veto})
		byID[u.UnitID] = u
	}
	ranked := policy.RankWithinKind(units, 0)

	b := newBook()
	t := b.table("得分", s.Title, []string{"类别", "排名", "单位编码", "单位名称", "得分", "等级", "一票否决", "扣分记录（条）"}, 4)
	for _, u := range ranked {
		grade := cell{GradeLabel(u.Grade), b.fills[""]}
		switch u.Grade {
		case domain.GradeExcellent:
			grade.style = b.fills[fillGood]
		case domain.GradeFail:
			grade.style = b.fills[fillBad]
		}
		veto := cell{u.Veto, b.wrap}
		if u.Vetoed {
			veto.style = b.fills[fillBad]
			if u.Veto == "" {
				veto.v = "是"
			}
		}
		t.add(cell{KindLabel(u.Kind), 0}, cell{u.Rank, b.number}, cell{u.UnitCode, 0}, cell{u.UnitName, 0},
			cell{u.Score, b.decimal}, grade, veto, cell{len(byID[u.UnitID].Entries), b.number})
	}
	t.done()

	d := b.table("扣分明细", s.Title, []string{"类别", "单位编码", "单位名称", "分值", "原因", "来源", "时间"}, 3)
	for _, u := range ranked {
		for _, e := range byID[u.UnitID].Entries {
			at := e.CreatedAt
			d.add(cell{KindLabel(u.Kind), 0}, cell{u.UnitCode, 0}, cell{u.UnitName, 0}, cell{e.Points, b.decimal},
				cell{e.Reason, b.wrap}, cell{e.Process, 0}, b.when(&at, s.Location))
		}
	}
	d.done()
	return b.bytes()
}

// ---------------------------------------------------------------- report matrix

// Labels of the report matrix's cells.
const (
	LabelOnTime    = "按时"
	LabelLate      = "逾期"
	LabelMissing   = "未报"
	LabelOverdue   = "逾期未报"
	LabelDue       = "待报"
	LabelSubmitted = "待审"
	LabelReturned  = "退回"
)

// CellLabel is what the matrix shows for a cell at now (campaign time; zero:
// a due report is not judged overdue): 按时 and 逾期 for accepted reports,
// 待审 submitted, 退回 returned, 待报 due, 逾期未报 due past its deadline,
// 未报 for a month without a report.
func CellLabel(c store.MatrixCell, now time.Time) string {
	switch {
	case c.Missing:
		return LabelMissing
	case c.Status == domain.ReportAccepted && c.Late:
		return LabelLate
	case c.Status == domain.ReportAccepted:
		return LabelOnTime
	case c.Status == domain.ReportSubmitted:
		return LabelSubmitted
	case c.Status == domain.ReportReturned:
		return LabelReturned
	case !now.IsZero() && c.DueAt != nil && now.After(*c.DueAt):
		return LabelOverdue
	}
	return LabelDue
}

// labelFill is each label's colour.
var labelFill = map[string]string{
	LabelOnTime: fillGood, LabelLate: fillLate, LabelMissing: fillBad, LabelOverdue: fillBad,
	LabelReturned: fillWarn, LabelSubmitted: fillPending, LabelDue: "",
}

// MatrixSheet is a campaign's report matrix.
type MatrixSheet struct {
	// Title, when not empty, is a row above the header.
	Title  string
	Matrix store.ReportGrid
	// Now is the campaign's time: a due report past its deadline is 逾期未报
	// (zero: not judged).
	Now time.Time
}

// ReportMatrix writes sheet 月报矩阵: a row per unit (kind, code, name),
// a column per month with the cell's label and colour (CellLabel), and each
// unit's counts of 按时, 逾期 and 未报 (with 逾期未报); and sheet 图例, the
// labels and their colours.
func ReportMatrix(m MatrixSheet) ([]byte, error) {
	b := newBook()
	headers := []string{"类别", "单位编码", "单位名称"}
	for _, p := range m.Matrix.Periods {
		headers = append(headers, periodLabel(p))
	}
	headers = append(headers, "按时（次）", "逾期（次）", "未报（次）")
	t := b.table("月报矩阵", m.Title, headers, 3)
	for _, r := range m.Matrix.Rows {
		cells := []cell{{KindLabel(r.Unit.Kind.String()), 0}, {r.Unit.Code, 0}, {r.Unit.Name, 0}}
		var onTime, late, missing int
		for _, c := range r.Cells {
			label := CellLabel(c, m.Now)
			switch label {
			case LabelOnTime:
				onTime++
			case LabelLate:
				late++
			case LabelMissing, LabelOverdue:
				missing++
			}
			cells = append(cells, cell{label, b.fills[labelFill[label]]})
		}
		cells = append(cells, cell{onTime, b.number}, cell{late, b.number}, cell{missing, b.number})
		t.add(cells...)
	}
	t.done()

	l := b.table("图例", "", []string{"标记", "含义"}, 0)
	for _, x := range []struct{ label, meaning string }{
		{LabelOnTime, "已按期报送并通过审核"},
		{LabelLate, "已通过审核，但超过报送期限"},
		{LabelSubmitted, "已报送，等待安委办审核"},
		{LabelReturned, "被退回修改，尚未重新通过"},
		{LabelDue, "本月报告已下达，尚未到期"},
		{LabelOverdue, "已过报送期限，尚未报送或通过"},
		{LabelMissing, "该月没有这个单位的报告"},
	} {
		l.add(cell{x.label, b.fills[labelFill[x.label]]}, cell{x.meaning, 0})
	}
	l.done()
	return b.bytes()
}

// periodLabel is 'YYYY-MM' as 2021年3月.
func periodLabel(p string) string {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return p
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

// ---------------------------------------------------------------- pledges

// PledgeSheet is a campaign year's pledge signing.
type PledgeSheet struct {
	// Title, when not empty, is a row above each sheet's header.
	Title    string
	Progress []store.PledgeProgress
	// Unsigned are the pledges not yet in force (store.Pledges with Status
	// store.PledgesUnsigned); nil leaves their sheet empty.
	Unsigned []store.Pledge
	// Now is the campaign's time, to mark unsigned pledges overdue (zero: not judged).
	Now time.Time
	// Location is the time zone of deadlines (nil: DefaultLocation).
	Location *time.Location
}

// PledgeStatusLabel is a pledge's status in Chinese.
func PledgeStatusLabel(s domain.Status) string {
	switch s {
	case domain.PledgeIssued:
		return "待签订"
	case domain.PledgeSigned:
		return "已签订，待会签"
	case domain.PledgeReturned:
		return "已退回"
	case domain.PledgeInForce:
		return "已生效"
	}
	return s.String()
}

// PledgeProgress writes sheet 签订进度 (per level: issued, signed,
// countersigned, overdue, the share in force, and a total) and sheet 未签订
// (each pledge not yet in force: level, issuer, signer, status, deadline,
// overdue).
func PledgeProgress(p PledgeSheet) ([]byte, error) {
	b := newBook()
	t := b.table("签订进度", p.Title, []string{"层级", "已下发（份）", "已签订（份）", "已生效（份）", "逾期未生效（份）", "生效率"}, 1)
	var total store.PledgeProgress
	row := func(label string, x store.PledgeProgress) {
		rate := cell{nil, b.percent}
		if x.Issued > 0 {
			rate.v = float64(x.Countersigned) / float64(x.Issued)
		}
		overdue := cell{x.Overdue, b.number}
		if x.Overdue > 0 {
			overdue.style = b.fills[fillBad]
		}
		t.add(cell{label, 0}, cell{x.Issued, b.number}, cell{x.Signed, b.number}, cell{x.Countersigned, b.number}, overdue, rate)
	}
	for _, x := range p.Progress {
		row(levelLabel(x.Level), x)
		total.Issued += x.Issued
		total.Signed += x.Signed
		total.Countersigned += x.Countersigned
		total.Overdue += x.Overdue
	}
	row("合计", total)
	t.done()

	u := b.table("未签订", p.Title, []string{"层级", "下发单位（甲方）", "签订单位（乙方）", "乙方编码", "状态", "签订期限", "是否逾期"}, 3)
	for _, x := range p.Unsigned {
		overdue := cell{nil, b.fills[""]}
		if !p.Now.IsZero() {
			overdue.v = "否"
			if x.Overdue(p.Now) {
				overdue = cell{"是", b.fills[fillBad]}
			}
		}
		due := x.DueAt
		u.add(cell{levelLabel(x.Level), 0}, cell{x.IssuerName, 0}, cell{x.SignerName, 0}, cell{x.SignerCode, 0},
			cell{PledgeStatusLabel(x.Status), 0}, b.when(&due, p.Location), overdue)
	}
	u.done()
	return b.bytes()
}

func levelLabel(level int) string { return fmt.Sprintf("第%d级", level) }

// ---------------------------------------------------------------- notices

// NoticeSheet is a list of public notices (通报).
type NoticeSheet struct {
	// Title, when not empty, is a row above the header.
	Title   string
	Notices []store.NoticeRow
	// UnitNames names the notified units by id (store.Units); an unknown id shows as its number.
	UnitNames map[int64]string
	// PeopleNames names who issued a notice by hand, by person key (store.PersonNames).
	PeopleNames map[string]string
	// Location is the time zone of the notices' times (nil: DefaultLocation).
	Location *time.Location
}

// SubjectLabel is what a notice, deduction or task is about, in Chinese.
func SubjectLabel(subjectType string) string {
	switch subjectType {
	case domain.SubjectAssignment:
		return "交办事项"
	case domain.SubjectReport:
		return "月度报告"
	case domain.SubjectPledge:
		return "目标责任书"
	case domain.SubjectInterview:
		return "约谈"
	case domain.SubjectPlanTask:
		return "方案任务"
	case domain.SubjectAssessment:
		return "年度考核"
	case "manual":
		return "安委办通报"
	}
	return subjectType
}

// Notices writes sheet 通报: number, time, issuer, notified units, reason,
// what it concerns, and who issued it.
func Notices(n NoticeSheet) ([]byte, error) {
	b := newBook()
	t := b.table("通报", n.Title, []string{"编号", "通报时间", "通报单位", "被通报单位", "通报事由", "事项类别", "事项", "发布人"}, 0)
	for _, x := range n.Notices {
		names := make([]string, 0, len(x.UnitIDs))
		for _, id := range x.UnitIDs {
			name, ok := n.UnitNames[id]
			if !ok {
				name = fmt.Sprint(id)
			}
			names = append(names, name)
		}
		subject := x.SubjectID
		if x.SubjectType == "manual" {
			subject = ""
		}
		by := x.IssuedBy
		switch {
		case by == domain.ActorEngine:
			by = "系统（逾期自动通报）"
		case n.PeopleNames[by] != "":
			by = n.PeopleNames[by]
		}
		at := x.CreatedAt
		t.add(cell{x.ID, b.number}, b.when(&at, n.Location), cell{x.IssuerName, 0}, cell{strings.Join(names, "、"), b.wrap},
			cell{x.Reason, b.wrap}, cell{SubjectLabel(x.SubjectType), 0}, cell{subject, 0}, cell{by, 0})
	}
	t.done()
	return b.bytes()
}
