package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

// SteerCampaignProcesses sends the pause or resume to every process of the
// campaign that holds an open task, a few at a time. Each Update has an id made
// of the pause's key, so a retried activity changes nothing twice; a process
// that has closed meanwhile is skipped.
func (a *Activities) SteerCampaignProcesses(ctx context.Context, in contract.SteerInput) error {
	if a.Temporal == nil {
		return errors.New("steer campaign processes: the worker has no Temporal client")
	}
	ids, err := store.OpenCampaignProcesses(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return err
	}
	stage := "resume"
	if in.Paused {
		stage = "hold"
	}
	req := contract.CampaignPauseRequest{Paused: in.Paused, ShiftBy: in.ShiftBy, Key: in.Key}
	return forEach(ctx, len(ids), func(i int) error {
		h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: contract.UpdateCampaignPause,
			UpdateID: in.Key + ":" + stage, Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", ids[i], err)
		}
		return nil
	})
}

// forEach runs fn for 0..n-1, sixteen at a time, heartbeating its progress,
// and joins the errors.
func forEach(ctx context.Context, n int, fn func(i int) error) error {
	work := make(chan int)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		if i%100 == 0 && activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i)
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// EndCampaign records the campaign's end, once, with its audit row: from then
// on no rung of its processes fires.
func (a *Activities) EndCampaign(ctx context.Context, in contract.EndCampaignInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		ended, err := store.EndCampaign(ctx, tx, in.CampaignID, in.At)
		if err != nil || !ended {
			return err
		}
		by := in.By
		if by == "" {
			by = store.ActorEngine
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "campaign.ended:" + in.CampaignID, At: in.At, Actor: by, Action: "campaign.ended",
			SubjectType: "campaign", SubjectID: in.CampaignID, After: map[string]any{"ended_at": in.At}})
		return err
	})
}

// CancelCampaignProcesses asks every process of the campaign that holds an
// open task (and those named in Also) to cancel, sixteen at a time; one
// already closed is skipped, so a retry is safe. Each cancelled process closes
// its open tasks.
func (a *Activities) CancelCampaignProcesses(ctx context.Context, in contract.CancelProcessesInput) (int, error) {
	if a.Temporal == nil {
		return 0, errors.New("cancel campaign processes: the worker has no Temporal client")
	}
	open, err := store.OpenCampaignProcesses(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return 0, err
	}
	ids := append(slices.Clone(in.Also), open...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return len(ids), forEach(ctx, len(ids), func(i int) error {
		err := a.Temporal.CancelWorkflow(ctx, ids[i], "")
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			return nil
		}
		return err
	})
}
