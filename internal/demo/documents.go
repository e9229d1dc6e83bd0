package demo

import (
	"context"
	"fmt"
	"time"
)

// Document is a policy document (制度) the demo county issues during the
// campaign, as the source report names them; Revises, when set, is the Key of
// the document this is a new version of.
type Document struct {
	Key        string    // the idempotency key: issued once, whatever the restarts
	At         time.Time // campaign time it is issued at
	By         string    // the person who issues it (a leader or the safety office)
	Title      string
	Number     string
	IssuerUnit string
	Body       string
	Units      []string
	Revises    string
}

// coal are the units the coal-mine documents concern: the four mines, the
// coal committee's departments and the towns two of the mines lie in.
var coal = []string{"gjh", "yzg", "zxm", "cmm", "yjj", "zrj", "gxj", "cm", "zx"}

// Documents are the county's documents of the campaign, from the report:
// the 实施意见 on coal enterprises' own responsibility (and its revision), and
// the 麟北矿区 联防联治 rule of the coal mines.
func Documents() []Document {
	at := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	return []Document{
		{Key: "demo-doc-coal-opinion", At: at(2020, 6, 10), By: "linyou-deputy", Title: "麟游县落实煤矿企业安全生产主体责任的实施意见",
			Number: "麟政办发〔2020〕18号", IssuerUnit: "linyou", Units: coal,
			Body: "为进一步落实煤矿企业安全生产主体责任，建立完善煤矿企业责任制管理考核、安全监督检查、重大事故隐患责任追究追溯等制度，" +
				"实行“一矿一策”“一岗一编”“一职一责”，明确煤矿企业职责定位，划定职责范围，制作职责清单。" +
				"对矿级领导带班下井、安全管理制度落实情况开展暗访，对管理制度落实不力、带班下井不到位的企业负责人实行约谈。"},
		{Key: "demo-doc-joint-rule", At: at(2020, 8, 20), By: "yjj-office", Title: "麟北矿区煤矿安全生产联防联治制度",
			Number: "麟安委办发〔2020〕9号", IssuerUnit: "yjj", Units: []string{"gjh", "yzg", "zxm", "cmm"},
			Body: "依托县安全生产信息监控中心，定期召开技术交流会，搭建矿区技术共享平台。强化区域救援协同联动，整合煤矿企业救援队伍、" +
				"冲击地压、顶板等灾害治理的优势资源，建立各煤矿救援物资数据库和救援物资共享机制，定期组织煤矿企业救护队联合演练。"},
		{Key: "demo-doc-coal-opinion-2", At: at(2021, 3, 1), By: "linyou-deputy", Revises: "demo-doc-coal-opinion",
			Body: "（2021年修订）在原实施意见基础上，将冲击地压、“一通三防”专项监察查出问题的整改纳入煤矿企业责任制管理考核，" +
				"重大事故隐患一律停产整顿、一律挂牌督办、一律问责曝光，执法检查“逢查必考”。"},
	}
}

// IssueDue issues the documents whose time has come at now (campaign time)
// through the API, once each: a document already issued answers 200 to its
// key. It answers how many remain to issue.
func (b *Bot) IssueDue(ctx context.Context, campaignID string, now time.Time) (int, error) {
	return b.dueOnce(len(b.Documents), now, func(i int) (string, time.Time) { return b.Documents[i].Key, b.Documents[i].At },
		func(i int) (int64, error) { return b.issue(ctx, campaignID, b.Documents[i], now) })
}

// dueFrom is a deadline days after at; when the bot comes to it late (at is
// long past at now), the units still get a week.
func dueFrom(at time.Time, days int, now time.Time) time.Time {
	due, floor := at.Add(time.Duration(days)*24*time.Hour), now.Add(7*24*time.Hour)
	if due.Before(floor) {
		return floor
	}
	return due
}

// dueOnce does each of n things whose time has come at now, once each by
// its key (do answers the id of what it made); it answers how many remain.
func (b *Bot) dueOnce(n int, now time.Time, of func(i int) (key string, at time.Time), do func(i int) (int64, error)) (int, error) {
	b.mu.Lock()
	if b.issued == nil {
		b.issued = map[string]int64{}
	}
	b.mu.Unlock()
	left := 0
	for i := range n {
		key, at := of(i)
		b.mu.Lock()
		_, done := b.issued[key]
		b.mu.Unlock()
		if done {
			continue
		}
		if now.Before(at) {
			left++
			continue
		}
		id, err := do(i)
		if err != nil {
			return left + 1, err
		}
		b.mu.Lock()
		b.issued[key] = id
		b.mu.Unlock()
	}
	return left, nil
}

func (b *Bot) issue(ctx context.Context, campaignID string, d Document, now time.Time) (int64, error) {
	due := dueFrom(d.At, 15, now)
	body := map[string]any{"issued_on": d.At.Format(time.DateOnly), "body": d.Body, "due_at": due.UTC(), "campaign": campaignID}
	path := "/api/v1/policy-documents"
	if d.Revises != "" {
		b.mu.Lock()
		id, ok := b.issued[d.Revises]
		b.mu.Unlock()
		if !ok {
			return 0, fmt.Errorf("document %s revises %s, not issued yet", d.Key, d.Revises)
		}
		path = fmt.Sprintf("/api/v1/policy-documents/%d/versions", id)
	} else {
		body["title"], body["number"], body["issuer_unit"], body["units"] = d.Title, d.Number, d.IssuerUnit, d.Units
	}
	return b.post(ctx, d.By, path, d.Key, body)
}
