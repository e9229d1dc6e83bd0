// Package namespace sets up the Temporal namespace zeren runs in: the custom
// search attributes every process carries (contract.SearchAttributeKeys),
// registered once per namespace and checked by the worker and the API.
package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
)

// ErrMissing says the namespace cannot be queried by zeren's search attributes.
var ErrMissing = errors.New("the namespace lacks zeren's search attributes (run `zeren temporal-setup`)")

// Setup registers on the namespace each of zeren's search attributes it
// lacks, and answers their names. It is idempotent: those present are left
// as they are; one present with another type is an error, since neither
// Temporal nor zeren can change it. It waits until the namespace answers
// queries by all of them (servers cache a namespace's attributes for a few
// seconds), within ctx.
//
// On an SQL visibility store (SQLite, PostgreSQL, MySQL) a namespace has 10
// Keyword and 3 Int custom attributes at most; zeren takes 5 Keyword and 1 Int.
func Setup(ctx context.Context, c client.Client, ns string) ([]string, error) {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return nil, fmt.Errorf("list the search attributes of namespace %s: %w", ns, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	var added []string
	for _, k := range contract.SearchAttributeKeys {
		name, want := k.GetName(), k.GetValueType()
		if have, ok := list.GetCustomAttributes()[name]; ok {
			if have != want {
				return nil, fmt.Errorf("namespace %s has the search attribute %s of type %s; zeren needs %s", ns, name, have, want)
			}
			continue
		}
		missing[name] = want
		added = append(added, name)
	}
	slices.Sort(added)
	if len(missing) > 0 {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) { // another setup was quicker
			return nil, fmt.Errorf("add the search attributes %s to namespace %s: %w", strings.Join(added, ", "), ns, err)
		}
	}
	for {
		err := Check(ctx, c, ns)
		if err == nil {
			return added, nil
		}
		select {
		case <-ctx.Done():
			return added, fmt.Errorf("namespace %s: %w", ns, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// query names every search attribute of zeren's, so the namespace answers it
// only when it has them all.
func query() string {
	var terms []string
	for _, k := range contract.SearchAttributeKeys {
		if k.GetValueType() == enumspb.INDEXED_VALUE_TYPE_INT {
			terms = append(terms, k.GetName()+" = 0")
		} else {
			terms = append(terms, k.GetName()+` = ""`)
		}
	}
	return strings.Join(terms, " AND ")
}

// Check asks the namespace to count workflows by every search attribute of
// zeren's, which needs no more permission than listing workflows: ErrMissing
// when it does not know one of them, another error when it did not answer.
func Check(ctx context.Context, c client.Client, ns string) error {
	_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns, Query: query()})
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		return fmt.Errorf("%w: %s", ErrMissing, invalid.Message)
	}
	return err
}
