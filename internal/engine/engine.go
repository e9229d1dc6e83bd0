// Package engine puts zeren's processes and their side effects together: the
// workflows (deterministic code that knows only the contract) and the
// activities (which know the database), registered on one worker, a test
// environment or a replayer.
package engine

import (
	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/workflows"
)

// Registry takes workflow and activity registrations.
type Registry interface {
	workflows.WorkflowRegistry
	RegisterActivity(a interface{})
}

// Register registers every workflow and every activity of a.
func Register(r Registry, a *activities.Activities) {
	workflows.RegisterWorkflows(r)
	r.RegisterActivity(a)
}
