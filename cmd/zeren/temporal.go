package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/namespace"
)

// runTemporalSetup registers zeren's search attributes on the namespace of
// temporal.yaml: what an operator runs once against a Temporal cluster (and
// again after an upgrade that adds one; it is idempotent). The namespace
// itself is registered with Temporal's own tools, with its retention.
func runTemporalSetup(ctx context.Context, args []string) error {
	cfg, err := flags("temporal-setup", args, nil)
	if err != nil {
		return err
	}
	log := newLogger()
	c, err := connectTemporal(ctx, cfg, registry(), log)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	added, err := namespace.Setup(ctx, c, cfg.Temporal.Namespace)
	if err != nil {
		return err
	}
	names := make([]string, len(contract.SearchAttributeKeys))
	for i, k := range contract.SearchAttributeKeys {
		names[i] = k.GetName()
	}
	if len(added) == 0 {
		fmt.Printf("namespace %s: zeren's search attributes were all there (%s)\n", cfg.Temporal.Namespace, strings.Join(names, ", "))
	} else {
		fmt.Printf("namespace %s: added the search attributes %s; it now has all of zeren's (%s)\n", cfg.Temporal.Namespace, strings.Join(added, ", "), strings.Join(names, ", "))
	}
	return nil
}
