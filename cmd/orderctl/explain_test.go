package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// A group's first word alone, or with --help, lists its commands.
func TestAGroupListsItsCommands(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode int
		stdout   []string
		stderr   string
	}{
		{args: []string{"order"}, wantCode: exitUsage, stdout: []string{"order show", "order history", "order list"}},
		{args: []string{"order", "--help"}, wantCode: exitOK, stdout: []string{"order show", "order history", "order list"}},
		{args: []string{"order", "-h"}, wantCode: exitOK, stdout: []string{"order show"}},
		{args: []string{"dlq", "--help"}, wantCode: exitOK, stdout: []string{"dlq list", "dlq replay"}},
		{args: []string{"topics"}, wantCode: exitUsage, stdout: []string{"topics create", "topics verify"}},
		{args: []string{"order", "bogus"}, wantCode: exitUsage, stderr: `unknown command "order bogus"; see orderctl order --help`},
		{args: []string{"nope"}, wantCode: exitUsage, stderr: `unknown command "nope"; see orderctl --help`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, tc.wantCode, run(t.Context(), tc.args, envFor("", &out, &errb, nil)), errb.String())
			for _, w := range tc.stdout {
				require.Contains(t, out.String(), w)
			}
			if len(tc.stdout) > 0 {
				require.NotContains(t, errb.String()+out.String(), "unknown command")
			}
			if tc.stderr != "" {
				require.Contains(t, errb.String(), tc.stderr)
			}
		})
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// Without Redis or Kafka where the settings point, orderctl says which
// setting named the address and that nothing listens there.
func TestNothingListeningNamesTheSetting(t *testing.T) {
	addr := closedAddr(t)
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want []string
	}{
		{name: "redis from the environment", args: []string{"order", "show", "o-1"}, vars: map[string]string{"ORDERLOG_REDIS_ADDR": addr},
			want: []string{"orderctl: nothing is listening on " + addr + ", the Redis of the read models (--redis-addr / ORDERLOG_REDIS_ADDR)",
				"set ORDERLOG_REDIS_ADDR to where it runs"}},
		{name: "kafka from the flag", args: []string{"topics", "verify", "--kafka-brokers", addr},
			want: []string{"orderctl: nothing is listening on " + addr + ", a Kafka broker (--kafka-brokers / ORDERLOG_KAFKA_BROKERS)",
				"set ORDERLOG_KAFKA_BROKERS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, exitError, run(t.Context(), tc.args, envFor("", &out, &errb, tc.vars)))
			for _, w := range tc.want {
				require.Contains(t, errb.String(), w)
			}
			require.Equal(t, 1, strings.Count(errb.String(), "orderctl: nothing is listening"), "one hint per address")
		})
	}
}

func TestTheDefaultAddressIsSaidToBeTheDefault(t *testing.T) {
	g := defaultGlobals()
	require.Contains(t, g.settingOf("127.0.0.1:6379"), "unset here, so the default 127.0.0.1:6379")
	require.Contains(t, g.settingOf("127.0.0.1:9092"), "unset here, so the default 127.0.0.1:9092")
	require.Contains(t, g.settingOf("10.0.0.9:9092"), "check ORDERLOG_KAFKA_BROKERS and ORDERLOG_REDIS_ADDR")
}

// A duplicate's result names its code once.
func TestADuplicatesCodeIsPrintedOnce(t *testing.T) {
	c := order.Command{ID: "c-1", Type: order.CmdPlaceOrder, OrderID: "o-1"}
	res := order.ResultOf(c, 3, nil, &order.Duplicate{CommandID: "c-1", Version: 3})
	var out bytes.Buffer
	printResult(&out, res)
	require.Equal(t, 1, strings.Count(out.String(), "DUPLICATE_COMMAND"), out.String())
	require.Contains(t, out.String(), "code DUPLICATE_COMMAND: command")
}
