package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

type resp struct {
	code       int
	body       []byte
	retryAfter string
}

func (s *system) send(t *testing.T, method, path, person string, body any, headers ...string) resp {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.http.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[person])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, b, res.Header.Get("Retry-After")}
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%d %s: %v", r.code, r.body, err)
	}
}

func (r resp) want(t *testing.T, code int) resp {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

func (r resp) problem(t *testing.T) api.Problem {
	t.Helper()
	var p api.Problem
	r.decode(t, &p)
	return p
}

type inboxPage struct {
	Tasks      []store.Task `json:"tasks"`
	NextCursor string       `json:"next_cursor"`
	Counts     struct {
		Total, Overdue int
	} `json:"counts"`
}

// awaitTask polls the person's inbox until the task appears (activities write it).
func (s *system) awaitTask(t *testing.T, person, id string) store.Task {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var page inboxPage
		s.send(t, "GET", "/api/v1/inbox?limit=200", person, nil).want(t, 200).decode(t, &page)
		for _, task := range page.Tasks {
			if task.ID == id {
				return task
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("task %s never reached %s's inbox", id, person)
	return store.Task{}
}

// TestAssignmentOverHTTP drives an assigned matter through the API against the
// embedded server: forbidden users, invalid input, completion with an idempotent
// retry, return, 50 concurrent completions, approval, and the audit chain.
func TestAssignmentOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)

	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	// Only leaders and the safety office assign.
	sys.send(t, "POST", "/api/v1/assignments", "jcg-head", map[string]any{"title": "x", "content": "y", "due_at": due, "assignee_unit": "jcg"}).want(t, 403)
	// Invalid input names each field and writes nothing.
	p := sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{
		"title": "", "content": "排查", "due_at": due, "assignee_unit": "nowhere",
		"ladder": []map[string]any{{"offset": "+3d", "action": "notice"}, {"offset": "-1d", "action": "shout"}},
	}).want(t, 422).problem(t)
	fields := map[string]bool{}
	for _, f := range p.Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"title", "assignee_unit", "ladder[1].action", "ladder[1].offset"} {
		if !fields[f] {
			t.Errorf("problem lacks field %s: %+v", f, p.Errors)
		}
	}
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM assignments`); err != nil || n != 0 {
		t.Fatalf("a refused assignment left %d rows (%v)", n, err)
	}

	body := map[string]any{"title": "排查九成宫镇液化气站隐患", "content": "全面排查，形成问题清单并整改。", "due_at": due, "assignee_unit": "jcg"}
	var a store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "yjj-office", body, "Idempotency-Key", "asg-1").want(t, 201).decode(t, &a)
	var again store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "yjj-office", body, "Idempotency-Key", "asg-1").want(t, 200).decode(t, &again)
	if again.ID != a.ID {
		t.Fatalf("retried create made assignment %d besides %d", again.ID, a.ID)
	}
	work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
	task := sys.awaitTask(t, "jcg-head", work)
	if !task.DueAt.Equal(due) || task.Kind != "assignment.complete" {
		t.Fatalf("task %+v", task)
	}

	// Who sees what: another town's head and a staff member get 404; a county
	// leader reads it but may not act (403).
	sys.send(t, "GET", "/api/v1/tasks/"+work, "cm-head", nil).want(t, 404)
	sys.send(t, "GET", "/api/v1/tasks/"+work, "jcg-staff", nil).want(t, 404)
	sys.send(t, "GET", "/api/v1/tasks/nope", "jcg-head", nil).want(t, 404)
	sys.send(t, "GET", "/api/v1/tasks/"+work, "linyou-secretary", nil).want(t, 200)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "linyou-secretary", map[string]any{"result": "x"}).want(t, 403)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "cm-head", map[string]any{"result": "x"}).want(t, 404)

	// Bad payloads: 422 naming the field; wrong media type 415.
	if p := sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": ""}).want(t, 422).problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "result" {
		t.Fatalf("problem %+v", p)
	}
	if p := sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": "ok", "score": 3}).want(t, 422).problem(t); p.Errors[0].Field != "score" {
		t.Fatalf("problem %+v", p)
	}

	// Comment, claim and release.
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/comments", "jcg-head", map[string]any{"body": "已安排专人排查"}).want(t, 201)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/claim", "jcg-head", nil).want(t, 200)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/release", "jcg-head", nil).want(t, 200)

	// Complete with an Idempotency-Key; the retry answers the first result.
	result := map[string]any{"result": "排查液化气站3家，整改隐患5处。", "attachments": []map[string]string{{"name": "问题清单.pdf", "ref": "doc://jcg/2021/17"}}}
	var first, retry struct {
		Task    store.Task     `json:"task"`
		Outcome map[string]any `json:"outcome"`
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", result, "Idempotency-Key", "done-1").want(t, 200).decode(t, &first)
	if first.Task.Status != domain.TaskCompleted || first.Outcome["result"] != result["result"] {
		t.Fatalf("completion %+v", first)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", result, "Idempotency-Key", "done-1").want(t, 200).decode(t, &retry)
	if retry.Task.CompletedAt == nil || !retry.Task.CompletedAt.Equal(*first.Task.CompletedAt) {
		t.Fatalf("retry answered %+v, first %+v", retry.Task, first.Task)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", result).want(t, 409)

	// The reviewer returns it; a return needs a comment.
	review := fmt.Sprintf("assignment.%d.review.1", a.ID)
	sys.awaitTask(t, "yjj-office", review)
	if p := sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "return"}).want(t, 422).problem(t); p.Errors[0].Field != "comment" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "return", "comment": "请补充整改时限"}).want(t, 200)

	// Round two: 50 concurrent completions give exactly one success and 409s.
	work2 := fmt.Sprintf("assignment.%d.complete.2", a.ID)
	sys.awaitTask(t, "jcg-head", work2)
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sys.send(t, "POST", "/api/v1/tasks/"+work2+"/complete", "jcg-head", map[string]any{"result": fmt.Sprintf("补充整改时限 #%d", i)})
			mu.Lock()
			codes[r.code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] != 1 || codes[409] != 49 {
		t.Fatalf("50 concurrent completions: %v; want one 200 and 49 409", codes)
	}
	var completions int
	if err := s.DB.Get(&completions, `SELECT count(*) FROM audit_log WHERE action = 'task.completed' AND task_id = $1`, work2); err != nil || completions != 1 {
		t.Fatalf("audit holds %d completions of %s (%v)", completions, work2, err)
	}

	review2 := fmt.Sprintf("assignment.%d.review.2", a.ID)
	sys.awaitTask(t, "yjj-office", review2)
	sys.send(t, "POST", "/api/v1/tasks/"+review2+"/complete", "yjj-office", map[string]any{"decision": "approve"}).want(t, 200)
	deadline := time.Now().Add(90 * time.Second)
	for {
		sys.send(t, "GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), "jcg-head", nil).want(t, 200).decode(t, &a)
		if a.Status == domain.StatusApproved || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.Status != domain.StatusApproved {
		t.Fatalf("assignment status %q", a.Status)
	}

	// The timeline tells the story from the audit log.
	var detail struct {
		Timeline []struct{ Action, Actor string } `json:"timeline"`
		Comments []store.Comment                  `json:"comments"`
	}
	sys.send(t, "GET", "/api/v1/tasks/"+work, "jcg-head", nil).want(t, 200).decode(t, &detail)
	seen := map[string]bool{}
	for _, e := range detail.Timeline {
		seen[e.Action] = true
	}
	for _, want := range []string{"assignment.created", "task.created", "task.commented", "task.claimed", "task.released", "task.completed", "assignment.returned", "assignment.approved"} {
		if !seen[want] {
			t.Errorf("timeline lacks %s: %+v", want, detail.Timeline)
		}
	}
	if len(detail.Comments) != 1 {
		t.Errorf("comments %+v", detail.Comments)
	}
	checkHistory(t, sys.client, fmt.Sprintf("assignment/%d", a.ID), "assignment-return-approve")
	res, err := store.VerifyAudit(t.Context(), s.DB)
	if err != nil || res.Broken || res.Rows == 0 {
		t.Fatalf("audit chain: %+v %v", res, err)
	}
}
