package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/workflows"
)

// crashAfterCommit does the real work of every rung, then, the first time for
// each rung, reports failure as a worker that died after its commit would: the
// activity is retried and must not deduct, notice or remind twice.
type crashAfterCommit struct {
	*activities.Activities
	mu      sync.Mutex
	crashed map[string]int
}

func (c *crashAfterCommit) FireRung(ctx context.Context, in contract.FireRungInput) (contract.FireRungResult, error) {
	res, err := c.Activities.FireRung(ctx, in)
	if err != nil {
		return res, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.crashed[contract.RungKey(in.Key, in.Index)]++
	if c.crashed[contract.RungKey(in.Key, in.Index)] == 1 {
		return contract.FireRungResult{}, errors.New("worker lost after commit")
	}
	return res, nil
}

func TestLedgerIsIdempotentUnderActivityRetry(t *testing.T) {
	h := newHarness(t, domain.Ladder{
		{Offset: 0, Action: domain.ActionRemind},
		{Offset: domain.Offset(day), Action: domain.ActionNotice},
		{Offset: domain.Offset(2 * day), Action: domain.ActionDeduct, Points: 5},
	})
	// The same process with the crashing activities under the same names.
	flaky := &crashAfterCommit{Activities: &activities.Activities{Store: h.s}, crashed: map[string]int{}}
	h.env = newEnv()
	workflows.RegisterWorkflows(h.env)
	h.env.RegisterActivity(flaky)
	h.env.SetStartTime(t0)
	h.env.SetStartWorkflowOptions(startOptions(7))
	h.env.SetDetachedChildWait(false) // interviews the ladder starts outlive the test's subject
	submit(h, 15*day, work1)
	approve(h, 16*day, review1)
	h.run()
	for key, n := range flaky.crashed {
		if n != 2 {
			t.Errorf("rung %s ran %d times, want 2 (a crash and a retry)", key, n)
		}
	}
	if len(flaky.crashed) != 3 {
		t.Fatalf("%d rungs fired, want 3", len(flaky.crashed))
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM score_ledger`:                               1,
		`SELECT count(*) FROM notices`:                                    1,
		`SELECT count(*) FROM outbox WHERE kind = 'remind'`:               1,
		`SELECT count(*) FROM audit_log WHERE action = 'points.deducted'`: 1,
		`SELECT count(*) FROM audit_log WHERE action = 'rung.fired'`:      3,
	} {
		if n := h.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	var points float64
	if err := h.s.DB.Get(&points, `SELECT sum(points) FROM score_ledger`); err != nil || points != -5 {
		t.Fatalf("ledger %v (%v), want -5", points, err)
	}
}
