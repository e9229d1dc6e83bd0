package domain

import (
	"math"
	"time"
)

// Clock is a campaign's clock. Campaign time is Start + (wall − Anchor) × Speed,
// where wall is workflow time (or the API's clock): a demo's three years can
// pass in under an hour with real timers. A nil Clock, or one of speed 1, is
// real time, so a process started without one keeps its old behaviour.
type Clock struct {
	// Anchor is the wall time at which campaign time was Start.
	Anchor time.Time `json:"anchor"`
	Start  time.Time `json:"start"`
	// Speed is a whole number from 1 to MaxClockSpeed.
	Speed float64 `json:"speed"`
}

// DefaultZone is the county's time zone, for what belongs to no campaign.
var DefaultZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Stored is t as PostgreSQL keeps it: microseconds, truncated rather than left
// to the server's rounding, so an instant answered before it is written equals
// the one read back and never lies after the moment it names.
func Stored(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// MaxClockSpeed bounds a campaign's speed: at 100,000 a campaign day passes in under a second.
const MaxClockSpeed = 100000

// Real says the clock is wall time.
func (c *Clock) Real() bool { return c == nil || c.Speed == 0 || c.Speed == 1 }

// speed is the whole-number speed: integer arithmetic gives every worker, on
// any processor, the same answer when a history is replayed.
func (c *Clock) speed() time.Duration { return time.Duration(math.Round(c.Speed)) }

// Now is the campaign time at wall time wall.
func (c *Clock) Now(wall time.Time) time.Time {
	if c.Real() {
		return wall
	}
	return c.Start.Add(wall.Sub(c.Anchor) * c.speed())
}

// Wall is how much wall time passes while d of campaign time does, rounded up
// so a timer never fires before its campaign time.
func (c *Clock) Wall(d time.Duration) time.Duration {
	if c.Real() || d <= 0 {
		return d
	}
	s := c.speed()
	return (d + s - 1) / s
}

// WallAt is the wall time at which campaign time t comes (the inverse of Now).
func (c *Clock) WallAt(t time.Time) time.Time {
	if c.Real() {
		return t
	}
	return c.Anchor.Add(t.Sub(c.Start) / c.speed())
}

// Campaign is how much campaign time passes while wall time d does.
func (c *Clock) Campaign(d time.Duration) time.Duration {
	if c.Real() {
		return d
	}
	return d * c.speed()
}
