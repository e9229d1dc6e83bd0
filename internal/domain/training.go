package domain

import (
	"math"
	"time"
)

// Training sessions (安全培训) and publicity items (宣传) are records a unit
// keeps of its own work (issue 15 point 4): the county's report counts the
// people trained ("3000余名煤矿企业一线员工") and its publicity (a television
// column, 电视专栏) among the campaign's results.

// TrainingAudiences are who a training session trains: front-line workers
// (一线员工), enterprises' principal heads (主要负责人), safety managers
// (安全管理人员), special-operation workers (特种作业人员), officials and staff
// (干部职工), the public (群众) and others.
var TrainingAudiences = []string{"frontline", "heads", "managers", "special_workers", "officials", "public", "other"}

// PublicityKinds are the kinds of a publicity item: a television column's
// episode (电视专栏), a radio programme, a newspaper article, an online post,
// posters and banners, a publicity event, and others.
var PublicityKinds = []string{"tv_column", "radio", "newspaper", "online", "poster", "event", "other"}

// The ranges of a training session's numbers.
const (
	MaxTrained    = 100000 // people trained in one session
	MinHours      = 0.5
	MaxHours      = 240.0
	MaxTopic      = 200
	MaxTrainNotes = 5000
)

// NewTraining is a training session as its organising unit records it.
type NewTraining struct {
	// Unit is the organising unit's code; empty: the recorder's own unit.
	Unit     string `json:"unit,omitempty"`
	HeldOn   string `json:"held_on"`
	Topic    string `json:"topic"`
	Audience string `json:"audience"`
	// Trained is the number of people trained (人数).
	Trained  int      `json:"trained"`
	Hours    *float64 `json:"hours,omitempty"`
	Location string   `json:"location,omitempty"`
	Notes    string   `json:"notes,omitempty"`
	Campaign string   `json:"campaign,omitempty"`
}

// Validate checks a training session; now bounds its date.
func (t *NewTraining) Validate(now time.Time, v *ValidationError) {
	v.Text("unit", &t.Unit, false, 100)
	day(v, "held_on", t.HeldOn, now)
	v.Text("topic", &t.Topic, true, MaxTopic)
	oneOf(v, "audience", t.Audience, TrainingAudiences)
	if t.Trained < 1 || t.Trained > MaxTrained {
		v.Add("trained", MsgRange(1, MaxTrained))
	}
	if t.Hours != nil {
		h := *t.Hours
		if h < MinHours || h > MaxHours || math.Abs(h*10-math.Round(h*10)) > 1e-9 {
			v.Add("hours", MsgRange(MinHours, MaxHours)+"，精确到 0.1 小时")
		}
	}
	v.Text("location", &t.Location, false, 200)
	v.Text("notes", &t.Notes, false, MaxTrainNotes)
	v.Text("campaign", &t.Campaign, false, 100)
}

// NewPublicity is a publicity item as the unit that published it records it.
type NewPublicity struct {
	// Unit is the publishing unit's code; empty: the recorder's own unit.
	Unit        string `json:"unit,omitempty"`
	Kind        string `json:"kind"`
	Title       string `json:"title"`
	Channel     string `json:"channel"`
	PublishedOn string `json:"published_on"`
	Notes       string `json:"notes,omitempty"`
	Campaign    string `json:"campaign,omitempty"`
}

// Validate checks a publicity item; now bounds its date.
func (p *NewPublicity) Validate(now time.Time, v *ValidationError) {
	v.Text("unit", &p.Unit, false, 100)
	oneOf(v, "kind", p.Kind, PublicityKinds)
	v.Text("title", &p.Title, true, MaxTopic)
	v.Text("channel", &p.Channel, true, 200)
	day(v, "published_on", p.PublishedOn, now)
	v.Text("notes", &p.Notes, false, MaxTrainNotes)
	v.Text("campaign", &p.Campaign, false, 100)
}
