package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Stock is an item of a mine's rescue materials (救援物资) the demo records.
// DEMO DATA, fictional: the items are the usual ones of a coal mine's rescue
// store (self-rescuers, oxygen breathing apparatus, fire extinguishers,
// pumps, air ducts …); their quantities, places and dates are invented.
type Stock struct {
	Key         string // the idempotency key (ASCII): recorded once, whatever the restarts
	Unit        string
	By          string
	Name        string
	Spec        string
	UOM         string
	Quantity    int
	MinStock    int
	Location    string
	InspectedOn string
	ExpiresOn   string
}

// LoanPlay is a loan of materials the demo asks for when its campaign time
// comes; Items are stock keys and quantities.
type LoanPlay struct {
	Key     string
	At      time.Time
	By      string
	Owner   string
	Purpose string
	Reason  string
	Items   map[string]int
}

// Stocks are the four mines' rescue materials.
func Stocks() []Stock {
	var out []Stock
	for i, m := range []struct{ code, store string }{{"gjh", "井口救护器材库"}, {"yzg", "矿山救护队器材室"}, {"zxm", "地面消防材料库"}, {"cmm", "井下避难硐室及器材库"}} {
		n := 10 * i
		for j, it := range []Stock{
			{Name: "自救器", Spec: "ZYX45 隔绝式压缩氧", UOM: "台", Quantity: 400 + n, MinStock: 300, ExpiresOn: "2030-06-30"},
			{Name: "氧气呼吸器", Spec: "HY4 正压", UOM: "台", Quantity: 12 + i, MinStock: 8, ExpiresOn: "2031-12-31"},
			{Name: "干粉灭火器", Spec: "MFZ/ABC8", UOM: "具", Quantity: 150 + n, MinStock: 100, ExpiresOn: "2032-05-31"},
			{Name: "矿用排水泵", Spec: "BQS50-50-22/N", UOM: "台", Quantity: 4, MinStock: 2},
			{Name: "风筒", Spec: "φ800 抗静电阻燃", UOM: "米", Quantity: 600 + 10*n, MinStock: 300},
			{Name: "担架", Spec: "折叠式", UOM: "副", Quantity: 10, MinStock: 6},
		} {
			it.Key, it.Unit, it.By = fmt.Sprintf("demo-material-%s-%d", m.code, j+1), m.code, m.code+"-head"
			it.Location, it.InspectedOn = m.store, "2020-08-15"
			out = append(out, it)
		}
	}
	return out
}

// Loans are the loans the demo plays: one emergency loan between two mines
// (fictional: a fire in 园子沟's return airway).
func Loans() []LoanPlay {
	return []LoanPlay{{Key: "demo-loan-yzg-fire", At: time.Date(2020, 11, 12, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		By: "yzg-head", Owner: "gjh", Purpose: "emergency",
		Reason: "园子沟煤矿2号回风巷发生火情，救护队入井处置，自救器和氧气呼吸器不足，请求郭家河煤矿紧急支援。",
		Items:  map[string]int{"demo-material-gjh-1": 40, "demo-material-gjh-2": 4}}} // 自救器, 氧气呼吸器
}

// ShareDue records the mines' materials (once each, at the first call) and
// asks for the loans whose campaign time has come at now, through the API,
// once each (their idempotency keys). It answers how many loans remain.
func (b *Bot) ShareDue(ctx context.Context, now time.Time) (int, error) {
	b.mu.Lock()
	if b.stocked == nil {
		b.stocked = map[string]int64{}
	}
	b.mu.Unlock()
	for _, s := range b.Materials {
		b.mu.Lock()
		_, done := b.stocked[s.Key]
		b.mu.Unlock()
		if done {
			continue
		}
		body := map[string]any{"unit": s.Unit, "name": s.Name, "spec": s.Spec, "uom": s.UOM, "quantity": s.Quantity, "min_stock": s.MinStock,
			"location": s.Location}
		if s.InspectedOn != "" {
			body["inspected_on"] = s.InspectedOn
		}
		if s.ExpiresOn != "" {
			body["expires_on"] = s.ExpiresOn
		}
		id, err := b.post(ctx, s.By, "/api/v1/materials", s.Key, body)
		if err != nil {
			return len(b.Loans), err // none asked for yet
		}
		b.mu.Lock()
		b.stocked[s.Key] = id
		b.mu.Unlock()
	}
	return b.dueOnce(len(b.Loans), now, func(i int) (string, time.Time) { return b.Loans[i].Key, b.Loans[i].At }, func(i int) (int64, error) {
		l := b.Loans[i]
		var items []map[string]any
		for _, key := range slices.Sorted(maps.Keys(l.Items)) {
			b.mu.Lock()
			id, ok := b.stocked[key]
			b.mu.Unlock()
			if !ok {
				return 0, fmt.Errorf("loan %s: no material %s", l.Key, key)
			}
			items = append(items, map[string]any{"item_id": id, "quantity": l.Items[key]})
		}
		return b.post(ctx, l.By, "/api/v1/material-loans", l.Key, map[string]any{"owner": l.Owner, "purpose": l.Purpose,
			"reason": l.Reason, "items": items})
	})
}

// post creates a record as the person, idempotently by key, and answers its id.
func (b *Bot) post(ctx context.Context, by, path, key string, body any) (int64, error) {
	p, ok := b.person(by)
	if !ok {
		return 0, fmt.Errorf("no token for %s", by)
	}
	status, resp, err := b.call(ctx, p, http.MethodPost, path, key, body)
	if err != nil {
		return 0, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return 0, fmt.Errorf("%s %s: %d %s", path, key, status, resp)
	}
	return decodeID(resp)
}

// decodeID reads the id of what an API answer made.
func decodeID(resp []byte) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	return out.ID, json.Unmarshal(resp, &out)
}
