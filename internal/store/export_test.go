package store

import "time"

// AuthCached says whether Authenticate would answer token from memory now.
func (s *Store) AuthCached(token string) bool {
	if s.auth == nil {
		return false
	}
	_, _, ok := s.auth.lookup([32]byte(HashToken(token)), time.Now())
	return ok
}

// ClockCached says whether CampaignNow would answer campaign id's time from memory now.
func (s *Store) ClockCached(id string) bool {
	if s.auth == nil {
		return false
	}
	_, _, ok := kept(s.auth, func() (Campaign, bool) { c, ok := s.auth.clocks[id]; return c, ok })
	return ok
}
