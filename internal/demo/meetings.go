package demo

import (
	"context"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
)

// Meeting is a meeting of the campaign the demo records when its campaign
// time comes, with decisions (议定事项) that become assigned matters of the
// units named, on the campaign's clock.
type Meeting struct {
	Key       string    // the idempotency key: recorded once, whatever the restarts
	At        time.Time // campaign time it is held and recorded at
	By        string    // who records it (a leader or the safety office)
	Kind      string
	Title     string
	Organiser string
	Chair     string
	Topics    []string
	Minutes   string
	Decisions []MeetingDecision
}

// MeetingDecision is one decision: the unit, what, and how many days it has.
type MeetingDecision struct {
	Unit    string
	Content string
	Days    int
}

// CampaignMeetings are the meetings with decisions the demo holds during
// the campaign, as the report tells of them: the safety committee launching
// the campaign's rectification, the reflection meeting on the coal mines'
// problems, and the next year's plenary.
func CampaignMeetings() []Meeting {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 15, 0, 0, 0, domain.DefaultZone) }
	return []Meeting{
		{Key: "demo-meeting-awh-2020", At: at(2020, 5, 20), By: "yjj-office", Kind: domain.MeetingSafetyCommittee,
			Title: "县安委会2020年第二次全体会议", Organiser: "yjj", Chair: "linyou-magistrate",
			Topics:  []string{"安全生产专项整治三年行动排查整治阶段工作部署"},
			Minutes: "会议要求各成员单位对照专项整治任务清单，逐项落实责任、限期整改。",
			Decisions: []MeetingDecision{
				{Unit: "jcg", Content: "开展辖区自建房及人员密集场所安全隐患排查，建立台账", Days: 30},
				{Unit: "jtj", Content: "完成农村公路临水临崖路段安全防护设施排查", Days: 45},
			}},
		{Key: "demo-meeting-reflection-2020", At: at(2020, 9, 8), By: "yjj-office", Kind: domain.MeetingRectificationReflection,
			Title: "煤矿问题整改反思会（二）", Organiser: "yjj", Chair: "linyou-deputy",
			Topics:  []string{"剖析冲击地压、一通三防专项监察查出问题", "制定应对举措"},
			Minutes: "各煤矿逐一剖析问题根源，明确整改责任人和完成时限。",
			Decisions: []MeetingDecision{
				{Unit: "cmm", Content: "完成冲击地压防治措施复核并报县应急管理局", Days: 20},
				{Unit: "yzg", Content: "完成一通三防专项监察问题整改销号", Days: 30},
			}},
		{Key: "demo-meeting-awh-2021", At: at(2021, 2, 25), By: "yjj-office", Kind: domain.MeetingSafetyCommittee,
			Title: "县安委会2021年第一次全体会议", Organiser: "yjj", Chair: "linyou-magistrate",
			Topics:  []string{"集中攻坚阶段工作部署"},
			Minutes: "会议部署集中攻坚阶段任务，要求各单位按期完成年度任务。",
			Decisions: []MeetingDecision{
				{Unit: "zjj", Content: "完成城镇燃气管网老化更新改造计划", Days: 60},
			}},
	}
}

// RecordMeetingsDue records the campaign's meetings whose time has come at
// now (campaign time) through the API, once each: a meeting already recorded
// answers 200 to its key. It answers how many remain.
func (b *Bot) RecordMeetingsDue(ctx context.Context, campaignID string, now time.Time) (int, error) {
	return b.dueOnce(len(b.Meetings), now, func(i int) (string, time.Time) { return b.Meetings[i].Key, b.Meetings[i].At },
		func(i int) (int64, error) { return b.holdMeeting(ctx, campaignID, b.Meetings[i], now) })
}

func (b *Bot) holdMeeting(ctx context.Context, campaignID string, m Meeting, now time.Time) (int64, error) {
	decisions := make([]map[string]any, len(m.Decisions))
	for i, d := range m.Decisions {
		due := dueFrom(m.At, d.Days, now)
		decisions[i] = map[string]any{"unit": d.Unit, "content": d.Content, "due_at": due.UTC()}
	}
	body := map[string]any{"kind": m.Kind, "title": m.Title, "held_on": m.At.In(domain.DefaultZone).Format(time.DateOnly), "organiser": m.Organiser,
		"chair": m.Chair, "topics": m.Topics, "minutes": m.Minutes, "campaign": campaignID, "decisions": decisions}
	return b.post(ctx, m.By, "/api/v1/meetings", m.Key, body)
}
