package api

import (
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// holds says whether the task is addressed to the person: to them by name, or
// to a role in a unit that they hold.
func holds(p domain.Person, t store.Task) bool {
	if t.PersonID != nil {
		return *t.PersonID == p.ID
	}
	role, err := domain.ParseRole(t.Role)
	return err == nil && p.Has(role, t.UnitID)
}

// canSee: the holders, and the county's leaders, safety office and administrators.
func canSee(p domain.Person, t store.Task) bool { return holds(p, t) || p.CountyWide() }

// canAct: a holder, unless another holder has claimed the task.
func canAct(p domain.Person, t store.Task) bool {
	return holds(p, t) && (t.ClaimedBy == nil || *t.ClaimedBy == p.ID)
}

// slots are the (unit, role) pairs a person holds, for the inbox query.
func slots(p domain.Person) ([]int64, []string) {
	units := make([]int64, 0, len(p.Grants))
	roles := make([]string, 0, len(p.Grants))
	for _, g := range p.Grants {
		units = append(units, g.UnitID)
		roles = append(roles, g.Role.String())
	}
	return units, roles
}

// assigningGrant is the grant that lets a person assign matters: leader or
// safety office, in the unit that will issue the matter.
func assigningGrant(p domain.Person) (domain.Grant, bool) {
	for _, g := range p.Grants {
		if g.Role == domain.RoleLeader || g.Role == domain.RoleSafetyOffice {
			return g, true
		}
	}
	return domain.Grant{}, false
}
