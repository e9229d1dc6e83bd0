package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
)

// WorkflowRegistry takes workflow registrations: a worker, a test environment, a replayer.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// Registry also takes activities.
type Registry interface {
	WorkflowRegistry
	RegisterActivity(a interface{})
}

// RegisterWorkflows registers every workflow under its contract name.
func RegisterWorkflows(r WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(SystemCheck, workflow.RegisterOptions{Name: SystemCheckWorkflow})
	r.RegisterWorkflowWithOptions(Assignment, workflow.RegisterOptions{Name: AssignmentWorkflow})
	r.RegisterWorkflowWithOptions(Pledge, workflow.RegisterOptions{Name: PledgeWorkflow})
	r.RegisterWorkflowWithOptions(PledgeYear, workflow.RegisterOptions{Name: PledgeYearWorkflow})
	r.RegisterWorkflowWithOptions(MonthlyReport, workflow.RegisterOptions{Name: MonthlyReportWorkflow})
	r.RegisterWorkflowWithOptions(ReportMonth, workflow.RegisterOptions{Name: ReportMonthWorkflow})
	r.RegisterWorkflowWithOptions(Interview, workflow.RegisterOptions{Name: InterviewWorkflow})
	r.RegisterWorkflowWithOptions(PlanTask, workflow.RegisterOptions{Name: PlanTaskWorkflow})
	r.RegisterWorkflowWithOptions(Assessment, workflow.RegisterOptions{Name: AssessmentWorkflow})
	r.RegisterWorkflowWithOptions(Campaign, workflow.RegisterOptions{Name: CampaignWorkflow})
}

// Register registers every workflow and the activities.
func Register(r Registry, a *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(a)
}
