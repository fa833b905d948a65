package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderlog/orderlog/order"
)

func TestSendRejectsBadJSONBeforeProducing(t *testing.T) {
	c := newCluster(t, 0)
	r := c.ctl(t, `{"type":"CreateOrder","orderId":"o-1"}`, "send")
	if r.code != exitError || !strings.Contains(r.stderr, "commandId is required") {
		t.Errorf("exit %d stderr %q, want 1 and commandId is required", r.code, r.stderr)
	}
}

func TestSendWaitPrintsTheResultAndExitCode(t *testing.T) {
	c := newCluster(t, 3)
	c.startProcessor(t)

	r := c.ctl(t, "", "send", "--wait", "--output", "json", "--data", createOrder("c-1", "o-1"))
	if r.code != exitOK {
		t.Fatalf("accepted: exit %d, stderr %s", r.code, r.stderr)
	}
	var res order.CommandResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not a result: %v", err)
	}
	if res.CommandID != "c-1" || res.Status != order.ResultAccepted || res.Version != 1 {
		t.Errorf("result %+v, want c-1 ACCEPTED version 1", res)
	}

	// The same command again, from stdin: a duplicate, exit 0.
	if r := c.ctl(t, createOrder("c-1", "o-1"), "send", "--wait"); r.code != exitOK || strings.Count(r.stdout, "DUPLICATE_COMMAND") != 1 {
		t.Errorf("duplicate: exit %d stdout %q", r.code, r.stdout)
	}
	// Another CreateOrder of the same order: rejected, exit 3 with the code.
	r = c.ctl(t, createOrder("c-2", "o-1"), "send", "--wait")
	if r.code != exitRejected || !strings.Contains(r.stdout, "REJECTED") || !strings.Contains(r.stdout, "code ") {
		t.Errorf("rejected: exit %d stdout %q, want 3 with REJECTED and its code", r.code, r.stdout)
	}
}

func TestSendWithoutWaitReportsWhereItWent(t *testing.T) {
	c := newCluster(t, 3)
	r := c.ctl(t, "", "send", "--data", createOrder("c-1", "o-9"))
	if r.code != exitOK || !strings.Contains(r.stdout, "t.order.commands") {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
}
