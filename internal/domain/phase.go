package domain

import (
	"fmt"
	"time"
)

// Phase is a stage of a campaign (动员部署, 排查整治, 集中攻坚, 巩固提升), first and last day inclusive.
type Phase struct {
	Name string `json:"name" yaml:"name"`
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

const dateLayout = "2006-01-02"

// DefaultPhases lays the national three-year action's stages over a campaign:
// two months of 动员部署, 排查整治 to the end of the first year, 集中攻坚 the
// second year, 巩固提升 the rest. Stages that would be empty are left out.
func DefaultPhases(start, end time.Time) []Phase {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	start, end = day(start), day(end)
	bounds := []struct {
		name string
		to   time.Time
	}{
		{"动员部署", start.AddDate(0, 2, -1)},
		{"排查整治", time.Date(start.Year(), 12, 31, 0, 0, 0, 0, time.UTC)},
		{"集中攻坚", time.Date(start.Year()+1, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"巩固提升", end},
	}
	var out []Phase
	from := start
	for _, b := range bounds {
		to := b.to
		if to.After(end) {
			to = end
		}
		if to.Before(from) {
			continue
		}
		out = append(out, Phase{Name: b.name, From: from.Format(dateLayout), To: to.Format(dateLayout)})
		from = to.AddDate(0, 0, 1)
		if from.After(end) {
			break
		}
	}
	return out
}

// ValidatePhases checks that phases are named, in order, do not overlap and lie within the campaign.
func ValidatePhases(field string, phases []Phase, start, end time.Time, v *ValidationError) {
	first, last := start.Format(dateLayout), end.Format(dateLayout)
	if len(phases) > 20 {
		v.Add(field, MsgAtMostItems(20))
		return
	}
	prev := ""
	for i := range phases {
		p := &phases[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		v.Text(f+".name", &p.Name, true, 50)
		from, err1 := time.Parse(dateLayout, p.From)
		to, err2 := time.Parse(dateLayout, p.To)
		switch {
		case err1 != nil:
			v.Add(f+".from", MsgDate)
		case err2 != nil:
			v.Add(f+".to", MsgDate)
		case to.Before(from):
			v.Add(f+".to", "应不早于 from（开始日期）")
		case p.From < first || p.To > last:
			v.Add(f, "应在专项行动期间内："+first+" 至 "+last)
		case prev != "" && p.From <= prev:
			v.Add(f+".from", "应晚于上一阶段的结束日期")
		}
		prev = p.To
	}
}

// PhaseAt names the phase a day falls in ("" outside every phase).
func PhaseAt(phases []Phase, at time.Time) string {
	d := at.Format(dateLayout)
	for _, p := range phases {
		if p.From <= d && d <= p.To {
			return p.Name
		}
	}
	return ""
}
