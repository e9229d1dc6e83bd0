package domain

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sectors of production units (行业领域).
var Sectors = []string{"coal_mine", "non_coal_mine", "hazardous_chemicals", "construction", "road_transport", "gas",
	"industry_trade", "fireworks", "other"}

// Inspection kinds: 督导检查 (county supervision teams), 执法检查 (enforcement),
// 暗访 (covert), 人大视察 (people's-congress inspection), 专项监察 (higher-level
// special supervision, e.g. 一通三防, 冲击地压), 日常检查 (daily).
var InspectionKinds = []string{"supervision", "enforcement", "covert", "congress", "special", "daily"}

// BodyLevels are the levels of the body that finds a hazard.
var BodyLevels = []string{"county", "city", "province", "state"}

// Hazard levels: 一般 and 重大 (State Administration of Work Safety Order No. 16, 2007).
const (
	HazardGeneral = "general"
	HazardMajor   = "major"
)

// HazardFinders: found by an inspection, by the unit itself, or reported.
var HazardFinders = []string{"inspection", "self", "report"}

// CoalMajorCategories are the categories of the national standard for
// determining major accident hazards in coal mines (MEM Order No. 4, 2021),
// in its order; a coal mine's hazards take one of them. Other sectors use
// OtherCategories (their own lists: industry and trade, MEM Order No. 10, 2023).
var CoalMajorCategories = []string{
	"超能力、超强度或者超定员组织生产", "瓦斯超限作业", "煤与瓦斯突出矿井未依照规定实施防突出措施",
	"高瓦斯矿井未建立瓦斯抽采系统和监控系统或者系统不能正常运行", "通风系统不完善、不可靠",
	"有严重水患未采取有效措施", "超层越界开采", "有冲击地压危险未采取有效措施", "自然发火严重未采取有效措施",
	"使用明令禁止使用或者淘汰的设备、工艺", "煤矿没有双回路供电系统", "新建煤矿边建设边生产，改扩建矿井在改扩建区域生产",
	"煤矿实行整体承包生产经营后未重新取得或者及时变更安全生产许可证而从事生产", "煤矿改制期间未明确安全生产责任人和安全管理机构",
	"其他重大事故隐患",
}

// OtherCategories are the categories used outside coal mines.
var OtherCategories = []string{"安全管理", "设备设施", "作业环境", "消防安全", "危险化学品", "用电安全", "特种作业", "应急管理", "其他"}

// CategoriesFor are the hazard categories a unit of a sector takes at a
// level: a major hazard at a coal mine is one of the national standard's
// categories; general ones (and other sectors') take OtherCategories, and a
// coal mine's general hazard may also name the standard's category it touches.
func CategoriesFor(sector, level string) []string {
	switch {
	case sector == "coal_mine" && level == HazardMajor:
		return CoalMajorCategories
	case sector == "coal_mine":
		return append(slices.Clone(OtherCategories), CoalMajorCategories...)
	}
	return OtherCategories
}

// Case decisions and their steps (立案 → 调查取证 → 告知 → 决定 → 执行 → 结案).
var (
	CaseDecisions = []string{"warning", "fine", CaseDecisionStop, "suspend_licence", "confiscate", "close"}
	CaseSteps     = []Status{CaseFiled, CaseInvestigating, CaseNotified, CaseDecided, CaseExecuting, CaseClosed}
)

// CaseDecisionStop orders the unit to stop production (责令停产停业): the
// decision issues a stop order of the whole unit and starts its lifting.
const CaseDecisionStop = "stop"

// MaxFine bounds a fine (yuan).
const MaxFine = 100000000

// MaxEvidence bounds one evidence file (5 MiB); MaxEvidenceFiles a hazard's files.
const (
	MaxEvidence      = 5 << 20
	MaxEvidenceFiles = 20
)

// HazardPolicy is how long each step of a hazard's loop may take, in days,
// and the ladders that press them. Zero fields take the defaults.
type HazardPolicy struct {
	// VerifyDays: the finding body verifies (复查) a rectification within this many days.
	VerifyDays int `json:"verify_days,omitempty"`
	// PlanDays: a major hazard's 五到位 plan is due this many days after it was recorded.
	PlanDays int `json:"plan_days,omitempty"`
	// ApproveDays: the supervising department decides on a plan within this many days.
	ApproveDays int `json:"approve_days,omitempty"`
	// Ladder presses the unit's rectification past its deadline; MajorLadder a major hazard's.
	Ladder      Ladder `json:"ladder,omitempty"`
	MajorLadder Ladder `json:"major_ladder,omitempty"`
	// StepLadder presses the checking bodies' steps (plan approval, verification).
	StepLadder Ladder `json:"step_ladder,omitempty"`
	// CovertPoints are deducted from a mine whose leader on duty a covert
	// check (暗访) found had not gone down with the shift (带班下井), once a month.
	CovertPoints *float64 `json:"covert_points,omitempty"`
}

// Validate checks a policy with its defaults filled in, naming each bad field under prefix.
func (p HazardPolicy) Validate(prefix string, v *ValidationError) {
	for name, n := range map[string]int{"verify_days": p.VerifyDays, "plan_days": p.PlanDays, "approve_days": p.ApproveDays} {
		if n < 1 || n > 90 {
			v.Add(prefix+"."+name, MsgRange(1, 90))
		}
	}
	p.Ladder.Validate(prefix+".ladder", v)
	p.MajorLadder.Validate(prefix+".major_ladder", v)
	p.StepLadder.Validate(prefix+".step_ladder", v)
	if p.CovertPoints != nil && (*p.CovertPoints < 0 || *p.CovertPoints > MaxPoints) {
		v.Add(prefix+".covert_points", MsgRange(0, MaxPoints))
	}
	v.Sort()
}

// Covert is the points a failed covert check costs (CovertCheckPoints when unset).
func (p HazardPolicy) Covert() float64 {
	if p.CovertPoints == nil {
		return CovertCheckPoints
	}
	return *p.CovertPoints
}

// DefaultHazardPolicy: verification within 10 days (typical of the national
// rules), a major hazard's plan within 7 days, its approval within 5.
func DefaultHazardPolicy() HazardPolicy {
	return HazardPolicy{
		VerifyDays: 10, PlanDays: 7, ApproveDays: 5,
		Ladder: Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
			{Offset: days(3), Action: ActionLetter}, {Offset: days(7), Action: ActionNotice}, {Offset: days(7), Action: ActionDeduct, Points: 1}},
		// A major hazard: letters and notices sooner, then the unit head is summoned and points deducted.
		MajorLadder: Ladder{{Offset: days(-3), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
			{Offset: days(1), Action: ActionLetter}, {Offset: days(3), Action: ActionNotice},
			{Offset: days(7), Action: ActionInterview}, {Offset: days(7), Action: ActionDeduct, Points: 3}},
		StepLadder: Ladder{{Offset: 0, Action: ActionRemind}, {Offset: days(3), Action: ActionLetter}},
	}
}

// WithDefaults fills what is unset.
func (p HazardPolicy) WithDefaults() HazardPolicy {
	d := DefaultHazardPolicy()
	if p.VerifyDays == 0 {
		p.VerifyDays = d.VerifyDays
	}
	if p.PlanDays == 0 {
		p.PlanDays = d.PlanDays
	}
	if p.ApproveDays == 0 {
		p.ApproveDays = d.ApproveDays
	}
	if p.Ladder == nil {
		p.Ladder = d.Ladder
	}
	if p.MajorLadder == nil {
		p.MajorLadder = d.MajorLadder
	}
	if p.StepLadder == nil {
		p.StepLadder = d.StepLadder
	}
	return p
}

// Days is n days.
func Days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// NewHazard is a hazard as a finder records it.
type NewHazard struct {
	Unit        string     `json:"unit"`
	Face        string     `json:"face,omitempty"`
	Source      string     `json:"source"`
	Level       string     `json:"level"`
	Category    string     `json:"category"`
	Description string     `json:"description"`
	Location    string     `json:"location,omitempty"`
	FoundBy     string     `json:"found_by"`
	Inspection  int64      `json:"inspection,omitempty"`
	FoundOn     string     `json:"found_on"`
	Deadline    *time.Time `json:"deadline"`
	// StopFaces: for a major hazard at a mine, the faces to stop (none: the whole mine).
	StopFaces []string `json:"stop_faces,omitempty"`
	// ClosedOn records a past hazard already rectified and verified (销号) on
	// that day: the ledger's history, kept closed, with no process and no stop order.
	ClosedOn string `json:"closed_on,omitempty"`
}

// Earliest is the first day a record may be dated.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, DefaultZone)

// day reads a date field: a day no later than now and no earlier than Earliest.
func day(v *ValidationError, field, value string, now time.Time) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, value, DefaultZone)
	switch {
	case err != nil:
		v.Add(field, "应为日期，例如 2020-06-01")
	case d.After(now):
		v.Add(field, "不能晚于今天")
	case d.Before(Earliest):
		v.Add(field, "不能早于2000年")
	default:
		return d, true
	}
	return d, false
}

// Validate checks a new hazard's fields against its unit's sector; every
// wrong field is named. now bounds the dates.
func (h *NewHazard) Validate(sector string, now time.Time, v *ValidationError) {
	v.Text("unit", &h.Unit, true, 100)
	oneOf(v, "source", h.Source, HazardSources)
	oneOf(v, "level", h.Level, []string{HazardGeneral, HazardMajor})
	oneOf(v, "found_by", h.FoundBy, HazardFinders)
	if sector != "" {
		oneOf(v, "category", h.Category, CategoriesFor(sector, h.Level))
	}
	v.Text("description", &h.Description, true, 5000)
	v.Text("location", &h.Location, false, 500)
	if h.FoundBy == "inspection" && h.Inspection <= 0 {
		v.Add("inspection", "由检查发现的隐患应填写检查编号")
	}
	found, foundOK := day(v, "found_on", h.FoundOn, now)
	switch {
	case h.Deadline == nil:
		v.Add("deadline", MsgRequired)
	case foundOK && h.Deadline.Before(found):
		v.Add("deadline", "不能早于发现日期")
	case foundOK && h.Deadline.After(found.Add(Days(366))):
		v.Add("deadline", "应在发现后一年之内")
	case h.ClosedOn == "" && !h.Deadline.After(now):
		v.Add("deadline", "应晚于现在（已整改销号的历史隐患请填写销号日期 closed_on）")
	}
	if h.ClosedOn != "" {
		if closed, ok := day(v, "closed_on", h.ClosedOn, now); ok && foundOK && closed.Before(found) {
			v.Add("closed_on", "不能早于发现日期")
		}
		if len(h.StopFaces) > 0 {
			v.Add("stop_faces", "已销号的历史隐患不再责令停产")
		}
	}
	if len(h.StopFaces) > 0 && h.Level != HazardMajor {
		v.Add("stop_faces", "只有重大隐患责令停止工作面")
	}
	for i := range h.StopFaces {
		v.Text(fmt.Sprintf("stop_faces[%d]", i), &h.StopFaces[i], true, 40)
	}
}

// Plan is a major hazard's rectification plan: 五到位 — measures, funds, time
// limit, responsible person, contingency plan — each required.
type Plan struct {
	Measures    string     `json:"measures"`
	Funds       float64    `json:"funds"`
	Deadline    *time.Time `json:"deadline"`
	Responsible string     `json:"responsible"`
	Contingency string     `json:"contingency"`
}

// Validate checks every part of the plan.
func (p *Plan) Validate(prefix string, v *ValidationError) {
	v.Text(prefix+"measures", &p.Measures, true, 20000)
	if p.Funds <= 0 || p.Funds > MaxFine {
		v.Add(prefix+"funds", MsgRange(0.01, MaxFine))
	}
	if p.Deadline == nil {
		v.Add(prefix+"deadline", MsgRequired)
	}
	v.Text(prefix+"responsible", &p.Responsible, true, 200)
	v.Text(prefix+"contingency", &p.Contingency, true, 20000)
}

// NewInspection is an inspection as its team records it.
type NewInspection struct {
	Kind     string        `json:"kind"`
	Title    string        `json:"title"`
	Level    string        `json:"level,omitempty"`
	Source   string        `json:"source,omitempty"`
	Leader   string        `json:"leader"`
	Members  string        `json:"members,omitempty"`
	StartsOn string        `json:"starts_on"`
	EndsOn   string        `json:"ends_on"`
	Campaign string        `json:"campaign,omitempty"`
	Visits   []VisitRecord `json:"visits"`
	// Recommendations: a people's-congress inspection's (人大视察) recommendations
	// to the government, each tracked as an assigned matter of the unit named.
	Recommendations []Recommendation `json:"recommendations,omitempty"`
}

// Recommendation is one recommendation of a people's-congress inspection: the
// unit that answers it, what is recommended and by when.
type Recommendation struct {
	Unit    string     `json:"unit"`
	Title   string     `json:"title"`
	Content string     `json:"content"`
	DueAt   *time.Time `json:"due_at"`
}

// MaxRecommendations bounds an inspection's recommendations.
const MaxRecommendations = 50

// VisitRecord is one unit visited on a day: findings, 逢查必考 results, and for
// a covert check of a mine whether the leader on duty went down with the shift.
type VisitRecord struct {
	Unit       string `json:"unit"`
	VisitedOn  string `json:"visited_on"`
	Findings   string `json:"findings,omitempty"`
	Examined   int    `json:"examined,omitempty"`
	Passed     int    `json:"passed,omitempty"`
	LeaderDown *bool  `json:"leader_down,omitempty"`
}

// MaxVisits bounds an inspection's visits.
const MaxVisits = 500

// Validate checks an inspection and its visits.
func (in *NewInspection) Validate(now time.Time, v *ValidationError) {
	oneOf(v, "kind", in.Kind, InspectionKinds)
	v.Text("title", &in.Title, true, 200)
	if in.Level == "" {
		in.Level = "county"
	}
	oneOf(v, "level", in.Level, BodyLevels)
	if in.Source != "" {
		oneOf(v, "source", in.Source, HazardSources)
	}
	v.Text("leader", &in.Leader, true, 100)
	v.Text("members", &in.Members, false, 2000)
	from, fromOK := day(v, "starts_on", in.StartsOn, now)
	var err1 error
	if !fromOK {
		err1 = errors.New("starts_on")
	}
	to, err2 := time.ParseInLocation(time.DateOnly, in.EndsOn, DefaultZone)
	switch {
	case err2 != nil:
		v.Add("ends_on", "应为日期，例如 2020-06-03")
	case err1 == nil && to.Before(from):
		v.Add("ends_on", "不能早于开始日期")
	case err1 == nil && to.Sub(from) > Days(366):
		v.Add("ends_on", "一次检查不超过一年")
	}
	switch {
	case len(in.Visits) == 0:
		v.Add("visits", "至少检查一个单位")
	case len(in.Visits) > MaxVisits:
		v.Add("visits", MsgAtMostItems(MaxVisits))
	}
	seen := map[string]bool{}
	for i := range in.Visits {
		at := fmt.Sprintf("visits[%d]", i)
		vr := &in.Visits[i]
		v.Text(at+".unit", &vr.Unit, true, 100)
		v.Text(at+".findings", &vr.Findings, false, 20000)
		day, err := time.ParseInLocation(time.DateOnly, vr.VisitedOn, DefaultZone)
		switch {
		case err != nil:
			v.Add(at+".visited_on", "应为日期，例如 2020-06-01")
		case err1 == nil && err2 == nil && (day.Before(from) || day.After(to)):
			v.Add(at+".visited_on", "应在检查的起止日期之间")
		}
		if seen[vr.Unit+vr.VisitedOn] {
			v.Add(at, MsgDuplicate)
		}
		seen[vr.Unit+vr.VisitedOn] = true
		if vr.Examined < 0 || vr.Examined > 100000 {
			v.Add(at+".examined", MsgRange(0, 100000))
		}
		if vr.Passed < 0 || vr.Passed > vr.Examined {
			v.Add(at+".passed", MsgRange(0, vr.Examined))
		}
		if vr.Examined > 0 && in.Kind != "enforcement" {
			v.Add(at+".examined", "只有执法检查记录逢查必考")
		}
		if vr.LeaderDown != nil && in.Kind != "covert" {
			v.Add(at+".leader_down", "只有暗访记录带班下井")
		}
	}
	switch {
	case len(in.Recommendations) > 0 && in.Kind != "congress":
		v.Add("recommendations", "只有人大视察提出建议")
	case len(in.Recommendations) > MaxRecommendations:
		v.Add("recommendations", MsgAtMostItems(MaxRecommendations))
	}
	for i := range in.Recommendations {
		at := fmt.Sprintf("recommendations[%d]", i)
		r := &in.Recommendations[i]
		v.Text(at+".unit", &r.Unit, true, 100)
		v.Text(at+".title", &r.Title, true, 180)
		v.Text(at+".content", &r.Content, true, 20000)
		switch {
		case r.DueAt == nil:
			v.Add(at+".due_at", MsgRequired)
		case !r.DueAt.After(now):
			v.Add(at+".due_at", MsgFuture)
		}
	}
}

// NewCase is an enforcement case as the authority files it.
type NewCase struct {
	Unit       string `json:"unit"`
	Inspection int64  `json:"inspection,omitempty"`
	Hazard     int64  `json:"hazard,omitempty"`
	Violation  string `json:"violation"`
	LegalBasis string `json:"legal_basis"`
	FiledOn    string `json:"filed_on"`
	// A past case already closed (结案) on ClosedOn, with its decision and fine:
	// the ledger's history, with no process.
	ClosedOn string   `json:"closed_on,omitempty"`
	Decision string   `json:"decision,omitempty"`
	Fine     *float64 `json:"fine,omitempty"`
}

// Validate checks a new case.
func (c *NewCase) Validate(now time.Time, v *ValidationError) {
	v.Text("unit", &c.Unit, true, 100)
	v.Text("violation", &c.Violation, true, 5000)
	v.Text("legal_basis", &c.LegalBasis, true, 2000)
	filed, filedOK := day(v, "filed_on", c.FiledOn, now)
	if c.Inspection < 0 || c.Hazard < 0 {
		v.Add("inspection", "应为正整数")
	}
	switch {
	case c.ClosedOn == "" && (c.Decision != "" || c.Fine != nil):
		v.Add("decision", "决定在办案步骤中作出；已结案的历史案件请填写结案日期 closed_on")
	case c.ClosedOn != "":
		if closed, ok := day(v, "closed_on", c.ClosedOn, now); ok && filedOK && closed.Before(filed) {
			v.Add("closed_on", "不能早于立案日期")
		}
		if c.Decision != "" {
			oneOf(v, "decision", c.Decision, CaseDecisions)
		}
		checkFine(v, c.Decision, c.Fine)
	}
}

// checkFine checks a case decision's fine: a fine decision names its amount,
// and an amount is within range. It answers whether it found the fine sound.
func checkFine(v *ValidationError, decision string, fine *float64) bool {
	switch {
	case decision == "fine" && fine == nil:
		v.Add("fine", "罚款决定应填写罚款金额")
	case fine != nil && (*fine < 0 || *fine > MaxFine):
		v.Add("fine", MsgRange(0, MaxFine))
	default:
		return true
	}
	return false
}

func oneOf(v *ValidationError, field, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		v.Add(field, MsgOneOf(allowed...))
	}
}

// The task kinds of hazards, stop orders and cases.
const (
	// KindHazardRectify: the unit reports what it did to rectify a hazard.
	KindHazardRectify TaskKind = "hazard.rectify"
	// KindHazardVerify: the finding body (or, for a major hazard, the supervising department) verifies it (复查): closed or returned.
	KindHazardVerify TaskKind = "hazard.verify"
	// KindHazardPlan: the unit submits a major hazard's 五到位 plan.
	KindHazardPlan TaskKind = "hazard.plan"
	// KindHazardApprovePlan: the supervising department approves the plan or returns it.
	KindHazardApprovePlan TaskKind = "hazard.approve_plan"
	// KindStopResume: the unit applies to resume production (复产申请).
	KindStopResume TaskKind = "stop.resume"
	// KindStopAccept: the supervising department's on-site acceptance (复产验收).
	KindStopAccept TaskKind = "stop.accept"
	// KindStopApprove: a county leader approves the resumption.
	KindStopApprove TaskKind = "stop.approve"
	// KindCaseStep: the authority records a step of an enforcement case with its document's number.
	KindCaseStep TaskKind = "case.step"
	// KindCaseDecide: the authority's decision (warning, fine with amount, stop order, …).
	KindCaseDecide TaskKind = "case.decide"
)

// CovertCheckPoints are deducted from a mine whose leader on duty a covert
// check (暗访) found not to have gone down with the shift (带班下井), once per mine and month.
const CovertCheckPoints = 1.0
