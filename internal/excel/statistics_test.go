package excel_test

import (
	"slices"
	"testing"

	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

func TestStatisticsTable(t *testing.T) {
	count := func(found, closed int, percent *float64) store.HazardCount {
		return store.HazardCount{Found: found, Closed: closed, Open: found - closed, Percent: percent}
	}
	st := store.Stats{
		Inspections: store.InspectionStats{
			InspectionCount: store.InspectionCount{UnitsInspected: 73, Inspections: 20, Visits: 140},
			ByKind: map[string]store.InspectionCount{
				"supervision": {UnitsInspected: 73, Inspections: 8, Visits: 88},
				"enforcement": {UnitsInspected: 10, Inspections: 12, Visits: 52},
			},
		},
		Hazards: store.HazardStats{
			HazardCount: count(300, 298, ptr(99.3)),
			BySource:    map[string]store.HazardCount{"ventilation": count(158, 158, ptr(100.0)), "daily": count(142, 140, ptr(98.6))},
			ByLevel:     map[string]store.HazardCount{"general": count(299, 298, ptr(99.7)), "major": count(1, 0, ptr(0.0))},
			BySector:    map[string]store.HazardCount{"coal_mine": count(290, 288, ptr(99.3)), "none": count(10, 10, ptr(100.0))},
		},
		StopOrders: store.StopOrderStats{Units: store.StopCount{Issued: 2, Lifted: 2}, Faces: store.StopCount{Issued: 7, Standing: 1, Lifted: 6},
			HeadingFaces: store.StopCount{Issued: 6, Lifted: 6}, CoalFaces: store.StopCount{Issued: 1, Standing: 1}},
		Cases: store.CaseStats{Filed: 32, Closed: 30, Decided: 6, Fines: 120500.5, ByDecision: map[string]int{"fine": 5, "stop": 1}},
		Exams: store.ExamStats{Examined: 300, Passed: 280, Percent: ptr(93.3)},
		Meetings: store.MeetingStats{Held: 10, Decisions: 7, OpenDecisions: 2,
			ByKind: map[string]int{"standing_committee": 4, "special_meeting": 1, "executive_meeting": 5},
			ByYear: map[string]map[string]int{"2020": {"standing_committee": 4, "special_meeting": 1, "executive_meeting": 5}}},
		PeopleTrained: 3160,
		Training: store.TrainingStats{TrainingCount: store.TrainingCount{Sessions: 30, People: 3140},
			ByAudience: map[string]store.TrainingCount{"frontline": {Sessions: 28, People: 3100}, "heads": {Sessions: 2, People: 40}},
			ByYear:     map[string]store.TrainingCount{"2021": {Sessions: 10, People: 1000}, "2020": {Sessions: 20, People: 2140}}},
		Publicity: store.PublicityStats{Items: 6, ByKind: map[string]int{"tv_column": 5, "newspaper": 1}, ByYear: map[string]int{"2020": 6}},
		Drills: store.DrillStats{DrillCount: store.DrillCount{Drills: 2, Problems: 4, Rectified: 3},
			ByYear: map[string]store.DrillCount{"2021": {Drills: 1, Problems: 2, Rectified: 2}, "2020": {Drills: 1, Problems: 2, Rectified: 1}}},
	}
	b, err := excel.StatisticsTable(excel.StatsSheet{Title: "2020年检查执法统计", Stats: st})
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "检查", "隐患", "停产整顿", "执法处罚", "逢查必考", "会议", "安全培训", "宣传", "联合演练")
	header(t, f, "会议", 2, 1, "会议类型", "2020年（次）", "合计（次）")
	header(t, f, "检查", 2, 1, "检查类别", "检查次数（次）", "检查单位（家次）", "检查单位（家）")
	header(t, f, "隐患", 2, 2, "分类", "项目", "发现（项）", "已整改（项）", "未整改（项）", "整改率")
	header(t, f, "停产整顿", 2, 1, "对象", "下达（个）", "未解除（个）", "已解除（个）")
	header(t, f, "执法处罚", 2, 1, "项目", "数量")
	header(t, f, "逢查必考", 2, 0, "考试人数（人）", "合格人数（人）", "合格率", "不合格培训（人次）")
	header(t, f, "安全培训", 2, 2, "分类", "项目", "培训（场次）", "培训（人次）")
	header(t, f, "宣传", 2, 2, "分类", "项目", "数量（期/篇/次）")
	header(t, f, "联合演练", 2, 2, "分类", "项目", "演练（次）", "发现问题（个）", "已整改销号（个）")
	for sheet, rows := range map[string]map[int][]string{
		"检查": {3: {"督导检查", "8", "88", "73"}, 4: {"执法检查", "12", "52", "10"}, 8: {"日常检查", "0", "0", "0"},
			9: {"合计", "20", "140", "73"}},
		"隐患": {3: {"合计", "全部隐患", "300", "298", "2", "99.3%"}, 4: {"按来源", "一通三防", "158", "158", "0", "100.0%"},
			5: {"按来源", "冲击地压", "0", "0", "0"}, 8: {"按等级", "一般隐患", "299", "298", "1", "99.7%"},
			9: {"按等级", "重大隐患", "1", "0", "1", "0.0%"}, 10: {"按行业", "煤矿", "290", "288", "2", "99.3%"},
			19: {"按行业", "未分行业", "10", "10", "0", "100.0%"}},
		"停产整顿": {3: {"停产整顿单位", "2", "0", "2"}, 4: {"停止作业工作面", "7", "1", "6"}, 5: {"其中：掘进工作面", "6", "0", "6"},
			6: {"其中：采煤工作面", "1", "1", "0"}},
		"执法处罚": {3: {"立案（件）", "32"}, 4: {"结案（件）", "30"}, 5: {"作出处理决定（件）", "6"}, 6: {"其中：警告（件）", "0"},
			7: {"其中：罚款（件）", "5"}, 8: {"其中：责令停产停业（件）", "1"}, 12: {"罚款金额（元）", "120,500.50"}},
		"逢查必考": {3: {"300", "280", "93.3%", "20"}},
		"会议":   {3: {"县委常委会", "4", "4"}, 4: {"县委专题会议", "1", "1"}, 5: {"政府常务会", "5", "5"}, 9: {"技术交流会", "0", "0"}, 10: {"议定事项（项）", "", "7"}, 11: {"其中：未办结（项）", "", "2"}},
		"安全培训": {3: {"合计", "培训场次", "30", "3140"}, 4: {"按培训对象", "一线员工", "28", "3100"}, 5: {"按培训对象", "主要负责人", "2", "40"},
			6: {"按培训对象", "安全管理人员", "0", "0"}, 10: {"按培训对象", "其他", "0", "0"}, 11: {"按年度", "2020年", "20", "2140"},
			12: {"按年度", "2021年", "10", "1000"}, 13: {"培训人次", "含逢查必考不合格培训", "", "3160"}},
		"宣传":   {3: {"合计", "宣传", "6"}, 4: {"按类别", "电视专栏", "5"}, 6: {"按类别", "报刊", "1"}, 11: {"按年度", "2020年", "6"}},
		"联合演练": {3: {"合计", "联合演练", "2", "4", "3"}, 4: {"按年度", "2020年", "1", "2", "1"}, 5: {"按年度", "2021年", "1", "2", "2"}},
	} {
		for n, want := range rows {
			if got := row(t, f, sheet, n); !slices.Equal(got, want) {
				t.Errorf("%s row %d: %q, want %q", sheet, n, got, want)
			}
		}
	}
	if got := row(t, f, "隐患", 20); got != nil {
		t.Errorf("隐患 row 20: %q, want none", got)
	}
	if c := fill(t, f, "隐患", "E3"); c != "FFC7CE" {
		t.Errorf("open hazards fill %q", c)
	}
	if c := fill(t, f, "隐患", "E4"); c != "" {
		t.Errorf("no open hazards, fill %q", c)
	}

	// nothing counted: zeros, no percentages
	b, err = excel.StatisticsTable(excel.StatsSheet{})
	if err != nil {
		t.Fatal(err)
	}
	f = open(t, b, "检查", "隐患", "停产整顿", "执法处罚", "逢查必考", "会议", "安全培训", "宣传", "联合演练")
	if got := row(t, f, "隐患", 2); !slices.Equal(got, []string{"合计", "全部隐患", "0", "0", "0"}) {
		t.Errorf("empty 隐患 total %q", got)
	}
	if got := row(t, f, "逢查必考", 2); !slices.Equal(got, []string{"0", "0", "", "0"}) {
		t.Errorf("empty 逢查必考 %q", got)
	}
}
