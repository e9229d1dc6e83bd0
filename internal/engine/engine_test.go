package engine_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
)

// Workflows call activities by their contract names: each name is a method
// of activities.Activities, and each activity method has a name in the contract.
func TestEveryActivityHasItsContractName(t *testing.T) {
	typ := reflect.TypeOf(&activities.Activities{})
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	for _, name := range contract.Activities {
		if !slices.Contains(methods, name) {
			t.Errorf("contract names activity %s, which activities.Activities does not have", name)
		}
	}
	for _, m := range methods {
		if !slices.Contains(contract.Activities, m) {
			t.Errorf("activities.Activities.%s is registered but has no name in the contract", m)
		}
	}
}
