package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/workflows"
)

// workflowNames is a registry that keeps the names registered.
type workflowNames []string

func (n *workflowNames) RegisterWorkflowWithOptions(_ interface{}, o workflow.RegisterOptions) {
	*n = append(*n, o.Name)
}

// Every process zeren runs is found by its kind (ZerenKind).
func TestEveryWorkflowHasAProcessKind(t *testing.T) {
	var names workflowNames
	workflows.RegisterWorkflows(&names)
	for _, name := range names {
		if contract.ProcessKind(name) == "" {
			t.Errorf("workflow %s has no process kind in contract.ProcessKind", name)
		}
	}
}

// Every step the review loop records becomes the process's ZerenState, in
// order: submitted, returned, submitted again, approved.
func TestRecordedStepsBecomeTheSearchState(t *testing.T) {
	h := newHarness(t, nil)
	var states []string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if s, ok := sa.GetKeyword(contract.SearchState); ok {
			states = append(states, s)
		}
	})
	submit(h, 2*day, work1)
	var err error
	h.at(3*day, func() {
		h.complete(review1, "assignment.review", "yjj-office", map[string]string{"decision": "return", "comment": "请补充整改时限。"}, &err)
	})
	submit(h, 4*day, "assignment.7.complete.2")
	approve(h, 5*day, "assignment.7.review.2")
	h.run()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"submitted", "returned", "submitted", "approved"}
	if len(states) != len(want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("states %v, want %v", states, want)
		}
	}
	var status string
	if err := h.s.DB.Get(&status, `SELECT status FROM assignments WHERE id = 7`); err != nil || status != states[len(states)-1] {
		t.Fatalf("the database says %q (%v), the search state %q", status, err, states[len(states)-1])
	}
}
