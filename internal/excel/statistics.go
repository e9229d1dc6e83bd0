package excel

import (
	"maps"
	"slices"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

var inspectionKindLabels = []label{{"supervision", "督导检查"}, {"enforcement", "执法检查"}, {"covert", "暗访"},
	{"congress", "人大视察"}, {"special", "专项监察"}, {"daily", "日常检查"}}

// InspectionKindLabel is an inspection's kind: 督导检查, 执法检查, 暗访, 人大视察, 专项监察, 日常检查.
func InspectionKindLabel(kind string) string { return labelOf(inspectionKindLabels, kind) }

// StatsSheet is the county's inspection and enforcement figures, as
// store.Statistics counts them from the records for a StatsQuery.
type StatsSheet struct {
	// Title, when not empty, is a row above each sheet's header, e.g. the period and scope.
	Title string
	Stats store.Stats
}

// StatisticsTable writes the figures: sheet 检查 (per inspection kind and in
// total: inspections 次, unit-visits 家次, distinct units 家), 隐患 (found,
// rectified, open and the share rectified — 清零 progress — in total, by
// source, by level and by sector), 停产整顿 (units stopped, faces stopped and
// of them heading and coal faces: issued, standing, lifted), 执法处罚 (cases
// filed, closed, decided, by decision, and the fines) and 逢查必考 (examined,
// passed, the share passed, and the people who failed, sent to training),
// 安全培训 (sessions and people trained in total, by audience and by year, and
// the 培训人次 with those who failed 逢查必考) and 宣传 (publicity items in
// total, by kind and by year).
func StatisticsTable(s StatsSheet) ([]byte, error) {
	b := newBook()
	st := s.Stats
	percent := func(p *float64) cell {
		if p == nil {
			return cell{nil, b.percent}
		}
		return cell{*p / 100, b.percent}
	}

	in := b.table("检查", s.Title, []string{"检查类别", "检查次数（次）", "检查单位（家次）", "检查单位（家）"}, 1)
	for _, k := range domain.InspectionKinds {
		c := st.Inspections.ByKind[k]
		in.add(cell{InspectionKindLabel(k), 0}, cell{c.Inspections, b.number}, cell{c.Visits, b.number}, cell{c.UnitsInspected, b.number})
	}
	total := st.Inspections.InspectionCount
	in.add(cell{"合计", 0}, cell{total.Inspections, b.number}, cell{total.Visits, b.number}, cell{total.UnitsInspected, b.number})
	in.done()

	hz := b.table("隐患", s.Title, []string{"分类", "项目", "发现（项）", "已整改（项）", "未整改（项）", "整改率"}, 2)
	hazard := func(group, item string, c store.HazardCount) {
		open := cell{c.Open, b.number}
		if c.Open > 0 {
			open.style = b.fills[fillBad]
		}
		hz.add(cell{group, 0}, cell{item, 0}, cell{c.Found, b.number}, cell{c.Closed, b.number}, open, percent(c.Percent))
	}
	hazard("合计", "全部隐患", st.Hazards.HazardCount)
	for _, x := range domain.HazardSources {
		hazard("按来源", HazardSourceLabel(x), st.Hazards.BySource[x])
	}
	for _, x := range []string{domain.HazardGeneral, domain.HazardMajor} {
		hazard("按等级", HazardLevelLabel(x)+"隐患", st.Hazards.ByLevel[x])
	}
	for _, x := range domain.Sectors {
		hazard("按行业", SectorLabel(x), st.Hazards.BySector[x])
	}
	if c, ok := st.Hazards.BySector["none"]; ok && c.Found > 0 {
		hazard("按行业", "未分行业", c)
	}
	hz.done()

	so := b.table("停产整顿", s.Title, []string{"对象", "下达（个）", "未解除（个）", "已解除（个）"}, 1)
	for _, x := range []struct {
		label string
		c     store.StopCount
	}{
		{"停产整顿单位", st.StopOrders.Units}, {"停止作业工作面", st.StopOrders.Faces},
		{"其中：掘进工作面", st.StopOrders.HeadingFaces}, {"其中：采煤工作面", st.StopOrders.CoalFaces},
	} {
		so.add(cell{x.label, 0}, cell{x.c.Issued, b.number}, cell{x.c.Standing, b.number}, cell{x.c.Lifted, b.number})
	}
	so.done()

	money := b.numFmt(b.decimal, "#,##0.00")
	ca := b.table("执法处罚", s.Title, []string{"项目", "数量"}, 1)
	ca.add(cell{"立案（件）", 0}, cell{st.Cases.Filed, b.number})
	ca.add(cell{"结案（件）", 0}, cell{st.Cases.Closed, b.number})
	ca.add(cell{"作出处理决定（件）", 0}, cell{st.Cases.Decided, b.number})
	for _, d := range domain.CaseDecisions {
		ca.add(cell{"其中：" + CaseDecisionLabel(d) + "（件）", 0}, cell{st.Cases.ByDecision[d], b.number})
	}
	ca.add(cell{"罚款金额（元）", 0}, cell{st.Cases.Fines, money})
	ca.done()

	ex := b.table("逢查必考", s.Title, []string{"考试人数（人）", "合格人数（人）", "合格率", "不合格培训（人次）"}, 0)
	ex.add(cell{st.Exams.Examined, b.number}, cell{st.Exams.Passed, b.number}, percent(st.Exams.Percent), cell{st.Exams.Examined - st.Exams.Passed, b.number})
	ex.done()

	years := slices.Sorted(maps.Keys(st.Meetings.ByYear))
	head := []string{"会议类型"}
	for _, y := range years {
		head = append(head, y+"年（次）")
	}
	mt := b.table("会议", s.Title, append(head, "合计（次）"), 1)
	for _, k := range domain.MeetingKinds {
		row := []cell{{domain.MeetingKindNames[k], 0}}
		for _, y := range years {
			row = append(row, cell{st.Meetings.ByYear[y][k], b.number})
		}
		mt.add(append(row, cell{st.Meetings.ByKind[k], b.number})...)
	}
	blank := make([]cell, len(years))
	mt.add(append(append([]cell{{"议定事项（项）", 0}}, blank...), cell{st.Meetings.Decisions, b.number})...)
	mt.add(append(append([]cell{{"其中：未办结（项）", 0}}, blank...), cell{st.Meetings.OpenDecisions, b.number})...)
	mt.done()
	tr := b.table("安全培训", s.Title, []string{"分类", "项目", "培训（场次）", "培训（人次）"}, 2)
	tr.add(cell{"合计", 0}, cell{"培训场次", 0}, cell{st.Training.Sessions, b.number}, cell{st.Training.People, b.number})
	for _, a := range domain.TrainingAudiences {
		c := st.Training.ByAudience[a]
		tr.add(cell{"按培训对象", 0}, cell{TrainingAudienceLabel(a), 0}, cell{c.Sessions, b.number}, cell{c.People, b.number})
	}
	for _, y := range slices.Sorted(maps.Keys(st.Training.ByYear)) {
		c := st.Training.ByYear[y]
		tr.add(cell{"按年度", 0}, cell{y + "年", 0}, cell{c.Sessions, b.number}, cell{c.People, b.number})
	}
	tr.add(cell{"培训人次", 0}, cell{"含逢查必考不合格培训", 0}, cell{nil, 0}, cell{st.PeopleTrained, b.number})
	tr.done()

	pb := b.table("宣传", s.Title, []string{"分类", "项目", "数量（期/篇/次）"}, 2)
	pb.add(cell{"合计", 0}, cell{"宣传", 0}, cell{st.Publicity.Items, b.number})
	for _, k := range domain.PublicityKinds {
		pb.add(cell{"按类别", 0}, cell{PublicityKindLabel(k), 0}, cell{st.Publicity.ByKind[k], b.number})
	}
	for _, y := range slices.Sorted(maps.Keys(st.Publicity.ByYear)) {
		pb.add(cell{"按年度", 0}, cell{y + "年", 0}, cell{st.Publicity.ByYear[y], b.number})
	}
	pb.done()

	dr := b.table("联合演练", s.Title, []string{"分类", "项目", "演练（次）", "发现问题（个）", "已整改销号（个）"}, 2)
	dr.add(cell{"合计", 0}, cell{"联合演练", 0}, cell{st.Drills.Drills, b.number}, cell{st.Drills.Problems, b.number}, cell{st.Drills.Rectified, b.number})
	for _, y := range slices.Sorted(maps.Keys(st.Drills.ByYear)) {
		c := st.Drills.ByYear[y]
		dr.add(cell{"按年度", 0}, cell{y + "年", 0}, cell{c.Drills, b.number}, cell{c.Problems, b.number}, cell{c.Rectified, b.number})
	}
	dr.done()
	return b.bytes()
}

var trainingAudienceLabels = []label{{"frontline", "一线员工"}, {"heads", "主要负责人"}, {"managers", "安全管理人员"},
	{"special_workers", "特种作业人员"}, {"officials", "干部职工"}, {"public", "群众"}, {"other", "其他"}}

// TrainingAudienceLabel is a training session's audience: 一线员工, 主要负责人, 安全管理人员, ….
func TrainingAudienceLabel(a string) string { return labelOf(trainingAudienceLabels, a) }

var publicityKindLabels = []label{{"tv_column", "电视专栏"}, {"radio", "广播"}, {"newspaper", "报刊"}, {"online", "网络"},
	{"poster", "标语海报"}, {"event", "宣传活动"}, {"other", "其他"}}

// PublicityKindLabel is a publicity item's kind: 电视专栏, 广播, 报刊, ….
func PublicityKindLabel(k string) string { return labelOf(publicityKindLabels, k) }
