package main

import (
	"strings"
	"testing"
)

func TestTopicsCreateThenVerify(t *testing.T) {
	c := newCluster(t, 0)
	if r := c.ctl(t, "", "topics", "verify", "--partitions", "3"); r.code != exitError ||
		!strings.Contains(r.stderr, "t.order.events: does not exist") {
		t.Errorf("verify before create: exit %d stderr %q, want 1 and each missing topic", r.code, r.stderr)
	}
	r := c.ctl(t, "", "topics", "create", "--partitions", "3")
	if r.code != exitOK || strings.Count(r.stdout, "created") != 13 {
		t.Fatalf("create: exit %d stdout %q", r.code, r.stdout)
	}
	if r := c.ctl(t, "", "topics", "create", "--partitions", "3"); r.code != exitOK || strings.Count(r.stdout, "exists") != 13 {
		t.Errorf("create again: exit %d stdout %q", r.code, r.stdout)
	}
	if r := c.ctl(t, "", "topics", "verify", "--partitions", "3"); r.code != exitOK {
		t.Errorf("verify: exit %d stderr %q", r.code, r.stderr)
	}
	r = c.ctl(t, "", "topics", "verify", "--partitions", "4", "--output", "json")
	if r.code != exitError || !strings.Contains(r.stdout, `"ok": false`) || strings.Count(r.stderr, "partition") < 5 {
		t.Errorf("verify with the wrong partitions: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := c.ctl(t, "", "topics", "verify", "--topic-prefix", "bad/"); r.code != exitUsage {
		t.Errorf("bad prefix: exit %d, want %d", r.code, exitUsage)
	}
}
