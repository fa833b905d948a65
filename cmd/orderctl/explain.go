package main

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// A command that cannot reach Redis or Kafka prints the client's error
// ("dial tcp 127.0.0.1:6379: connect: connection refused"), which names
// neither the setting nor what to do. dialWatch sees every failed dial a
// command reports on stderr, and run adds after it, once per address, which
// setting holds that address and what the error means.

// dialFailure matches the net package's dial errors: the address and the
// reason.
var dialFailure = regexp.MustCompile(`dial tcp (\S+): (?:connect: )?([^;\n]+)`)

// dialWatch passes stderr through and keeps the addresses that failed to dial.
type dialWatch struct {
	w      io.Writer
	failed []dialFailed
}

type dialFailed struct{ addr, reason string }

func (d *dialWatch) Write(p []byte) (int, error) {
	for _, m := range dialFailure.FindAllStringSubmatch(string(p), -1) {
		if !slices.ContainsFunc(d.failed, func(f dialFailed) bool { return f.addr == m[1] }) {
			d.failed = append(d.failed, dialFailed{addr: m[1], reason: strings.TrimSpace(m[2])})
		}
	}
	return d.w.Write(p)
}

// hints says, for each address that failed, which setting named it and what
// to do.
func (d *dialWatch) hints(g *globals) []string {
	var out []string
	for _, f := range d.failed {
		what := "cannot reach " + f.addr + " (" + f.reason + ")"
		if strings.Contains(f.reason, "connection refused") {
			what = "nothing is listening on " + f.addr
		}
		out = append(out, fmt.Sprintf("orderctl: %s, %s", what, g.settingOf(f.addr)))
	}
	return out
}

// settingOf names the setting an address came from, with what to do.
func (g *globals) settingOf(addr string) string {
	source := func(flag, def string) string {
		s := "--" + flag + " / " + envName(flag)
		if def != "" {
			s += ", unset here, so the default " + def
		}
		return s
	}
	redisDefault, kafkaDefault := "", ""
	d := defaultGlobals()
	if g.Redis.Addr == d.Redis.Addr {
		redisDefault = d.Redis.Addr
	}
	if g.Brokers == d.Brokers {
		kafkaDefault = d.Brokers
	}
	switch {
	case slices.Contains(g.redisSettings().Addrs, addr):
		return "the Redis of the read models (" + source("redis-addr", redisDefault) + "); start Redis there or set " +
			envName("redis-addr") + " to where it runs (the test bed's: source .testbed/env)"
	case slices.Contains(g.brokers(), addr):
		return "a Kafka broker (" + source("kafka-brokers", kafkaDefault) + "); start Kafka there or set " +
			envName("kafka-brokers") + " to where it runs (the test bed's: source .testbed/env)"
	}
	return "which Kafka or Redis named (a broker the cluster advertises, or a Redis node); check " +
		envName("kafka-brokers") + " and " + envName("redis-addr")
}
