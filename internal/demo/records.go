package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
)

// ReportCounts are the county's figures of inspections and enforcement in
// its report of 2020-12-14 (the seed's source). The demo records 2020's
// inspections, hazards, stop orders and cases so that each figure comes out
// of one query of the statistics (README: Inspection statistics); change a
// count here and the figures change with it.
type ReportCounts struct {
	// (a) Since the campaign began (2020-04-01): production units visited by the
	// county's supervision inspections, the hazards they found, and the cases
	// filed in every sector.
	SupervisionUnits   int
	SupervisionHazards int
	Cases              int
	// (b) At the coal mines in 2020: hazards found by 一通三防 special
	// supervision, by rock-burst special supervision and by daily supervision,
	// every one rectified.
	MineVentilation int
	MineRockBurst   int
	MineDaily       int
	// (c) The enforcement campaign at the mines in 2020: enforcement inspections,
	// their mine-visits, mines ordered to stop, heading faces stopped and penalty
	// cases (with a decision; they are among Cases).
	EnforcementInspections int
	MineVisits             int
	MinesStopped           int
	HeadingFacesStopped    int
	MinePenaltyCases       int
	// (d) Publicity and training (三是注重宣传教育): the coal mines' front-line
	// workers trained in their own sessions over the campaign in 2020 — the
	// report's "3000余名煤矿企业一线员工" — and the episodes of the county
	// television's column (在县电视台开设专栏).
	FrontlineTrained int
	TVEpisodes       int
	// (e) Meetings (今年以来，县委常委会4次、县委专题会议1次、政府常务会5次):
	// the county party standing committee, its special meeting and the
	// government's executive meetings that studied work safety in 2020.
	StandingCommittee int
	SpecialMeetings   int
	ExecutiveMeetings int
}

// ReportOf2020 are the figures of the county's report.
func ReportOf2020() ReportCounts {
	return ReportCounts{SupervisionUnits: 73, SupervisionHazards: 298, Cases: 32, MineVentilation: 158, MineRockBurst: 51, MineDaily: 583,
		EnforcementInspections: 12, MineVisits: 52, MinesStopped: 2, HeadingFacesStopped: 6, MinePenaltyCases: 6,
		FrontlineTrained: 3086, TVEpisodes: 8, StandingCommittee: 4, SpecialMeetings: 1, ExecutiveMeetings: 5}
}

// The report's periods.
var (
	CampaignBegan = time.Date(2020, 4, 1, 0, 0, 0, 0, domain.DefaultZone)
	YearBegan     = time.Date(2020, 1, 1, 0, 0, 0, 0, domain.DefaultZone)
	ReportDate    = time.Date(2020, 12, 14, 0, 0, 0, 0, domain.DefaultZone)
)

// Producer is a production unit as the records need it.
type Producer struct {
	Code         string
	Sector       string
	HeadingFaces []string
}

// Record is one thing the demo records through the API: who records it, where, and what.
type Record struct {
	Person string
	Path   string
	Key    string
	Body   map[string]any
	// Inspection, when set, is the index (in the records) of the inspection the
	// body's "inspection" field names, filled in once it is recorded.
	Inspection int
}

// Records2020 lays out the year's records from the counts, deterministically
// for a seed: every inspection precedes the hazards it found; every hazard and
// case is a closed one of the ledger's history, and every stop order lifted.
func Records2020(c ReportCounts, producers []Producer, seed uint64) ([]Record, error) {
	rng := rand.New(rand.NewPCG(seed, 2020))
	var mines, others []Producer
	for _, p := range producers {
		if p.Sector == "coal_mine" {
			mines = append(mines, p)
		} else {
			others = append(others, p)
		}
	}
	sort.Slice(mines, func(i, j int) bool { return mines[i].Code < mines[j].Code })
	sort.Slice(others, func(i, j int) bool { return others[i].Code < others[j].Code })
	faces := 0
	for _, m := range mines {
		faces += len(m.HeadingFaces)
	}
	switch {
	case len(mines) == 0:
		return nil, fmt.Errorf("demo records: no coal mines")
	case len(others) < c.SupervisionUnits:
		return nil, fmt.Errorf("demo records: %d production units besides the mines, the figures need %d", len(others), c.SupervisionUnits)
	case faces < c.HeadingFacesStopped:
		return nil, fmt.Errorf("demo records: %d heading faces, the figures stop %d", faces, c.HeadingFacesStopped)
	case c.MineVisits < c.EnforcementInspections || c.Cases < c.MinePenaltyCases || len(mines) < c.MinesStopped:
		return nil, fmt.Errorf("demo records: inconsistent counts %+v", c)
	}
	day := func(from, to time.Time) time.Time { // a weekday between from and to
		d := from.AddDate(0, 0, rng.IntN(int(to.Sub(from).Hours()/24)+1))
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, -1)
		}
		if d.Before(from) {
			d = from
		}
		return d
	}
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	closedAfter := func(found time.Time) time.Time { // rectified within a month, and by the report's date
		d := found.AddDate(0, 0, 3+rng.IntN(25))
		if d.After(ReportDate) {
			d = ReportDate
		}
		return d
	}
	var out []Record
	inspection := func(person, kind, title, level, source string, visits []map[string]any, from time.Time) int {
		b := map[string]any{"kind": kind, "title": title, "level": level, "leader": person, "starts_on": date(from), "ends_on": visits[len(visits)-1]["visited_on"], "visits": visits}
		if source != "" {
			b["source"] = source
		}
		out = append(out, Record{Person: person, Path: "/api/v1/inspections", Key: fmt.Sprintf("demo2020-insp-%d", len(out)), Body: b, Inspection: -1})
		return len(out) - 1
	}
	hazard := func(person string, insp int, unit, source, category, description string, found time.Time) {
		out = append(out, Record{Person: person, Path: "/api/v1/hazards", Key: fmt.Sprintf("demo2020-hz-%d", len(out)), Inspection: insp, Body: map[string]any{
			"unit": unit, "source": source, "level": domain.HazardGeneral, "category": category, "description": description, "found_by": "inspection",
			"found_on": date(found), "deadline": found.AddDate(0, 0, 15).Add(18 * time.Hour), "closed_on": date(closedAfter(found)),
		}})
	}

	// (a) The county's supervision teams: inspections of several units each,
	// from the campaign's start; every one of the units visited at least once.
	visited := others[:c.SupervisionUnits]
	var supervision []int
	var supervisionVisits []map[string]any
	for i := 0; i < len(visited); {
		n := min(4+rng.IntN(4), len(visited)-i)
		start := day(CampaignBegan, ReportDate.AddDate(0, 0, -10))
		var visits []map[string]any
		for j := range n {
			visits = append(visits, map[string]any{"unit": visited[i+j].Code, "visited_on": date(start.AddDate(0, 0, j/3)), "findings": "现场检查安全管理和设备设施"})
		}
		supervision = append(supervision, inspection("yjj-office", "supervision", fmt.Sprintf("安全生产专项整治集中督导检查（第%d组）", len(supervision)+1), "county", "", visits, start))
		supervisionVisits = append(supervisionVisits, visits...)
		i += n
	}
	for k := range c.SupervisionHazards {
		v := supervisionVisits[k%len(supervisionVisits)]
		insp := supervision[k%len(supervision)]
		for _, idx := range supervision { // the inspection that made this visit
			if slices.ContainsFunc(out[idx].Body["visits"].([]map[string]any), func(x map[string]any) bool { return x["unit"] == v["unit"] }) {
				insp = idx
			}
		}
		found, _ := time.ParseInLocation(time.DateOnly, v["visited_on"].(string), domain.DefaultZone)
		hazard("yjj-office", insp, v["unit"].(string), "daily", domain.OtherCategories[k%len(domain.OtherCategories)], fmt.Sprintf("督导检查发现问题第%d条", k+1), found)
	}

	// (b) The coal mines' hazards of 2020 by source: 一通三防 and rock-burst
	// special supervision by the province and the city, daily supervision by
	// the county's inspectors, month by month.
	mineHazards := func(count int, kind, source, level, title string, perInspection int, category func(int) string) {
		for made := 0; made < count; {
			m := mines[(made/perInspection)%len(mines)]
			visitDay := day(YearBegan, ReportDate.AddDate(0, 0, -3))
			insp := inspection("yjj-inspector-1", kind, title, level, sourceOf(kind, source), []map[string]any{{"unit": m.Code, "visited_on": date(visitDay)}}, visitDay)
			for j := 0; j < perInspection && made < count; j++ {
				hazard("yjj-inspector-1", insp, m.Code, source, category(made), fmt.Sprintf("%s发现问题第%d条", title, made+1), visitDay)
				made++
			}
		}
	}
	mineHazards(c.MineVentilation, "special", "ventilation", "province", "一通三防专项监察", 10, func(i int) string { return domain.CoalMajorCategories[4] })
	mineHazards(c.MineRockBurst, "special", "rock_burst", "city", "冲击地压专项监察", 6, func(i int) string { return domain.CoalMajorCategories[7] })
	mineHazards(c.MineDaily, "daily", "daily", "county", "煤矿日常监管检查", 12, func(i int) string { return domain.OtherCategories[i%len(domain.OtherCategories)] })

	// (c) The enforcement campaign at the mines: the inspections and their
	// mine-visits (逢查必考 at each), the stop orders and the penalty cases.
	extra := c.MineVisits - c.EnforcementInspections*min(len(mines), c.MineVisits/c.EnforcementInspections)
	var enforcement []int
	for i := range c.EnforcementInspections {
		start := day(YearBegan, ReportDate.AddDate(0, 0, -7))
		per := min(len(mines), c.MineVisits/c.EnforcementInspections)
		var visits []map[string]any
		for j := range per {
			examined := 8 + rng.IntN(8)
			visits = append(visits, map[string]any{"unit": mines[(i+j)%len(mines)].Code, "visited_on": date(start.AddDate(0, 0, j/2)),
				"examined": examined, "passed": examined - rng.IntN(3)})
		}
		if extra > 0 { // a mine visited again the next day
			examined := 8 + rng.IntN(8)
			visits = append(visits, map[string]any{"unit": mines[i%len(mines)].Code, "visited_on": date(start.AddDate(0, 0, per/2+1)),
				"examined": examined, "passed": examined - rng.IntN(3)})
			extra--
		}
		enforcement = append(enforcement, inspection("yjj-inspector-1", "enforcement", fmt.Sprintf("煤矿安全执法检查（第%d次）", i+1), "county", "", visits, start))
	}
	stop := func(body map[string]any) {
		out = append(out, Record{Person: "yjj-inspector-1", Path: "/api/v1/stop-orders", Key: fmt.Sprintf("demo2020-stop-%d", len(out)), Body: body, Inspection: -1})
	}
	for i := range c.MinesStopped {
		issued := day(YearBegan, ReportDate.AddDate(0, 0, -40))
		stop(map[string]any{"unit": mines[i].Code, "reason": "执法检查发现重大事故隐患，责令停产整顿", "issued_on": date(issued), "lifted_on": date(issued.AddDate(0, 0, 30))})
	}
	var headings []struct{ mine, face string }
	for _, m := range mines {
		for _, f := range m.HeadingFaces {
			headings = append(headings, struct{ mine, face string }{m.Code, f})
		}
	}
	for i := range c.HeadingFacesStopped {
		issued := day(YearBegan, ReportDate.AddDate(0, 0, -30))
		h := headings[i]
		stop(map[string]any{"unit": h.mine, "faces": []string{h.face}, "reason": "掘进工作面冲击地压防治措施不落实，责令停止作业",
			"issued_on": date(issued), "lifted_on": date(issued.AddDate(0, 0, 20))})
	}
	decisions := []string{"fine", "fine", "warning", "fine", "stop", "fine"}
	caseRecord := func(unit string, insp int, filed time.Time, decision string) {
		b := map[string]any{"unit": unit, "violation": "违反安全生产法律法规", "legal_basis": "《中华人民共和国安全生产法》", "filed_on": date(filed),
			"closed_on": date(closedAfter(filed)), "decision": decision}
		if decision == "fine" {
			b["fine"] = float64(10000 * (1 + rng.IntN(9)))
		}
		out = append(out, Record{Person: "yjj-inspector-1", Path: "/api/v1/cases", Key: fmt.Sprintf("demo2020-case-%d", len(out)), Body: b, Inspection: insp})
	}
	for i := range c.MinePenaltyCases {
		insp := enforcement[i%len(enforcement)]
		v := out[insp].Body["visits"].([]map[string]any)[0]
		filed, _ := time.ParseInLocation(time.DateOnly, v["visited_on"].(string), domain.DefaultZone)
		if filed.Before(CampaignBegan) { // counted since the campaign began too
			filed = day(CampaignBegan, ReportDate.AddDate(0, 0, -10))
		}
		caseRecord(v["unit"].(string), insp, filed, decisions[i%len(decisions)])
	}
	for i := range c.Cases - c.MinePenaltyCases {
		v := supervisionVisits[(i*7)%len(supervisionVisits)]
		filed, _ := time.ParseInLocation(time.DateOnly, v["visited_on"].(string), domain.DefaultZone)
		caseRecord(v["unit"].(string), -1, filed, decisions[(i+1)%len(decisions)])
	}
	out = append(out, training2020(c, mines, rng)...)
	out = append(out, meetings2020(c)...)
	return out, nil
}

// meetings2020 lays out (e): the county party standing committee's, its
// special meeting's and the government's executive meetings of 2020 that
// studied work safety, as records of the meetings held (their decisions were
// followed up then; the campaign's own meetings with decisions are played
// later, see CampaignMeetings), plus the safety committee's plenary and the
// coal-mine reflection meeting the report names.
func meetings2020(c ReportCounts) []Record {
	var out []Record
	meeting := func(kind, title, heldOn, organiser, chair string, topics ...string) {
		out = append(out, Record{Person: "yjj-office", Path: "/api/v1/meetings", Key: fmt.Sprintf("demo2020-meeting-%d", len(out)), Inspection: -1,
			Body: map[string]any{"kind": kind, "title": title, "held_on": heldOn, "organiser": organiser, "chair": chair, "topics": topics,
				"attendees": []string{"县委常委", "县政府领导班子成员", "县安委会成员单位主要负责人"},
				"minutes":   "会议传达中央和省市关于安全生产的决策部署和工作要求，研究解决安全生产突出问题。"}})
	}
	spread := func(n int, from time.Month, i int) string {
		// n meetings over the year from month from: the i-th in its share of the months.
		month := int(from) + i*(13-int(from))/max(n, 1)
		return fmt.Sprintf("2020-%02d-%02d", min(month, 12), 10+i%3*5)
	}
	for i := range c.StandingCommittee {
		meeting(domain.MeetingStandingCommittee, fmt.Sprintf("县委常委会会议（2020年第%d次研究安全生产工作）", i+1), spread(c.StandingCommittee, time.February, i),
			"linyou", "linyou-secretary", "传达学习习近平总书记关于安全生产的重要论述", "研究部署安全生产专项整治三年行动")
	}
	for i := range c.SpecialMeetings {
		meeting(domain.MeetingSpecial, "县委安全生产专题会议", spread(c.SpecialMeetings, time.May, i),
			"linyou", "linyou-secretary", "研究煤矿安全生产突出问题", "部署安全生产专项整治三年行动实施方案")
	}
	for i := range c.ExecutiveMeetings {
		meeting(domain.MeetingExecutive, fmt.Sprintf("县政府常务会议（2020年第%d次研究安全生产工作）", i+1), spread(c.ExecutiveMeetings, time.March, i),
			"linyou", "linyou-magistrate", "听取安全生产工作汇报", "研究解决安全生产突出问题")
	}
	meeting(domain.MeetingSafetyCommittee, "县安全生产委员会全体（扩大）会议", "2020-04-15", "yjj", "linyou-magistrate",
		"启动安全生产专项整治三年行动", "签订安全生产责任书")
	meeting(domain.MeetingRectificationReflection, "煤矿问题整改反思会", "2020-08-05", "yjj", "linyou-deputy",
		"深刻剖析反思煤矿安全方面存在的问题", "制定应对举措")
	return out
}

// training2020 lays out (d): each coal mine's front-line sessions, one a
// month from the campaign's start to the report's month, whose people add up
// to FrontlineTrained exactly; the county's study of the General Secretary's
// discourse, the film 生命重于泰山 and the city's course for enterprise heads
// (other audiences, not in the figure); and the television column's episodes.
// Each is recorded by its own unit: a mine's by its staff, the county's by the
// secretary, the bureau's by the safety office.
func training2020(c ReportCounts, mines []Producer, rng *rand.Rand) []Record {
	var out []Record
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	training := func(person string, body map[string]any) {
		out = append(out, Record{Person: person, Path: "/api/v1/trainings", Key: fmt.Sprintf("demo2020-training-%d", len(out)), Body: body, Inspection: -1})
	}
	if c.FrontlineTrained > 0 {
		var months []time.Time
		for m := CampaignBegan; !m.After(ReportDate); m = m.AddDate(0, 1, 0) {
			months = append(months, m)
		}
		n := len(mines) * len(months)
		sizes := make([]int, n)
		for i := range sizes {
			sizes[i] = c.FrontlineTrained / n
		}
		for i := range c.FrontlineTrained % n {
			sizes[i]++
		}
		for i := 0; i+1 < n; i += 2 { // vary the sessions, keeping the sum
			d := rng.IntN(max(sizes[i+1]/3, 1))
			sizes[i], sizes[i+1] = sizes[i]+d, sizes[i+1]-d
		}
		for i, size := range sizes {
			if size < 1 {
				continue // a model with fewer people than sessions
			}
			m, month := mines[i%len(mines)], months[i/len(mines)]
			held := month.AddDate(0, 0, 8+i%len(mines)*3)
			if held.After(ReportDate) {
				held = ReportDate
			}
			training(m.Code+"-staff", map[string]any{"held_on": date(held), "topic": fmt.Sprintf("煤矿一线员工安全生产知识培训（%d月）", month.Month()),
				"audience": "frontline", "trained": size, "hours": 4, "location": "矿井职工培训中心"})
		}
	}
	training("linyou-secretary", map[string]any{"held_on": "2020-05-12", "topic": "《习近平总书记关于安全生产重要论述》专题学习（县委理论学习中心组）",
		"audience": "officials", "trained": 36, "hours": 3, "location": "县委常委会议室"})
	training("yjj-office", map[string]any{"held_on": "2020-06-16", "topic": "组织干部职工集中观看《生命重于泰山》电教片",
		"audience": "officials", "trained": 280, "hours": 2, "location": "县会议中心"})
	training("yjj-office", map[string]any{"held_on": "2020-09-22", "topic": "全市工矿企业主要负责人安全生产培训班：学习习近平总书记关于安全生产的重要论述",
		"audience": "heads", "trained": 64, "hours": 16, "notes": "联合市应急管理局举办"})
	for i := range c.TVEpisodes {
		on := CampaignBegan.AddDate(0, 1+i, 5)
		if on.After(ReportDate) {
			on = ReportDate
		}
		out = append(out, Record{Person: "yjj-office", Path: "/api/v1/publicity", Key: fmt.Sprintf("demo2020-publicity-%d", i), Inspection: -1,
			Body: map[string]any{"kind": "tv_column", "title": fmt.Sprintf("安全生产专项整治三年行动（第%d期）", i+1),
				"channel": "麟游县电视台《安全生产》专栏", "published_on": date(on)}})
	}
	return out
}

// sourceOf is an inspection's source: special supervision names its own.
func sourceOf(kind, source string) string {
	if kind == "special" {
		return source
	}
	return ""
}

// Recorder records the demo's records through the API, as the inspectors would.
type Recorder struct {
	Bot *Bot
}

// RecordAll posts every record in order (with its idempotency key, so a second
// run records nothing twice), filling in the inspections' ids.
func (r Recorder) RecordAll(ctx context.Context, records []Record) error {
	ids := make([]int64, len(records))
	for i, rec := range records {
		p, ok := r.Bot.person(rec.Person)
		if !ok {
			return fmt.Errorf("demo records: no token for %s", rec.Person)
		}
		if rec.Inspection >= 0 && rec.Inspection < i && ids[rec.Inspection] != 0 {
			rec.Body["inspection"] = ids[rec.Inspection]
		}
		code, body, err := r.Bot.call(ctx, p, http.MethodPost, rec.Path, rec.Key, rec.Body)
		if err != nil {
			return err
		}
		if code != http.StatusCreated && code != http.StatusOK {
			return fmt.Errorf("demo records: POST %s as %s: %d %s", rec.Path, rec.Person, code, body)
		}
		var created struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(body, &created); err != nil {
			return err
		}
		ids[i] = created.ID
	}
	return nil
}

// Producers reads the production units and their heading faces through the API, as person.
func (r Recorder) Producers(ctx context.Context, person string) ([]Producer, error) {
	p, ok := r.Bot.person(person)
	if !ok {
		return nil, fmt.Errorf("demo records: no token for %s", person)
	}
	code, body, err := r.Bot.call(ctx, p, http.MethodGet, "/api/v1/production-units", "", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("demo records: GET /api/v1/production-units: %d %s", code, body)
	}
	var list struct {
		Units []struct {
			Code   string `json:"code"`
			Sector string `json:"sector"`
			Faces  []struct {
				Code string `json:"code"`
				Kind string `json:"kind"`
			} `json:"faces"`
		} `json:"production_units"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	out := make([]Producer, 0, len(list.Units))
	for _, u := range list.Units {
		pr := Producer{Code: u.Code, Sector: u.Sector}
		for _, f := range u.Faces {
			if f.Kind == "heading" {
				pr.HeadingFaces = append(pr.HeadingFaces, f.Code)
			}
		}
		out = append(out, pr)
	}
	return out, nil
}
