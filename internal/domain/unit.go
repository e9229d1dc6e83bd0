// Package domain holds zeren's types and rules: units, roles, people, and the
// policies that processes follow. It does no I/O.
package domain

import "slices"

// UnitKind is what sort of organisation a unit is.
type UnitKind struct{ name string }

// The unit kinds of a county's work-safety organisation.
var (
	KindCounty     = UnitKind{"county"}
	KindCommittee  = UnitKind{"committee"}
	KindDepartment = UnitKind{"department"}
	KindTown       = UnitKind{"town"}
	KindEnterprise = UnitKind{"enterprise"}
	// KindProducer is a production unit (生产经营单位) the county supervises
	// but that does not report monthly nor sign the county's pledges.
	KindProducer = UnitKind{"producer"}
)

var unitKinds = []UnitKind{KindCounty, KindCommittee, KindDepartment, KindTown, KindEnterprise, KindProducer}

// ParseUnitKind reads a kind by its name.
func ParseUnitKind(s string) (UnitKind, error) {
	for _, k := range unitKinds {
		if k.name == s {
			return k, nil
		}
	}
	names := make([]string, len(unitKinds))
	for i, k := range unitKinds {
		names[i] = k.name
	}
	return UnitKind{}, &PlainError{MsgOneOf(names...)}
}

// String is the kind's name.
func (k UnitKind) String() string { return k.name }

// MarshalText writes the kind's name.
func (k UnitKind) MarshalText() ([]byte, error) { return []byte(k.name), nil }

// UnmarshalText reads a kind by its name.
func (k *UnitKind) UnmarshalText(b []byte) error {
	v, err := ParseUnitKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Role is what a person may do in a unit.
type Role struct{ name string }

// The roles a person may hold, each scoped to a unit.
var (
	RoleLeader       = Role{"leader"}
	RoleSafetyOffice = Role{"safety_office"}
	RoleUnitHead     = Role{"unit_head"}
	RoleStaff        = Role{"staff"}
	RoleInspector    = Role{"inspector"}
	RoleAdmin        = Role{"admin"}
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleLeader, RoleSafetyOffice, RoleUnitHead, RoleStaff, RoleInspector, RoleAdmin}

// ParseRole reads a role by its name.
func ParseRole(s string) (Role, error) {
	i := slices.IndexFunc(Roles, func(r Role) bool { return r.name == s })
	if i < 0 {
		names := make([]string, len(Roles))
		for i, r := range Roles {
			names[i] = r.name
		}
		return Role{}, &PlainError{MsgOneOf(names...)}
	}
	return Roles[i], nil
}

// String is the role's name.
func (r Role) String() string { return r.name }

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.name), nil }

// UnmarshalText reads a role by its name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Unit is one organisation in the county: the county itself, a committee, a
// department, a town, or an enterprise.
type Unit struct {
	ID       int64    `json:"id"`
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Kind     UnitKind `json:"kind"`
	ParentID *int64   `json:"parent_id,omitempty"`
}

// Grant is one role a person holds in one unit.
type Grant struct {
	Role     Role   `json:"role"`
	UnitID   int64  `json:"unit_id"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
}

// Person is someone who works in the system, with the roles they hold.
type Person struct {
	ID     int64   `json:"id"`
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Title  string  `json:"title"`
	UnitID int64   `json:"unit_id"`
	Grants []Grant `json:"grants"`
}

// Has says whether the person holds role in the unit.
func (p Person) Has(role Role, unitID int64) bool {
	return slices.ContainsFunc(p.Grants, func(g Grant) bool { return g.Role == role && g.UnitID == unitID })
}

// HasAny says whether the person holds role in any unit.
func (p Person) HasAny(role Role) bool {
	return slices.ContainsFunc(p.Grants, func(g Grant) bool { return g.Role == role })
}

// CountyWide says whether the person may read everything in the county:
// leaders, the safety committee office and administrators.
func (p Person) CountyWide() bool {
	return p.HasAny(RoleLeader) || p.HasAny(RoleSafetyOffice) || p.HasAny(RoleAdmin)
}

// ActorEngine is who the audit log names for what the engine does by itself.
const ActorEngine = "engine"
