package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
)

// Registry is the part of a worker (or test environment) that takes registrations.
type Registry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
	RegisterActivity(a interface{})
}

// Register registers every workflow under its contract name, and the activities.
func Register(r Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(SystemCheck, workflow.RegisterOptions{Name: SystemCheckWorkflow})
	r.RegisterWorkflowWithOptions(Assignment, workflow.RegisterOptions{Name: AssignmentWorkflow})
	r.RegisterActivity(a)
}
