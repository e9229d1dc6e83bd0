package domain

import (
	"fmt"
	"time"
)

// Rescue materials (救援物资): each mine's inventory of rescue materials and
// equipment, the stock checks that open a task when an item runs low or
// expires, and loans between mines (or to the emergency bureau) for an
// emergency or a drill.

// The task kinds of rescue materials.
const (
	// KindLoanApprove: the owning mine's head approves or refuses a request for its materials.
	KindLoanApprove TaskKind = "loan.approve"
	// KindLoanHandover: the owning mine hands the materials over; the inventory moves.
	KindLoanHandover TaskKind = "loan.handover"
	// KindLoanReturn: the borrower returns the materials (or replaces what was used up).
	KindLoanReturn TaskKind = "loan.return"
	// KindMaterialRestock: a mine restocks an item below its minimum stock.
	KindMaterialRestock TaskKind = "material.restock"
	// KindMaterialInspect: a mine inspects (or replaces) an item past its expiry date.
	KindMaterialInspect TaskKind = "material.inspect"
)

// Subjects of rescue materials.
const (
	SubjectMaterialLoan  = "material-loan"
	SubjectMaterialAlert = "material-alert"
)

// Loan statuses.
var (
	LoanRequested  = Status{"requested"}
	LoanApproved   = StatusApproved
	LoanRefused    = Status{"refused"}
	LoanHandedOver = Status{"handed_over"}
	LoanReturned   = StatusReturned
	// LoanUnsupplied: approved, but the owner could not hand the materials
	// over (another loan took the last of them): the loan ends there.
	LoanUnsupplied = Status{"unsupplied"}
)

// A hand-over's decisions: hand the materials over, or say they cannot be
// (the reason in the note), which ends the loan without moving stock.
const (
	DecisionHandover = "handover"
	DecisionUnable   = "unable"
)

// Loan purposes.
const (
	PurposeEmergency = "emergency"
	PurposeDrill     = "drill"
)

// How a borrower gives materials back.
const (
	ReturnReturn  = "return"
	ReturnReplace = "replace"
)

// Alert conditions: below the minimum stock, or past the expiry date.
const (
	ConditionLow     = "low"
	ConditionExpired = "expired"
)

// Limits of an inventory.
const (
	MaxMaterialQuantity = 1000000
	MaxLoanQuantity     = 100000
	MaxLoanItems        = 50
)

// MaterialInput is an inventory item as a mine writes it.
type MaterialInput struct {
	Unit        string  `json:"unit"` // the holding mine's code; default the caller's own unit
	Name        string  `json:"name"`
	Spec        string  `json:"spec"`
	UOM         string  `json:"uom"`
	Quantity    *int    `json:"quantity"`
	MinStock    int     `json:"min_stock"`
	Location    string  `json:"location"`
	InspectedOn *string `json:"inspected_on"` // YYYY-MM-DD
	ExpiresOn   *string `json:"expires_on"`   // YYYY-MM-DD
	// Version, on an update: the version the writer read (0: do not check).
	Version int `json:"version"`
}

// Validate checks an item: storable text, quantities in range, dates.
func (m *MaterialInput) Validate(v *ValidationError) {
	v.Text("name", &m.Name, true, 100)
	v.Text("spec", &m.Spec, false, 200)
	v.Text("uom", &m.UOM, true, 20)
	v.Text("location", &m.Location, false, 200)
	switch {
	case m.Quantity == nil:
		v.Add("quantity", MsgRequired)
	case *m.Quantity < 0 || *m.Quantity > MaxMaterialQuantity:
		v.Add("quantity", MsgRange(0, MaxMaterialQuantity))
	}
	if m.MinStock < 0 || m.MinStock > MaxMaterialQuantity {
		v.Add("min_stock", MsgRange(0, MaxMaterialQuantity))
	}
	for field, d := range map[string]*string{"inspected_on": m.InspectedOn, "expires_on": m.ExpiresOn} {
		if d == nil || *d == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, *d); err != nil || t.Year() < 1990 || t.Year() > 2100 {
			v.Add(field, MsgDate)
		}
	}
	v.Sort()
}

// LoanItemInput is one item and quantity a requester asks for.
type LoanItemInput struct {
	ItemID   int64 `json:"item_id"`
	Quantity int   `json:"quantity"`
}

// LoanInput is a request for another mine's materials.
type LoanInput struct {
	Requester  string          `json:"requester"` // unit code; default the caller's own unit
	Owner      string          `json:"owner"`     // the owning mine's code
	Purpose    string          `json:"purpose"`   // emergency | drill
	Reason     string          `json:"reason"`
	Items      []LoanItemInput `json:"items"`
	ReturnDays int             `json:"return_days"` // days after the hand-over; default 7 (emergency) or 3 (drill)
	Campaign   string          `json:"campaign"`    // optional: the process runs on that campaign's clock
}

// Validate checks a loan request's own fields (units, items and stock are the caller's to resolve).
func (l *LoanInput) Validate(v *ValidationError) {
	oneOf(v, "purpose", l.Purpose, []string{PurposeEmergency, PurposeDrill})
	v.Text("reason", &l.Reason, true, 2000)
	if l.Owner == "" {
		v.Add("owner", MsgRequired)
	}
	switch {
	case len(l.Items) == 0:
		v.Add("items", "至少一项物资")
	case len(l.Items) > MaxLoanItems:
		v.Add("items", MsgAtMostItems(MaxLoanItems))
	default:
		seen := map[int64]bool{}
		for i, it := range l.Items {
			at := fmt.Sprintf("items[%d]", i)
			if it.ItemID <= 0 {
				v.Add(at+".item_id", MsgRequired)
			} else if seen[it.ItemID] {
				v.Add(at+".item_id", MsgDuplicate)
			}
			seen[it.ItemID] = true
			if it.Quantity < 1 || it.Quantity > MaxLoanQuantity {
				v.Add(at+".quantity", MsgRange(1, MaxLoanQuantity))
			}
		}
	}
	if l.ReturnDays == 0 {
		l.ReturnDays = 7
		if l.Purpose == PurposeDrill {
			l.ReturnDays = 3
		}
	}
	if l.ReturnDays < 1 || l.ReturnDays > 365 {
		v.Add("return_days", MsgRange(1, 365))
	}
	v.Sort()
}

// LoanItem is one item of a loan as its process carries it.
type LoanItem struct {
	ItemID   int64  `json:"item_id"`
	Name     string `json:"name"`
	Spec     string `json:"spec,omitempty"`
	UOM      string `json:"uom"`
	Quantity int    `json:"quantity"`
}

// LoanSpec is what a loan's process needs.
type LoanSpec struct {
	ID              int64      `json:"id"`
	RequesterUnitID int64      `json:"requester_unit_id"`
	RequesterCode   string     `json:"requester_code"`
	RequesterName   string     `json:"requester_name"`
	OwnerUnitID     int64      `json:"owner_unit_id"`
	OwnerCode       string     `json:"owner_code"`
	OwnerName       string     `json:"owner_name"`
	Purpose         string     `json:"purpose"`
	Reason          string     `json:"reason"`
	Items           []LoanItem `json:"items"`
	ReturnDays      int        `json:"return_days"`
	// BureauUnitID is the emergency-management bureau, who presses a late owner or borrower.
	BureauUnitID int64  `json:"bureau_unit_id"`
	CampaignID   string `json:"campaign_id,omitempty"`
	Clock        *Clock `json:"clock,omitempty"`
	RequestedBy  string `json:"requested_by"`
	RequesterID  int64  `json:"requester_id"`
	// IdempotencyKey is the request's key, if it had one.
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// LoanWorkflowID is loan/{id}.
func LoanWorkflowID(id int64) string { return fmt.Sprintf("loan/%d", id) }

// LoanTiming is how long the owner has to decide and hand over: hours for an
// emergency, days for a drill.
func LoanTiming(purpose string) (approve, handover time.Duration) {
	if purpose == PurposeEmergency {
		return 2 * time.Hour, 2 * time.Hour
	}
	return Days(3), Days(2)
}

// LoanLadder escalates a late step of a loan: for an emergency a reminder an
// hour before and at the deadline, the bureau's supervision letter an hour
// after and its public notice four hours after; for a drill the same in days.
func LoanLadder(purpose string) Ladder {
	if purpose == PurposeEmergency {
		h := func(n int) Offset { return Offset(time.Duration(n) * time.Hour) }
		return Ladder{{Offset: h(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
			{Offset: h(1), Action: ActionLetter}, {Offset: h(4), Action: ActionNotice}}
	}
	return Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(2), Action: ActionLetter}, {Offset: days(5), Action: ActionNotice}}
}

// ReturnLadder escalates a late return: reminders a day before and at the
// deadline, a letter at +3 days, a notice at +7 days.
func ReturnLadder() Ladder {
	return Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(3), Action: ActionLetter}, {Offset: days(7), Action: ActionNotice}}
}

// PurposeWords is a purpose as officials read it.
func PurposeWords(p string) string {
	if p == PurposeEmergency {
		return "应急救援"
	}
	return "应急演练"
}

// LoanTitle names a loan in its tasks: 应急救援借用物资：A → B.
func LoanTitle(s LoanSpec) string {
	return fmt.Sprintf("%s借用物资：%s向%s借用", PurposeWords(s.Purpose), s.RequesterName, s.OwnerName)
}

// LoanContent lists what is asked for, for the tasks' content.
func LoanContent(s LoanSpec) string {
	out := s.Reason + "\n借用物资："
	for i, it := range s.Items {
		if i > 0 {
			out += "；"
		}
		out += it.Name
		if it.Spec != "" {
			out += "（" + it.Spec + "）"
		}
		out += fmt.Sprintf(" %d%s", it.Quantity, it.UOM)
	}
	return out
}

// AlertSpec is what a stock alert's process needs.
type AlertSpec struct {
	ID        int64  `json:"id"`
	ItemID    int64  `json:"item_id"`
	Condition string `json:"condition"`
	UnitID    int64  `json:"unit_id"`
	UnitCode  string `json:"unit_code"`
	ItemName  string `json:"item_name"`
	// Detail says what is wrong (现有 2 台，最低 5 台；有效期至 2021-03-01).
	Detail       string    `json:"detail"`
	BureauUnitID int64     `json:"bureau_unit_id"`
	OpenedAt     time.Time `json:"opened_at"`
}

// MaterialAlertWorkflowID is material-alert/{id}.
func MaterialAlertWorkflowID(id int64) string { return fmt.Sprintf("material-alert/%d", id) }

// AlertDays is how long a mine has to restock or inspect an item.
const AlertDays = 7

// AlertLadder escalates a late restock or inspection: reminders two days
// before and at the deadline, the bureau's letter at +3 days, a notice at +7.
func AlertLadder() Ladder {
	return Ladder{{Offset: days(-2), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(3), Action: ActionLetter}, {Offset: days(7), Action: ActionNotice}}
}

// AlertTitle names an alert's task.
func AlertTitle(condition, item string) string {
	if condition == ConditionExpired {
		return "救援物资过期，请检验或更换：" + item
	}
	return "救援物资低于最低库存，请补充：" + item
}
