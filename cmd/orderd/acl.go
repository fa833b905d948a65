package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// roleACLs is what a role's principal must be allowed on the brokers: the
// topics it reads and writes, the consumer group it joins ("" for none)
// and the transactional ids of its producers (none without). Every role
// also describes every topic and its configs (the topics are verified at
// start). docs/operations.md ("ACLs per role") grants exactly these.
type roleACLs struct {
	reads, writes []string
	group         string
	// txnIDs are the transactional ids of the role's members, which start
	// with txnBase; txnSetting names the setting they come from.
	txnIDs              []string
	txnBase, txnSetting string
}

func aclsOf(role string, c Config, n topics.Names) roleACLs {
	switch role {
	case "processor":
		var ids []string
		for i := range c.ProcessorThreads {
			ids = append(ids, stream.ThreadTransactionalID(c.TransactionalID, i, c.ProcessorThreads))
		}
		return roleACLs{reads: []string{n.Commands, n.State}, writes: []string{n.Events, n.State, n.Results, n.DLQ}, group: c.Group,
			txnIDs: ids, txnBase: c.TransactionalID,
			txnSetting: settingName("transactional-id") + ", default <group>-<instance>, with -t<i> per thread when --processor-threads > 1"}
	case "projector":
		return roleACLs{reads: []string{n.Events}, group: c.ProjectorGroup}
	case "api":
		return roleACLs{reads: []string{n.Results}, writes: []string{n.Commands}}
	case "saga":
		return roleACLs{
			reads: []string{n.Events, n.Results, n.SagaState, n.PaymentResults, n.InventoryResults, n.ShippingResults},
			writes: []string{n.Commands, n.SagaState, n.DLQ, n.PaymentRequests, n.InventoryRequests, n.ShippingRequests,
				n.NotificationRequests},
			group:   c.Saga.Group,
			txnIDs:  []string{c.SagaTransactionalID},
			txnBase: c.SagaTransactionalID,
			txnSetting: settingName("saga-group") + " and " + settingName("instance") + " (<saga-group>-<instance>), or " +
				settingName("transactional-id") + " with -saga appended",
		}
	case "simulators":
		return roleACLs{reads: []string{n.PaymentRequests, n.InventoryRequests, n.ShippingRequests, n.NotificationRequests},
			writes: []string{n.PaymentResults, n.InventoryResults, n.ShippingResults}, group: c.Sim.Group}
	}
	return roleACLs{}
}

// ACL operations, as the brokers number them in authorized-operations bit
// fields (org.apache.kafka.common.acl.AclOperation).
const (
	aclRead  = 3
	aclWrite = 4
)

// authorizedUnknown is the bit field of a broker that did not say.
const authorizedUnknown = -2147483648

// MissingACLError lists what the principal may not do that its roles
// need, each with the command that grants it.
type MissingACLError struct {
	Principal string
	Missing   []string // "READ on topic x (role processor)"
	Grants    []string // kafka-acls.sh --add ... lines
}

func (e *MissingACLError) Error() string {
	return fmt.Sprintf("kafka principal %s lacks ACLs its roles need:\n  %s\ngrant them (docs/operations.md, \"ACLs per role\"):\n  %s",
		e.Principal, strings.Join(e.Missing, "\n  "), strings.Join(e.Grants, "\n  "))
}

// checkACLs asks the brokers, before any role starts, whether the
// principal may do what the roles need, so that a missing ACL is one clear
// error at start rather than a role retrying a refused fetch or
// transaction: the topics' and groups' authorized operations, and each
// transactional id by initialising it (stream.CheckTransactionalIDs). It asks only with SASL (without it, the principal is
// ANONYMOUS and the cluster has no ACLs that orderlog set).
func checkACLs(ctx context.Context, c Config, cl *kgo.Client, n topics.Names) error {
	if c.Kafka.SASLMechanism == "" {
		return nil
	}
	var all []string
	needs := map[string]roleACLs{}
	for _, r := range c.Roles {
		a := aclsOf(r, c, n)
		needs[r] = a
		all = append(all, a.reads...)
		all = append(all, a.writes...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	ops, err := topicOps(ctx, cl, all)
	if err != nil {
		return err
	}
	e := &MissingACLError{Principal: principal(c)}
	lack := func(role, op, kind, name, flag string) {
		e.Missing = append(e.Missing, fmt.Sprintf("%s on %s %s (role %s)", op, kind, name, role))
		e.Grants = append(e.Grants, fmt.Sprintf("kafka-acls.sh --bootstrap-server %s --command-config admin.properties --add --allow-principal %s --operation %s %s %s",
			strings.Join(c.Brokers, ","), e.Principal, op, flag, name))
	}
	for _, r := range c.Roles {
		a := needs[r]
		for _, t := range a.reads {
			if o, ok := ops[t]; ok && o != authorizedUnknown && o&(1<<aclRead) == 0 {
				lack(r, "Read", "topic", t, "--topic")
			}
		}
		for _, t := range a.writes {
			if o, ok := ops[t]; ok && o != authorizedUnknown && o&(1<<aclWrite) == 0 {
				lack(r, "Write", "topic", t, "--topic")
			}
		}
		if a.group != "" {
			ok, err := mayReadGroup(ctx, cl, a.group)
			if err != nil {
				return err
			}
			if !ok {
				lack(r, "Read", "group", a.group, "--group")
			}
		}
		if err := checkTxnIDs(ctx, c, cl, r, a, e); err != nil {
			return err
		}
	}
	if len(e.Missing) > 0 {
		return e
	}
	return nil
}

// topicOps is the authorized-operations bit field of each topic; a topic
// the principal may not even describe is an error.
func topicOps(ctx context.Context, cl *kgo.Client, names []string) (map[string]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.IncludeTopicAuthorizedOperations = true
	for _, n := range names {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("ask the brokers what this principal may do: %w", err)
	}
	out := map[string]int32{}
	var errs []error
	for _, t := range resp.Topics {
		name := ""
		if t.Topic != nil {
			name = *t.Topic
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("topic %s: %w", name, err))
			continue
		}
		out[name] = t.AuthorizedOperations
	}
	return out, errors.Join(errs...)
}

// mayReadGroup says whether the principal may join and commit in group.
// A group that does not exist yet cannot be asked; then only its first
// join will tell. Retriable answers (a coordinator not there yet) are
// asked again, for a while.
func mayReadGroup(ctx context.Context, cl *kgo.Client, group string) (bool, error) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		ok, err := describeGroupOps(ctx, cl, group)
		if err == nil || !kerr.IsRetriable(err) {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("describe group %s: %w (last: %v)", group, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

func describeGroupOps(ctx context.Context, cl *kgo.Client, group string) (bool, error) {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{group}
	req.IncludeAuthorizedOperations = true
	resp, err := req.RequestWith(ctx, cl)
	if errors.Is(err, kerr.GroupAuthorizationFailed) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe group %s: %w", group, err)
	}
	for _, g := range resp.Groups {
		err := kerr.ErrorForCode(g.ErrorCode)
		switch {
		case errors.Is(err, kerr.GroupAuthorizationFailed):
			return false, nil
		case errors.Is(err, kerr.GroupIDNotFound):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("describe group %s: %w", group, err)
		}
		return g.AuthorizedOperations == authorizedUnknown || g.AuthorizedOperations&(1<<aclRead) != 0, nil
	}
	return false, fmt.Errorf("describe group %s: no answer for it", group)
}

// checkTxnIDs adds to e the transactional ids of role r that the brokers
// refuse: without WRITE on one, the role's first transaction would fail,
// and its session would start again, and fail again, for as long as it
// runs. The grant is for the ids' common prefix.
func checkTxnIDs(ctx context.Context, c Config, cl *kgo.Client, r string, a roleACLs, e *MissingACLError) error {
	if len(a.txnIDs) == 0 {
		return nil
	}
	refused, err := stream.CheckTransactionalIDs(ctx, cl, c.TransactionTimeout, a.txnIDs...)
	if err != nil {
		return fmt.Errorf("role %s: %w", r, err)
	}
	for _, id := range refused {
		e.Missing = append(e.Missing, fmt.Sprintf("Write and Describe on transactional id %s (role %s; set by %s)", id, r, a.txnSetting))
	}
	if len(refused) > 0 {
		e.Grants = append(e.Grants, fmt.Sprintf("kafka-acls.sh --bootstrap-server %s --command-config admin.properties --add --allow-principal %s --operation Write --operation Describe --resource-pattern-type prefixed --transactional-id %s",
			strings.Join(c.Brokers, ","), e.Principal, a.txnBase))
	}
	return nil
}
