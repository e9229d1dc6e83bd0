package domain

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Policy documents (制度): the county's implementing opinions and rules, each
// issued in versions by a unit to the units that must acknowledge (签收) it.

// KindDocumentAcknowledge: a unit's head acknowledges a policy document
// (签收), with an optional comment.
const KindDocumentAcknowledge TaskKind = "document.acknowledge"

// SubjectPolicyDocument is the subject type of a policy document's tasks and rungs.
const SubjectPolicyDocument = "policy-document"

// Policy document statuses: issued (acknowledgements open), acknowledged by
// every unit, or superseded by a newer version.
var (
	DocumentIssued       = PledgeIssued
	DocumentAcknowledged = InterviewAcknowledged
	DocumentSuperseded   = Status{"superseded"}
)

// Limits of a policy document.
const (
	MaxDocumentUnits   = 500
	MaxDocumentBody    = 20000
	DocumentExcerptLen = 500
)

// DefaultDocumentLadder escalates an acknowledgement not made by its
// deadline: reminders two days before and on it, a supervision letter at
// +5 days, a public notice at +10 days; no points off.
func DefaultDocumentLadder() Ladder {
	return Ladder{{Offset: days(-2), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(5), Action: ActionLetter}, {Offset: days(10), Action: ActionNotice}}
}

// PolicyDocumentInput is a policy document (or a new version of one) as its
// issuer writes it. A new version takes what it leaves out (title, number,
// issuing unit, units, campaign, ladder) from the version before.
type PolicyDocumentInput struct {
	Title      string     `json:"title"`
	Number     string     `json:"number"`      // 文号, e.g. 麟政办发〔2020〕12号; may be empty
	IssuerUnit string     `json:"issuer_unit"` // unit code; default the issuer's own unit
	IssuedOn   string     `json:"issued_on"`   // YYYY-MM-DD
	Body       string     `json:"body"`
	Units      []string   `json:"units"` // codes of the units that must acknowledge
	DueAt      *time.Time `json:"due_at"`
	Ladder     *Ladder    `json:"ladder"`
	Campaign   string     `json:"campaign"` // optional: the process runs on that campaign's clock
}

// Validate checks the document's own fields (units and campaign are resolved
// by the caller): text that can be stored, a date, a deadline after now and
// within a year, at least one unit, none twice, a valid ladder.
func (d *PolicyDocumentInput) Validate(now time.Time, v *ValidationError) {
	v.Text("title", &d.Title, true, 200)
	v.Text("number", &d.Number, false, 100)
	v.Text("body", &d.Body, true, MaxDocumentBody)
	if d.IssuedOn == "" {
		v.Add("issued_on", MsgRequired+"（YYYY-MM-DD）")
	} else if _, err := time.Parse(time.DateOnly, d.IssuedOn); err != nil {
		v.Add("issued_on", "应为日期 YYYY-MM-DD")
	}
	switch {
	case d.DueAt == nil:
		v.Add("due_at", MsgRequired)
	case !d.DueAt.After(now):
		v.Add("due_at", MsgFuture)
	case d.DueAt.Sub(now) > MaxAhead:
		v.Add("due_at", "签收期限不能超过一年")
	}
	switch {
	case len(d.Units) == 0:
		v.Add("units", "至少一个签收单位")
	case len(d.Units) > MaxDocumentUnits:
		v.Add("units", MsgAtMostItems(MaxDocumentUnits))
	default:
		seen := map[string]bool{}
		for i, u := range d.Units {
			if seen[u] {
				v.Add(fmt.Sprintf("units[%d]", i), "单位重复")
			}
			seen[u] = true
		}
	}
	if d.Ladder != nil {
		d.Ladder.Validate("ladder", v)
	}
	v.Sort()
}

// DocumentUnit is a unit that must acknowledge a document.
type DocumentUnit struct {
	UnitID int64  `json:"unit_id"`
	Code   string `json:"code"`
}

// PolicyDocumentSpec is what a policy document's process needs: the version
// it asks the units to acknowledge, by when, with which ladder.
type PolicyDocumentSpec struct {
	ID           int64          `json:"id"`
	SeriesID     int64          `json:"series_id"`
	Version      int            `json:"version"`
	Title        string         `json:"title"`
	Number       string         `json:"number,omitempty"`
	IssuerUnitID int64          `json:"issuer_unit_id"`
	IssuerCode   string         `json:"issuer_code,omitempty"`
	IssuedOn     string         `json:"issued_on"`
	Body         string         `json:"body"`
	DueAt        time.Time      `json:"due_at"`
	Ladder       Ladder         `json:"ladder"`
	Units        []DocumentUnit `json:"units"`
	CampaignID   string         `json:"campaign_id,omitempty"`
	// Clock is the campaign's clock (nil: real time).
	Clock *Clock `json:"clock,omitempty"`
	// Supersedes is the version this one replaces (0: the first); its
	// process is cancelled and its open acknowledgements closed.
	Supersedes int64 `json:"supersedes,omitempty"`
	// IssuedBy is the issuing person's key; IssuerID their id.
	IssuedBy       string    `json:"issued_by"`
	IssuerID       int64     `json:"issuer_id"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// PolicyDocumentWorkflowID is policy-document/{id} (one per version).
func PolicyDocumentWorkflowID(id int64) string { return fmt.Sprintf("policy-document/%d", id) }

// DocumentTitle is how a document's task and its rungs name it: 《title》 and its version.
func DocumentTitle(title string, version int) string {
	if version > 1 {
		return fmt.Sprintf("签收制度文件：《%s》（第%d版）", title, version)
	}
	return "签收制度文件：《" + title + "》"
}

// Excerpt is the first n characters of s, with … when cut.
func Excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
