package contract_test

import (
	"testing"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// Each process is found by its campaign, unit, period and year, read from
// the input it starts with, and starts in its first state.
func TestSearchOfEachProcess(t *testing.T) {
	tests := []struct {
		workflowType string
		input        any
		want         contract.Search
	}{
		{contract.AssignmentWorkflow, contract.AssignmentInput{AssignmentRecord: contract.AssignmentRecord{ID: 7, AssigneeCode: "jcg"}},
			contract.Search{Kind: "assignment", Unit: "jcg", State: "open"}},
		{contract.MonthlyReportWorkflow, domain.ReportSpec{CampaignID: "linyou-2020", UnitCode: "jcg", Period: "2021-03"},
			contract.Search{Kind: "report", Campaign: "linyou-2020", Unit: "jcg", Period: "2021-03", Year: 2021, State: "due"}},
		{contract.ReportMonthWorkflow, contract.ReportMonthInput{CampaignID: "linyou-2020", Period: "2020-12"},
			contract.Search{Kind: "report-month", Campaign: "linyou-2020", Period: "2020-12", Year: 2020}},
		{contract.PledgeWorkflow, domain.PledgeSpec{CampaignID: "linyou-2020", Year: 2021, SignerCode: "yjj"},
			contract.Search{Kind: "pledge", Campaign: "linyou-2020", Unit: "yjj", Year: 2021, State: "issued"}},
		{contract.PledgeYearWorkflow, contract.PledgeYearInput{CampaignID: "linyou-2020", Year: 2021},
			contract.Search{Kind: "pledge-year", Campaign: "linyou-2020", Year: 2021}},
		{contract.InterviewWorkflow, domain.InterviewSpec{ID: 3, CampaignID: "linyou-2020", UnitCode: "cm"},
			contract.Search{Kind: "interview", Campaign: "linyou-2020", Unit: "cm", State: "summoned"}},
		{contract.PlanTaskWorkflow, domain.PlanTaskSpec{ID: 4, CampaignID: "linyou-2020", OwnerCode: "zjj"},
			contract.Search{Kind: "plan-task", Campaign: "linyou-2020", Unit: "zjj", State: "open"}},
		{contract.AssessmentWorkflow, contract.AssessmentInput{CampaignID: "linyou-2020", Year: 2020},
			contract.Search{Kind: "assessment", Campaign: "linyou-2020", Year: 2020}},
		{contract.CampaignWorkflow, contract.CampaignInput{ID: "linyou-2020"},
			contract.Search{Kind: "campaign", Campaign: "linyou-2020", State: "running"}},
		{contract.CampaignWorkflow, contract.CampaignInput{ID: "linyou-2020", Paused: true},
			contract.Search{Kind: "campaign", Campaign: "linyou-2020", State: "paused"}},
		{contract.HazardWorkflow, contract.HazardInput{ID: 5, UnitCode: "gjh"},
			contract.Search{Kind: "hazard", Unit: "gjh", State: "open"}},
		{contract.HazardWorkflow, contract.HazardInput{ID: 5, UnitCode: "gjh", CampaignID: "linyou-2020"},
			contract.Search{Kind: "hazard", Campaign: "linyou-2020", Unit: "gjh", State: "open"}},
		{contract.StopOrderWorkflow, contract.StopOrderInput{ID: 6, UnitCode: "gjh"},
			contract.Search{Kind: "stop-order", Unit: "gjh", State: "standing"}},
		{contract.CaseWorkflow, contract.CaseInput{ID: 8, UnitCode: "gjh"},
			contract.Search{Kind: "case", Unit: "gjh", State: "filed"}},
		{contract.PolicyDocumentWorkflow, domain.PolicyDocumentSpec{ID: 9, IssuerCode: "county", CampaignID: "linyou-2020"},
			contract.Search{Kind: "policy-document", Campaign: "linyou-2020", Unit: "county", State: "issued"}},
		{contract.MaterialLoanWorkflow, domain.LoanSpec{ID: 3, OwnerCode: "gjh", RequesterCode: "yzg"},
			contract.Search{Kind: "loan", Unit: "gjh", State: "requested"}},
		{contract.MaterialAlertWorkflow, domain.AlertSpec{ID: 4, UnitCode: "gjh"},
			contract.Search{Kind: "material-alert", Unit: "gjh", State: "open"}},
		{contract.MaterialSweepWorkflow, contract.SweepInput{}, contract.Search{Kind: "material-sweep"}},
		{contract.DrillWorkflow, domain.DrillSpec{ID: 3, OrganiserCode: "yjj", Year: 2021, CampaignID: "linyou-2020"},
			contract.Search{Kind: "drill", Campaign: "linyou-2020", Unit: "yjj", Year: 2021, State: "planned"}},
		{contract.SystemCheckWorkflow, contract.SystemCheckInput{RequestedBy: "linyou-admin"},
			contract.Search{Kind: "system-check"}},
		// An input from before unit codes were carried: found by what it has.
		{contract.AssignmentWorkflow, contract.AssignmentInput{AssignmentRecord: contract.AssignmentRecord{ID: 7}},
			contract.Search{Kind: "assignment", State: "open"}},
	}
	for _, tt := range tests {
		t.Run(tt.workflowType, func(t *testing.T) {
			if got := contract.SearchOf(tt.workflowType, tt.input); got != tt.want {
				t.Fatalf("SearchOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Empty fields are left out of the attributes; the rest keep their types.
func TestSearchAttributesLeaveOutEmptyFields(t *testing.T) {
	sa := contract.SearchAttributesOf(contract.MonthlyReportWorkflow, domain.ReportSpec{CampaignID: "linyou-2020", UnitCode: "jcg", Period: "2021-03"})
	if sa.Size() != 6 {
		t.Fatalf("%d attributes, want 6: %v", sa.Size(), sa.GetUntypedValues())
	}
	if y, ok := sa.GetInt64(contract.SearchYear); !ok || y != 2021 {
		t.Fatalf("ZerenYear %d %v", y, ok)
	}
	sa = contract.SearchAttributesOf(contract.SystemCheckWorkflow, nil)
	if k, ok := sa.GetKeyword(contract.SearchKind); sa.Size() != 1 || !ok || k != "system-check" {
		t.Fatalf("system check: %v", sa.GetUntypedValues())
	}
}
