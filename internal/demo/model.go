// Package demo is the behaviour model of the demo county's people: when each
// holder of a task acts on it and what they answer. The demo bot plays it
// through the public API; the three-year test plays it in virtual time.
package demo

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Model says how the county behaves. Most units do their part a day after a
// task opens; a few are late: the units named in LateUnits by their days on
// every submission and signature, and any other unit's submission with
// probability LateRate, by 1 to MaxLateDays days, drawn from Seed and the
// task's id (so the same seed gives the same campaign, whatever the order).
type Model struct {
	Seed        int64          `json:"seed"`
	LateUnits   map[string]int `json:"late_units"`
	LateRate    float64        `json:"late_rate"`
	MaxLateDays int            `json:"max_late_days"`
	// Think is how long after a task opens its holder acts when on time (default one day).
	Think time.Duration `json:"think"`
	// LoanThink is how long a mine takes over each step of a loan of rescue
	// materials (default five minutes: an emergency is answered at once; a
	// loan runs in real time, not on the campaign's clock).
	LoanThink time.Duration `json:"loan_think"`
}

// DefaultModel is the demo county's behaviour: 公安局 is always two days late
// (a point off each month, never a notice); 崔木镇 twelve days (a notice, an
// interview and four points off each time); one in fifty other submissions is
// late by up to twelve days.
func DefaultModel() Model {
	return Model{Seed: 2020, LateUnits: map[string]int{"gaj": 2, "cm": 12}, LateRate: 0.02, MaxLateDays: 12, Think: 24 * time.Hour}
}

// Action is what the holder of a task does and when (campaign time).
type Action struct {
	At      time.Time
	Kind    string
	Payload map[string]any
	// Meeting, for a periodic meeting's minutes task, is the meeting to record
	// first (POST /meetings with the task, chaired by whoever acts); its id
	// becomes the payload's meeting_id.
	Meeting map[string]any
}

// Body is the request body of the action.
func (a Action) Body() json.RawMessage {
	b, _ := json.Marshal(a.Payload)
	return b
}

// submissions are the kinds a unit's own timeliness decides.
var submissions = map[domain.TaskKind]bool{domain.KindPledgeSign: true, domain.KindReportSubmit: true, domain.KindPlanTaskDone: true,
	domain.KindDocumentAcknowledge: true}

// LateDays is how many days late the unit does the task (0: on time).
func (m Model) LateDays(t store.Task) int {
	if !submissions[domain.TaskKind(t.Kind)] {
		return 0
	}
	if d, ok := m.LateUnits[t.UnitCode]; ok {
		return d
	}
	if m.LateRate <= 0 || m.MaxLateDays <= 0 || round(t.ID) > 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(m.Seed, 10) + "|" + subject(t.ID)))
	x := h.Sum64()
	if float64(x%1_000_000)/1_000_000 >= m.LateRate {
		return 0
	}
	return 1 + int((x/1_000_000)%uint64(m.MaxLateDays))
}

// Decide answers when the task's holder acts and how.
func (m Model) Decide(t store.Task) Action {
	think := m.Think
	if think <= 0 {
		think = 24 * time.Hour
	}
	at := t.CreatedAt.Add(think)
	if late := m.LateDays(t); late > 0 {
		at = t.DueAt.Add(time.Duration(late)*24*time.Hour + time.Hour)
	} else if !at.Before(t.DueAt) {
		at = t.CreatedAt.Add(t.DueAt.Sub(t.CreatedAt) / 2)
	}
	a := Action{At: at, Kind: t.Kind}
	switch domain.TaskKind(t.Kind) {
	case domain.KindPledgeSign:
		a.Payload = map[string]any{"decision": domain.DecisionSign}
	case domain.KindPledgeCountersign, domain.KindAssessmentApprove, domain.KindExtensionDecide, domain.KindAssignmentReview:
		a.Payload = map[string]any{"decision": domain.DecisionApprove}
	case domain.KindReportReview:
		a.Payload = map[string]any{"decision": domain.DecisionAccept}
	case domain.KindInterviewConfirm:
		a.Payload = map[string]any{"decision": domain.DecisionConfirm}
	case domain.KindReportSubmit:
		a.Payload = monthlyFigures(t.ID)
	case domain.KindPlanTaskDone, domain.KindAssignmentComplete:
		a.Payload = map[string]any{"result": "已按期完成，整改台账已归档。"}
	case domain.KindInterviewFulfil:
		a.Payload = map[string]any{"result": "约谈整改承诺已全部落实，整改报告已报送。"}
	case domain.KindInterviewSchedule:
		a.Payload = map[string]any{"scheduled_at": a.At.Add(2 * 24 * time.Hour).UTC(), "place": "县应急管理局三楼会议室", "leader": "分管安全生产副县长"}
	case domain.KindInterviewAcknowledge:
		a.At = t.CreatedAt.Add(time.Hour)
		a.Payload = map[string]any{"note": "按时参加"}
	case domain.KindInterviewMinutes:
		a.At = t.DueAt.Add(-12 * time.Hour)
		a.Payload = map[string]any{"minutes": "约谈指出问题，要求限期整改并书面报告。"}
	case domain.KindInterviewCommitments:
		a.Payload = map[string]any{"commitments": commitments(t), "commitments_due": a.At.Add(10 * 24 * time.Hour).UTC()}
	case domain.KindHazardRectify:
		a.Payload = map[string]any{"result": "隐患已按要求整改完毕，整改前后照片已存档。"}
	case domain.KindStopResume:
		a.Payload = map[string]any{"result": "停产整顿所涉隐患已全部整改销号，申请复产。"}
	case domain.KindHazardVerify, domain.KindHazardApprovePlan, domain.KindStopAccept, domain.KindStopApprove:
		a.Payload = map[string]any{"decision": domain.DecisionApprove}
	case domain.KindHazardPlan:
		a.Payload = map[string]any{"measures": "制定专项整改措施，落实专人负责", "funds": 200000, "deadline": t.DueAt.Add(20 * 24 * time.Hour).UTC(),
			"responsible": t.UnitName + "主要负责人", "contingency": "整改期间发现险情立即停止作业、撤出人员"}
	case domain.KindCaseStep:
		a.Payload = map[string]any{"note": "已按程序办理"}
	case domain.KindMeetingMinutes:
		var tc domain.TaskContext
		_ = json.Unmarshal(t.Context, &tc) // no context: the meeting's kind is refused, and logged
		title, _, _ := strings.Cut(strings.TrimPrefix(t.Title, "会议纪要："), "（")
		a.At = t.DueAt.Add(-24 * time.Hour)
		a.Meeting = map[string]any{"kind": tc.MeetingKind, "title": title, "organiser": t.UnitCode, "minutes_task": t.ID,
			"held_on": t.CreatedAt.In(domain.DefaultZone).Format(time.DateOnly), "attendees": []string{"郭家河煤矿", "园子沟煤矿", "招贤煤矿", "崔木煤矿"},
			"topics": []string{"冲击地压、一通三防灾害治理经验交流"}, "minutes": "各矿交流灾害治理经验，研究解决矿区共性技术问题。"}
		a.Payload = map[string]any{}
	case domain.KindDocumentAcknowledge:
		a.Payload = map[string]any{"comment": "已组织班子成员学习传达，按要求贯彻落实。"}
	case domain.KindDrillPrepare:
		a.Payload = map[string]any{"result": "救护小队9人、正压氧气呼吸器12台及灾区通信设备已检查就位，演练方案已组织学习。"}
	case domain.KindDrillEvaluate:
		a.At, a.Payload = drillRecord(t, a.At)
	case domain.KindLoanApprove:
		a.At = t.CreatedAt.Add(m.loanThink())
		a.Payload = map[string]any{"decision": domain.DecisionApprove, "comment": "同意借用，请即刻到我矿救护队器材室领取。"}
	case domain.KindLoanHandover:
		a.At = t.CreatedAt.Add(m.loanThink())
		a.Payload = map[string]any{"note": "已按借用清单交付对方救护队。"}
	case domain.KindLoanReturn:
		a.At = t.CreatedAt.Add(2 * m.loanThink())
		a.Payload = map[string]any{"how": domain.ReturnReplace, "note": "处置结束，已消耗的自救器用新品补齐，其余如数归还。"}
	case domain.KindMaterialRestock, domain.KindMaterialInspect:
		a.Payload = map[string]any{"note": "已补充并更新库存台账。"}
	case domain.KindCaseDecide:
		a.Payload = map[string]any{"decision": "fine", "fine": 30000, "number": "麟应急罚〔" + a.At.Format("2006") + "〕" + subject(t.ID) + "号"}
	default:
		a.Payload = map[string]any{}
	}
	if a.At.Before(t.CreatedAt) {
		a.At = t.CreatedAt
	}
	return a
}

// loanThink is how long a mine takes over each step of a loan.
func (m Model) loanThink() time.Duration {
	if m.LoanThink > 0 {
		return m.LoanThink
	}
	return 5 * time.Minute
}

// drillRecord is the organiser's record of a drill, made a day after the
// drill: held on its day, every participant present, and two problems — at
// the first two participating mines — each due a month later.
func drillRecord(t store.Task, at time.Time) (time.Time, map[string]any) {
	var tc domain.TaskContext
	_ = json.Unmarshal(t.Context, &tc)
	held := t.CreatedAt
	if tc.DrillAt != nil {
		held = *tc.DrillAt
	}
	at = held.Add(24 * time.Hour)
	if !at.Before(t.DueAt) {
		at = t.CreatedAt.Add(t.DueAt.Sub(t.CreatedAt) / 2)
	}
	units := tc.Units
	if len(units) == 0 {
		units = []string{t.UnitCode}
	}
	due := at.Add(30 * 24 * time.Hour).UTC()
	problems := []any{map[string]any{"unit": units[0], "description": "井下救灾通信中断后未及时启用备用联络方式", "deadline": due}}
	if len(units) > 1 {
		problems = append(problems, map[string]any{"unit": units[1], "description": "氧气呼吸器备用气瓶压力不足，器材日常维护不到位", "deadline": due})
	}
	return at, map[string]any{"held_on": held.In(domain.DefaultZone).Format(time.DateOnly), "present": units,
		"evaluation": "各矿救护队响应迅速、协同有序，完成侦察、灭火和搜救科目；通信联络和器材管理存在不足，已逐项交办整改。", "problems": problems}
}

// commitments answer each item an interview lists (one plain commitment when
// it lists one or none).
func commitments(t store.Task) []any {
	var tc domain.TaskContext
	_ = json.Unmarshal(t.Context, &tc)
	if len(tc.Items) < 2 {
		return []any{"十日内完成问题整改并报送整改报告"}
	}
	out := make([]any, 0, len(tc.Items))
	for _, it := range tc.Items {
		out = append(out, map[string]any{"item": it.ID, "text": "针对" + it.Label + "：十日内完成整改并报送整改报告"})
	}
	return out
}

// monthlyFigures is a plausible month of a unit's inspection work.
func monthlyFigures(taskID string) map[string]any {
	h := fnv.New32a()
	h.Write([]byte(taskID))
	n := int(h.Sum32() % 5)
	return map[string]any{
		"figures": map[string]any{"inspections": 3 + n, "units_inspected": 2 + n, "hazards_found": map[string]int{"daily": 4 + n},
			"hazards_rectified": map[string]int{"daily": 4 + n}, "people_trained": 50 + 10*n},
		"progress":   []map[string]string{{"plan_task": "本单位三年行动年度任务", "text": "按计划推进"}},
		"problems":   "无",
		"next_steps": "继续开展隐患排查整治",
	}
}

// round is a task id's last part ("report.x.y.submit.2" → 2).
func round(taskID string) int {
	n, _ := strconv.Atoi(taskID[strings.LastIndex(taskID, ".")+1:])
	return n
}

// subject is a task id without its round, so a resubmission keeps its lateness.
func subject(taskID string) string {
	if i := strings.LastIndex(taskID, "."); i > 0 {
		return taskID[:i]
	}
	return taskID
}
