package demo

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

func TestModel(t *testing.T) {
	m := DefaultModel()
	created := time.Date(2021, 3, 1, 0, 1, 0, 0, time.UTC)
	due := time.Date(2021, 4, 5, 10, 0, 0, 0, time.UTC)
	task := func(unit, id string) store.Task {
		return store.Task{ID: id, Kind: string(domain.KindReportSubmit), UnitCode: unit, CreatedAt: created, DueAt: due}
	}
	// A named late unit acts its days after the deadline, every time.
	if a := m.Decide(task("cm", "report.x.cm.2021-03.submit.1")); !a.At.Equal(due.Add(12*24*time.Hour + time.Hour)) {
		t.Errorf("cm acts at %v", a.At)
	}
	// Everyone else acts a day after the task opens, but for about LateRate of them.
	late := 0
	for i := range 10000 {
		id := fmt.Sprintf("report.x.u%d.2021-03.submit.1", i)
		d := m.LateDays(task("yjj", id))
		if d < 0 || d > m.MaxLateDays {
			t.Fatalf("%s late %d days", id, d)
		}
		if d > 0 {
			late++
		} else if a := m.Decide(task("yjj", id)); !a.At.Equal(created.Add(24 * time.Hour)) {
			t.Fatalf("on time at %v", a.At)
		}
		// the same seed and task always give the same answer; a resubmission keeps it
		if m.LateDays(task("yjj", id)) != d {
			t.Fatal("not deterministic")
		}
	}
	if late < 150 || late > 250 {
		t.Errorf("%d of 10,000 late at rate %v", late, m.LateRate)
	}
	// Reviews, countersignatures and approvals are never late, and carry their decision.
	review := store.Task{ID: "r.1", Kind: string(domain.KindReportReview), UnitCode: "cm", CreatedAt: created, DueAt: due}
	if a := m.Decide(review); a.Payload["decision"] != domain.DecisionAccept || a.At.After(due) {
		t.Errorf("review: %+v", a)
	}
	// Every payload the model writes is one the engine accepts.
	for _, k := range domain.TaskKinds {
		a := m.Decide(store.Task{ID: "t.1", Kind: string(k), UnitCode: "yjj", CreatedAt: created, DueAt: due,
			Context: store.JSON(`{"meeting_kind":"technical_exchange"}`), Title: "会议纪要：技术交流会（2020-Q2）"})
		if a.Meeting != nil {
			// The bot records the meeting first and answers with its id.
			raw, _ := json.Marshal(a.Meeting)
			var nm domain.NewMeeting
			v := &domain.ValidationError{}
			if err := json.Unmarshal(raw, &nm); err != nil {
				t.Fatal(err)
			}
			nm.Chair = "yjj-head"
			if nm.Validate(due, v); v.Err() != nil || nm.Kind != "technical_exchange" || nm.Title != "技术交流会" {
				t.Errorf("%s: meeting %+v refused: %v", k, nm, v.Err())
			}
			a.Payload["meeting_id"] = 1
		}
		if _, err := domain.DecodeCompletion(k, a.Body()); err != nil {
			t.Errorf("%s: %s refused: %v", k, a.Body(), err)
		}
	}
}

// The demo's rescue materials: every stock's key is a valid Idempotency-Key
// and every loan names stocks the demo records.
func TestStocksAndLoans(t *testing.T) {
	keys := map[string]bool{}
	for _, s := range Stocks() {
		for _, r := range s.Key {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Fatalf("stock key %q", s.Key)
			}
		}
		keys[s.Key] = true
	}
	for _, l := range Loans() {
		for k := range l.Items {
			if !keys[k] {
				t.Errorf("loan %s names %s, not a stock", l.Key, k)
			}
		}
	}
}
