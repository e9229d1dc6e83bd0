package api

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

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

// unitByCode finds a unit by a code a client gave; a code that is not text a
// unit code could be is no unit.
func (s *Server) unitByCode(ctx context.Context, code string) (domain.Unit, error) {
	if code == "" || len(code) > 100 || domain.TextProblem(code) != "" {
		return domain.Unit{}, domain.ErrNotFound
	}
	return store.UnitByCode(ctx, s.Store.DB, code)
}

// seesAssessment: the leaders and the safety office read draft assessment
// results and every unit's deduction reasons; others see their own units'.
func seesAssessment(p domain.Person) bool {
	return p.HasAny(domain.RoleLeader) || p.HasAny(domain.RoleSafetyOffice)
}

// unitParam reads the optional ?unit= filter (a unit code): 0 when absent; an
// unknown code is a 422 naming the parameter (false: the answer is written).
func (s *Server) unitParam(c *gin.Context) (int64, bool) {
	code := c.Query("unit")
	if code == "" {
		return 0, true
	}
	u, err := s.unitByCode(c.Request.Context(), code)
	if errors.Is(err, domain.ErrNotFound) {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "unit", Detail: domain.MsgNoUnit(code)}}})
		return 0, false
	}
	if err != nil {
		fail(c, err)
		return 0, false
	}
	return u.ID, true
}

// statusParam reads the optional ?status= filter, one of allowed: the zero
// status when absent; another value is a 422 naming the parameter.
func statusParam(c *gin.Context, allowed ...domain.Status) (domain.Status, bool) {
	raw := c.Query("status")
	if raw == "" {
		return domain.Status{}, true
	}
	for _, st := range allowed {
		if st.String() == raw {
			return st, true
		}
	}
	names := make([]string, len(allowed))
	for i, st := range allowed {
		names[i] = st.String()
	}
	fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "status", Detail: domain.MsgOneOf(names...)}}})
	return domain.Status{}, false
}
