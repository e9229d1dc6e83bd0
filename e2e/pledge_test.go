package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// TestPledgesOverHTTP issues the demo county's 2021 pledges through the API and
// has every unit head act from their inbox: one town's signature is returned
// and re-signed; the cascade reaches the four mines; the document renders.
func TestPledgesOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	const campaign = seed.DemoCampaignID
	path := "/api/v1/campaigns/" + campaign + "/pledges"

	sys.send(t, "POST", path, "jcg-head", map[string]any{"year": 2021}).want(t, 403)
	if p := sys.send(t, "POST", path, "yjj-office", map[string]any{"year": 2019}).want(t, 422).problem(t); p.Errors[0].Field != "year" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", "/api/v1/campaigns/nope/pledges", "yjj-office", map[string]any{"year": 2021}).want(t, 404)
	sys.send(t, "POST", path, "yjj-office", map[string]any{"year": 2021}).want(t, 202)
	sys.send(t, "POST", path, "yjj-office", map[string]any{"year": 2021}).want(t, 200) // idempotent

	scjSign := contract.TaskID(contract.PledgeID(campaign, 2021, "scj"), "sign", 1)
	sys.awaitTask(t, "scj-head", scjSign)
	// Not yours: another unit's head cannot see it; a county leader reads but may not sign.
	sys.send(t, "POST", "/api/v1/tasks/"+scjSign+"/complete", "jcg-head", map[string]any{"decision": "sign"}).want(t, 404)
	sys.send(t, "POST", "/api/v1/tasks/"+scjSign+"/complete", "linyou-secretary", map[string]any{"decision": "sign"}).want(t, 403)
	if p := sys.send(t, "POST", "/api/v1/tasks/"+scjSign+"/complete", "scj-head", map[string]any{"decision": "propose", "comment": "调整", "targets": []map[string]any{{"text": "a", "indicator": "b", "target_value": "1", "weight": 50}}}).want(t, 422).problem(t); p.Errors[0].Field != "targets" {
		t.Fatalf("problem %+v", p)
	}

	// Every head acts from their inbox until the cascade is in force.
	heads := []string{"linyou-magistrate"}
	for key := range tokens {
		if strings.HasSuffix(key, "-head") {
			heads = append(heads, key)
		}
	}
	returned := false
	deadline := time.Now().Add(90 * time.Second)
	for {
		var prog struct {
			Levels []store.PledgeProgress `json:"levels"`
		}
		sys.send(t, "GET", path+"/progress?year=2021", "linyou-secretary", nil).want(t, 200).decode(t, &prog)
		if fmt.Sprint(prog.Levels) == "[{1 21 21 21 0} {2 4 4 4 0}]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cascade not in force: %+v", prog.Levels)
		}
		for _, head := range heads {
			var page inboxPage
			sys.send(t, "GET", "/api/v1/inbox?limit=200", head, nil).want(t, 200).decode(t, &page)
			for _, task := range page.Tasks {
				var body map[string]any
				switch {
				case task.Kind == "pledge.sign":
					body = map[string]any{"decision": "sign"}
				case task.Kind == "pledge.countersign" && strings.HasSuffix(task.WorkflowID, "/cm") && !returned:
					body, returned = map[string]any{"decision": "return", "comment": "请结合本镇煤矿实际修改目标值后重签"}, true
				case task.Kind == "pledge.countersign":
					body = map[string]any{"decision": "approve"}
				default:
					continue
				}
				r := sys.send(t, "POST", "/api/v1/tasks/"+task.ID+"/complete", head, body)
				if r.code != 200 && r.code != 409 {
					t.Fatalf("%s completes %s: %d %s", head, task.ID, r.code, r.body)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}

	var cm struct {
		Pledge store.Pledge `json:"pledge"`
	}
	sys.send(t, "GET", "/api/v1/pledges/"+campaign+"/2021/cm", "cm-head", nil).want(t, 200).decode(t, &cm)
	if cm.Pledge.Round != 2 || cm.Pledge.Status != domain.PledgeInForce || cm.Pledge.ReturnComment == nil {
		t.Fatalf("returned town's pledge: %+v", cm.Pledge)
	}
	sys.send(t, "GET", "/api/v1/pledges/"+campaign+"/2021/cm", "jcg-head", nil).want(t, 404)
	doc := sys.send(t, "GET", "/api/v1/pledges/"+campaign+"/2021/gjh/document", "gjh-head", nil).want(t, 200)
	for _, want := range []string{"安全生产目标责任书", "甲方（责任书下达单位）：县应急管理局", "乙方（责任单位）：郭家河煤矿", "一岗一编", "郭家河煤矿主要负责人", "县应急管理局主要负责人"} {
		if !strings.Contains(string(doc.body), want) {
			t.Errorf("document lacks %q", want)
		}
	}
	var list struct {
		Pledges []struct{ Pledge store.Pledge } `json:"pledges"`
	}
	sys.send(t, "GET", path+"?year=2021&status=unsigned", "linyou-secretary", nil).want(t, 200).decode(t, &list)
	if len(list.Pledges) != 0 {
		t.Fatalf("unsigned after the cascade: %d", len(list.Pledges))
	}
	checkHistory(t, sys.client, contract.PledgeID(campaign, 2021, "cm"), "pledge-return")
	checkHistory(t, sys.client, contract.PledgeID(campaign, 2021, "yjj"), "pledge-cascade")
}
