// Package virtual plays a demo behaviour model in the SDK's time-skipping test
// environment: the three-year campaign in seconds, for tests and benchmarks.
package virtual

import (
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/store"
)

// Player plays a behaviour model: every Every of virtual time it reads the open
// tasks from the database and has each one's holder act when the model says,
// through the complete-task Update.
type Player struct {
	Env   *testsuite.TestWorkflowEnvironment
	Store *store.Store
	Model demo.Model
	Every time.Duration
	// Errs are the refusals and failures met while acting (none is expected).
	Errs []string
	// Acted counts completions by task kind.
	Acted map[string]int

	done    bool
	acted   map[string]bool
	planned map[string]demo.Action
}

type heldTask struct {
	store.Task
	HolderID  int64  `db:"holder_id"`
	HolderKey string `db:"holder_key"`
}

// Start schedules the first look; Stop ends the looking.
func (p *Player) Start() {
	p.acted, p.planned, p.Acted = map[string]bool{}, map[string]demo.Action{}, map[string]int{}
	p.Env.RegisterDelayedCallback(p.look, p.Every)
}

// Stop ends the looking.
func (p *Player) Stop() { p.done = true }

func (p *Player) look() {
	if p.done {
		return
	}
	next := p.Every
	defer func() { p.Env.RegisterDelayedCallback(p.look, next) }()
	var open []heldTask
	err := p.Store.DB.Select(&open, `
SELECT t.id, t.workflow_id, t.kind, t.unit_id, u.code AS unit_code, t.role, t.status, t.due_at, t.created_at, h.id AS holder_id, h.key AS holder_key
FROM tasks t JOIN units u ON u.id = t.unit_id
JOIN LATERAL (SELECT pp.id, pp.key FROM people pp JOIN role_grants g ON g.person_id = pp.id
              WHERE (t.person_id IS NOT NULL AND pp.id = t.person_id) OR (t.person_id IS NULL AND g.unit_id = t.unit_id AND g.role = t.role)
              ORDER BY pp.id LIMIT 1) h ON true
WHERE t.status = 'open' ORDER BY t.id`)
	if err != nil {
		p.Errs = append(p.Errs, err.Error())
		return
	}
	now := p.Env.Now()
	sent := 0
	for _, t := range open {
		if p.acted[t.ID] {
			continue
		}
		a, ok := p.planned[t.ID]
		if !ok {
			a = p.Model.Decide(t.Task)
			p.planned[t.ID] = a
		}
		if now.Before(a.At) {
			continue
		}
		if sent == maxActsPerLook {
			next = time.Minute // the rest a virtual minute later
			break
		}
		sent++
		p.acted[t.ID] = true
		delete(p.planned, t.ID)
		id, kind := t.ID, t.Kind
		fail := func(err error) { p.Errs = append(p.Errs, id+": "+err.Error()) }
		req := contract.CompleteTaskRequest{TaskID: t.ID, Kind: t.Kind, PersonID: t.HolderID, PersonKey: t.HolderKey, Payload: a.Body()}
		if err := p.Env.UpdateWorkflowByID(t.WorkflowID, contract.UpdateCompleteTask, t.ID, &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: fail,
			OnComplete: func(_ any, err error) {
				if err != nil {
					fail(err)
					return
				}
				p.Acted[kind]++
			},
		}, req); err != nil {
			fail(err)
		}
	}
}

// maxActsPerLook bounds the Updates one look sends: the test environment's
// callback queue holds 1,000, and a look runs on its main loop.
const maxActsPerLook = 200

// CampaignDriver is the name DriveCampaign registers under.
const CampaignDriver = "virtual.campaign"

// DriveCampaign runs the campaign as its child (the test environment reruns a
// child that continues as new), then gives the last processes tail to finish.
func DriveCampaign(ctx workflow.Context, in contract.CampaignInput, tail time.Duration) (contract.CampaignProgress, error) {
	var p contract.CampaignProgress
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: contract.CampaignID(in.ID)})
	if err := workflow.ExecuteChildWorkflow(cctx, contract.CampaignWorkflow, in).Get(ctx, &p); err != nil {
		return p, err
	}
	return p, workflow.Sleep(ctx, tail)
}

// Register registers the driver with the environment.
func Register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterWorkflowWithOptions(DriveCampaign, workflow.RegisterOptions{Name: CampaignDriver})
}
