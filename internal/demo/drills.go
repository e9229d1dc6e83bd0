package demo

import (
	"context"
	"time"
)

// Drill is a joint drill (联合演练) of the mines' rescue teams the bureau
// plans in a campaign year: the report's "定期组织煤矿企业救护队联合演练".
type Drill struct {
	Key      string    // the idempotency key: planned once, whatever the restarts
	At       time.Time // campaign time it is planned at
	DrillAt  time.Time // campaign time it is held at
	By       string    // who plans it (the safety office)
	Title    string
	Scenario string
	Location string
	Units    []string
	Lead     string
}

// mines are the demo county's four coal mines, whose rescue teams drill together.
var mines = []string{"gjh", "yzg", "zxm", "cmm"}

// Drills are one joint drill per campaign year, each led by another mine.
func Drills() []Drill {
	at := func(y int, m time.Month, d, h int) time.Time {
		return time.Date(y, m, d, h, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	return []Drill{
		{Key: "demo-drill-2020", At: at(2020, 5, 6, 9), DrillAt: at(2020, 6, 16, 9), By: "yjj-office", Title: "2020年麟北矿区煤矿救护队联合演练",
			Scenario: "郭家河煤矿1302采煤工作面发生外因火灾，多矿救护队协同侦察、灭火、搜救被困人员", Location: "郭家河煤矿", Units: mines, Lead: "gjh"},
		{Key: "demo-drill-2021", At: at(2021, 5, 6, 9), DrillAt: at(2021, 6, 16, 9), By: "yjj-office", Title: "2021年麟北矿区煤矿救护队联合演练",
			Scenario: "园子沟煤矿2102运输顺槽掘进工作面发生冲击地压事故，巷道堵塞，多矿救护队协同抢险救援", Location: "园子沟煤矿", Units: mines, Lead: "yzg"},
		{Key: "demo-drill-2022", At: at(2022, 5, 6, 9), DrillAt: at(2022, 6, 16, 9), By: "yjj-office", Title: "2022年麟北矿区煤矿救护队联合演练",
			Scenario: "招贤煤矿3101采煤工作面发生顶板事故，人员被困，多矿救护队协同救援", Location: "招贤煤矿", Units: mines, Lead: "zxm"},
	}
}

// PlanDue plans the drills whose time has come at now (campaign time)
// through the API, once each: a drill already planned answers 200 to its
// key. It answers how many remain to plan.
func (b *Bot) PlanDue(ctx context.Context, campaignID string, now time.Time) (int, error) {
	return b.dueOnce(len(b.Drills), now, func(i int) (string, time.Time) { return b.Drills[i].Key, b.Drills[i].At },
		func(i int) (int64, error) { return b.plan(ctx, campaignID, b.Drills[i], now) })
}

func (b *Bot) plan(ctx context.Context, campaignID string, d Drill, now time.Time) (int64, error) {
	drillAt := d.DrillAt
	if floor := now.Add(10 * 24 * time.Hour); drillAt.Before(floor) {
		drillAt = floor // the bot came to it late: the mines still get time to prepare
	}
	body := map[string]any{"year": drillAt.Year(), "title": d.Title, "scenario": d.Scenario, "location": d.Location, "units": d.Units,
		"lead": d.Lead, "drill_at": drillAt.UTC(), "campaign": campaignID}
	return b.post(ctx, d.By, "/api/v1/drills", d.Key, body)
}
