package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/internal/store"
)

// SteerInput tells a campaign's processes it paused or resumed.
type SteerInput struct {
	CampaignID string        `json:"campaign_id"`
	Paused     bool          `json:"paused"`
	ShiftBy    time.Duration `json:"shift_by"`
	Key        string        `json:"key"`
	// Update is the Update name the processes answer (workflows.UpdateCampaignPause).
	Update string `json:"update"`
}

// steerRequest is the Update's argument, as workflows.CampaignPauseRequest reads it.
type steerRequest struct {
	Paused  bool          `json:"paused"`
	ShiftBy time.Duration `json:"shift_by,omitempty"`
	Key     string        `json:"key,omitempty"`
}

// SteerCampaignProcesses sends the pause or resume to every process of the
// campaign that holds an open task, a few at a time. Each Update has an id made
// of the pause's key, so a retried activity changes nothing twice; a process
// that has closed meanwhile is skipped.
func (a *Activities) SteerCampaignProcesses(ctx context.Context, in SteerInput) error {
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
	req := steerRequest{Paused: in.Paused, ShiftBy: in.ShiftBy, Key: in.Key}
	return forEach(ctx, len(ids), func(i int) error {
		h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: in.Update,
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
