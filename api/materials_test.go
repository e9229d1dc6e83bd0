package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/zeren-county/zeren/api"
)

// Rescue materials: a mine writes its own inventory (403 for another's, and
// for a town reading the database); bad input is a 422 naming every field
// with nothing written; a write that opens a stock alert starts its process
// in the same transaction (Temporal out of reach: 503, nothing written); a
// loan request is refused for items the owner does not hold or holds less of.
func TestMaterialRules(t *testing.T) {
	f := newFixture(t)
	send := func(method, path, person string, body any) (int, []byte) {
		b, _ := json.Marshal(body)
		rec := f.do(t, method, path, person, bytes.NewReader(b))
		return rec.Code, rec.Body.Bytes()
	}
	fields := func(raw []byte) map[string]bool {
		var p api.Problem
		_ = json.Unmarshal(raw, &p)
		got := map[string]bool{}
		for _, e := range p.Errors {
			got[e.Field] = true
		}
		return got
	}
	good := func() map[string]any {
		return map[string]any{"name": "自救器", "spec": "ZYX45 压缩氧", "uom": "台", "quantity": 120, "min_stock": 100,
			"location": "井口救护器材库", "inspected_on": "2020-05-01", "expires_on": "2099-05-01"}
	}
	code, body := send("POST", "/api/v1/materials", "gjh-head", good())
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var item api.MaterialView
	if err := json.Unmarshal(body, &item); err != nil {
		t.Fatal(err)
	}
	if item.UnitCode != "gjh" || item.Quantity != 120 || item.Low || len(item.Movements) != 1 || item.Movements[0].QuantityDelta != 120 {
		t.Fatalf("created item %+v", item)
	}
	// Another mine's people may neither add to nor change gjh's inventory.
	other := good()
	other["unit"] = "gjh"
	if code, body := send("POST", "/api/v1/materials", "yzg-head", other); code != 403 {
		t.Fatalf("yzg wrote gjh's inventory: %d %s", code, body)
	}
	if code, body := send("PUT", fmt.Sprintf("/api/v1/materials/%d", item.ID), "yzg-head", good()); code != 403 {
		t.Fatalf("yzg changed gjh's item: %d %s", code, body)
	}
	// A town's head does not read the materials database; a mine's and the bureau's do.
	if rec := f.do(t, "GET", "/api/v1/materials", "jcg-head", nil); rec.Code != 403 {
		t.Fatalf("a town read the materials database: %d", rec.Code)
	}
	for _, who := range []string{"yzg-head", "yjj-office", "yjj-head"} {
		if rec := f.do(t, "GET", "/api/v1/materials?q=自救", who, nil); rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte("ZYX45")) {
			t.Fatalf("%s searched the database: %d %s", who, rec.Code, rec.Body)
		}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"no name", func(b map[string]any) { delete(b, "name") }, []string{"name"}},
		{"negative quantity", func(b map[string]any) { b["quantity"] = -1 }, []string{"quantity"}},
		{"huge minimum", func(b map[string]any) { b["min_stock"] = 2000000 }, []string{"min_stock"}},
		{"no quantity", func(b map[string]any) { delete(b, "quantity") }, []string{"quantity"}},
		{"bad date", func(b map[string]any) { b["expires_on"] = "2021-02-30" }, []string{"expires_on"}},
		{"control character", func(b map[string]any) { b["location"] = "库\x07" }, []string{"location"}},
		{"same item twice", func(b map[string]any) {}, []string{"name"}},
		{"several", func(b map[string]any) { delete(b, "uom"); b["inspected_on"] = "yesterday"; b["quantity"] = "many" }, []string{"quantity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good()
			tt.change(b)
			code, body := send("POST", "/api/v1/materials", "gjh-staff", b)
			if code != 422 {
				t.Fatalf("%d %s; want 422", code, body)
			}
			got := fields(body)
			for _, want := range tt.fields {
				if !got[want] {
					t.Errorf("errors %s do not name %s", body, want)
				}
			}
		})
	}
	// A low item opens its alert's process in the transaction: Temporal is out of reach here, so nothing is written.
	low := good()
	low["name"], low["quantity"] = "氧气呼吸器", 2
	if code, body := send("POST", "/api/v1/materials", "gjh-head", low); code != 503 {
		t.Fatalf("low item with Temporal out of reach: %d %s, want 503", code, body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT (SELECT count(*) FROM material_items) + (SELECT count(*) FROM material_alerts)`); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want only the first item", n, err)
	}
	// An update with a stale version is a conflict; the whole item is validated.
	stale := good()
	stale["version"], stale["quantity"] = 7, 130
	if code, body := send("PUT", fmt.Sprintf("/api/v1/materials/%d", item.ID), "gjh-staff", stale); code != 409 {
		t.Fatalf("stale update: %d %s", code, body)
	}
	upd := good()
	upd["version"], upd["quantity"] = 1, 130
	if code, body := send("PUT", fmt.Sprintf("/api/v1/materials/%d", item.ID), "gjh-staff", upd); code != 200 || !bytes.Contains(body, []byte(`"quantity":130`)) {
		t.Fatalf("update: %d %s", code, body)
	}

	// Loans: bad requests name their fields; nothing is written.
	loan := func() map[string]any {
		return map[string]any{"owner": "gjh", "purpose": "emergency", "reason": "园子沟煤矿2号回风巷火情，急需自救器",
			"items": []map[string]any{{"item_id": item.ID, "quantity": 20}}}
	}
	ltests := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"more than in stock", func(b map[string]any) { b["items"] = []map[string]any{{"item_id": item.ID, "quantity": 131}} }, []string{"items[0].quantity"}},
		{"not the owner's item", func(b map[string]any) { b["owner"] = "zxm" }, []string{"items[0].item_id"}},
		{"own mine", func(b map[string]any) { b["owner"] = "yzg" }, []string{"owner"}},
		{"a town as owner", func(b map[string]any) { b["owner"] = "jcg" }, []string{"owner"}},
		{"bad purpose", func(b map[string]any) { b["purpose"] = "party" }, []string{"purpose"}},
		{"no items", func(b map[string]any) { b["items"] = []map[string]any{} }, []string{"items"}},
		{"zero quantity", func(b map[string]any) { b["items"] = []map[string]any{{"item_id": item.ID, "quantity": 0}} }, []string{"items[0].quantity"}},
		{"item twice", func(b map[string]any) {
			b["items"] = []map[string]any{{"item_id": item.ID, "quantity": 1}, {"item_id": item.ID, "quantity": 1}}
		}, []string{"items[1].item_id"}},
		{"return days", func(b map[string]any) { b["return_days"] = 400 }, []string{"return_days"}},
		{"no reason", func(b map[string]any) { delete(b, "reason") }, []string{"reason"}},
	}
	for _, tt := range ltests {
		t.Run("loan "+tt.name, func(t *testing.T) {
			b := loan()
			tt.change(b)
			code, body := send("POST", "/api/v1/material-loans", "yzg-head", b)
			if code != 422 {
				t.Fatalf("%d %s; want 422", code, body)
			}
			got := fields(body)
			for _, want := range tt.fields {
				if !got[want] {
					t.Errorf("errors %s do not name %s", body, want)
				}
			}
		})
	}
	if code, body := send("POST", "/api/v1/material-loans", "jcg-head", loan()); code != 403 {
		t.Fatalf("a town asked for a loan: %d %s", code, body)
	}
	other = loan()
	other["requester"] = "zxm"
	if code, body := send("POST", "/api/v1/material-loans", "yzg-head", other); code != 403 {
		t.Fatalf("yzg asked in zxm's name: %d %s", code, body)
	}
	if code, body := send("POST", "/api/v1/material-loans", "yzg-head", loan()); code != 503 {
		t.Fatalf("loan with Temporal out of reach: %d %s, want 503", code, body)
	}
	if err := f.db.Get(&n, `SELECT (SELECT count(*) FROM material_loans) + (SELECT count(*) FROM material_loan_items)`); err != nil || n != 0 {
		t.Fatalf("%d loan rows (%v), want none", n, err)
	}
	if rec := f.do(t, "GET", "/api/v1/material-loans", "yzg-head", nil); rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"loans":[]`)) {
		t.Fatalf("loans: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", "/api/v1/material-loans?unit=gjh", "yzg-head", nil); rec.Code != 403 {
		t.Fatalf("yzg read gjh's loans: %d", rec.Code)
	}
	if rec := f.do(t, "GET", "/api/v1/material-loans/5", "yzg-head", nil); rec.Code != 404 {
		t.Fatalf("unknown loan: %d", rec.Code)
	}
}
