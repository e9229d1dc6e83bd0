package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// policyDocument is the state of one version of a policy document: one
// acknowledgement task per unit on the board, a ladder beside each.
type policyDocument struct {
	In      contract.PolicyDocumentInput
	ID      string
	Board   board
	Ladders []ladder // one per unit, in the order of In.Units
	Done    int
	Err     error `json:"-"`
}

// PolicyDocument asks each named unit's head to acknowledge (签收) one version
// of a policy document by its deadline, the ladder escalating beside each
// unit's task while it is open. All units' tasks live in this one process (a
// county's ~30 units cost some 10 history events each when on time, a few
// dozen when the ladder runs), not a child per unit. A new version's process
// first cancels the version it supersedes, whose open tasks are then closed.
func PolicyDocument(ctx workflow.Context, in contract.PolicyDocumentInput) (contract.PolicyDocumentResult, error) {
	id := contract.PolicyDocumentID(in.ID)
	s := &policyDocument{In: in, ID: id, Board: board{Clock: in.Clock, CancelReason: "制度文件已发布新版本，本版不再需要签收"}}
	for _, u := range in.Units {
		s.Ladders = append(s.Ladders, newLadder(fmt.Sprintf("%s/unit/%d", id, u.UnitID), in.Ladder))
	}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *policyDocument) run(ctx workflow.Context) (contract.PolicyDocumentResult, error) {
	in := s.In
	res := contract.PolicyDocumentResult{Units: len(in.Units)}
	if err := s.Board.install(ctx); err != nil {
		return res, err
	}
	// The process writes its own row first (a crash between its start and the API's commit converges).
	if err := dbStep(ctx, localStep, contract.ActRecordPolicyDocument, in, nil); err != nil {
		return res, err
	}
	if in.Supersedes != 0 {
		// The version before stops asking for acknowledgements. A process that
		// has ended already refuses the request, which changes nothing.
		_ = workflow.RequestCancelExternalWorkflow(ctx, contract.PolicyDocumentID(in.Supersedes), "").Get(ctx, nil)
	}
	running := len(in.Units)
	for i := range in.Units {
		workflow.Go(ctx, func(ctx workflow.Context) {
			if err := s.acknowledge(ctx, i); err != nil && s.Err == nil {
				s.Err = err
			}
			running--
		})
	}
	if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
		return res, err
	}
	res.Acknowledged = s.Done
	if s.Err != nil {
		return res, s.Err
	}
	if err := setState(ctx, domain.DocumentAcknowledged.String()); err != nil {
		return res, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return res, err
	}
	return res, nil
}

// acknowledge runs unit i's task with its ladder, then records the acknowledgement.
func (s *policyDocument) acknowledge(ctx workflow.Context, i int) error {
	in, u := s.In, s.In.Units[i]
	title := domain.DocumentTitle(in.Title, in.Version)
	subject := fmt.Sprint(in.ID)
	content := in.Title
	if in.Number != "" {
		content += "（" + in.Number + "）"
	}
	content += "\n" + domain.Excerpt(in.Body, domain.DocumentExcerptLen)
	t, err := s.Board.escalated(ctx, domain.TaskSpec{
		ID: contract.DocumentAckTaskID(in.ID, u.UnitID), WorkflowID: s.ID, Kind: domain.KindDocumentAcknowledge, Title: title,
		SubjectType: domain.SubjectPolicyDocument, SubjectID: subject, CampaignID: in.CampaignID,
		UnitID: u.UnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.IssuerUnitID, DueAt: in.DueAt,
		Context: domain.TaskContext{Content: content},
	}, approver{}, &s.Ladders[i], rungTarget{Title: title, SubjectType: domain.SubjectPolicyDocument, SubjectID: subject,
		CampaignID: in.CampaignID, UnitID: u.UnitID, IssuerUnitID: in.IssuerUnitID})
	if err != nil {
		return err
	}
	if t.Status != domain.TaskCompleted {
		return nil
	}
	s.Done++
	ack := contract.DocumentAcknowledgedInput{DocumentID: in.ID, UnitID: u.UnitID, TaskID: t.Spec.ID, By: t.CompletedBy, At: t.CompletedAt,
		Comment: t.Outcome.Comment, All: s.Done == len(in.Units)}
	return dbStep(ctx, localStep, contract.ActDocumentAcknowledged, ack, nil)
}
