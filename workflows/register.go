package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
)

// WorkflowRegistry takes workflow registrations: a worker, a test environment, a replayer.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// RegisterWorkflows registers every workflow under its contract name.
func RegisterWorkflows(r WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(SystemCheck, workflow.RegisterOptions{Name: contract.SystemCheckWorkflow})
	r.RegisterWorkflowWithOptions(Assignment, workflow.RegisterOptions{Name: contract.AssignmentWorkflow})
	r.RegisterWorkflowWithOptions(Pledge, workflow.RegisterOptions{Name: contract.PledgeWorkflow})
	r.RegisterWorkflowWithOptions(PledgeYear, workflow.RegisterOptions{Name: contract.PledgeYearWorkflow})
	r.RegisterWorkflowWithOptions(MonthlyReport, workflow.RegisterOptions{Name: contract.MonthlyReportWorkflow})
	r.RegisterWorkflowWithOptions(ReportMonth, workflow.RegisterOptions{Name: contract.ReportMonthWorkflow})
	r.RegisterWorkflowWithOptions(Interview, workflow.RegisterOptions{Name: contract.InterviewWorkflow})
	r.RegisterWorkflowWithOptions(PlanTask, workflow.RegisterOptions{Name: contract.PlanTaskWorkflow})
	r.RegisterWorkflowWithOptions(Assessment, workflow.RegisterOptions{Name: contract.AssessmentWorkflow})
	r.RegisterWorkflowWithOptions(Hazard, workflow.RegisterOptions{Name: contract.HazardWorkflow})
	r.RegisterWorkflowWithOptions(StopOrder, workflow.RegisterOptions{Name: contract.StopOrderWorkflow})
	r.RegisterWorkflowWithOptions(EnforcementCase, workflow.RegisterOptions{Name: contract.CaseWorkflow})
	r.RegisterWorkflowWithOptions(PolicyDocument, workflow.RegisterOptions{Name: contract.PolicyDocumentWorkflow})
	r.RegisterWorkflowWithOptions(MaterialLoan, workflow.RegisterOptions{Name: contract.MaterialLoanWorkflow})
	r.RegisterWorkflowWithOptions(MaterialAlert, workflow.RegisterOptions{Name: contract.MaterialAlertWorkflow})
	r.RegisterWorkflowWithOptions(MaterialSweep, workflow.RegisterOptions{Name: contract.MaterialSweepWorkflow})
	r.RegisterWorkflowWithOptions(Drill, workflow.RegisterOptions{Name: contract.DrillWorkflow})
	r.RegisterWorkflowWithOptions(Campaign, workflow.RegisterOptions{Name: contract.CampaignWorkflow})
	r.RegisterWorkflowWithOptions(MeetingMinutes, workflow.RegisterOptions{Name: contract.MeetingMinutesWorkflow})
}
