// Command orderctl is the operators' CLI of orderlog: send a command and wait
// for its result; show an order (now, at a version, at a time), its history,
// and lists of orders by customer or status from the read models; rebuild the
// read models under a new Redis prefix and switch readers to it; create and
// verify the topics; inspect and replay the dead-letter queue; show consumer
// lag. Long work (rebuild, dlq replay) draws a progress bar on stderr when it
// is a terminal or with --progress.
//
// Every setting is a --flag; the global ones also read ORDERLOG_* variables
// (--kafka-brokers is ORDERLOG_KAFKA_BROKERS), a flag winning over its
// variable. The Kafka TLS and SASL settings and the Redis ones (ACL user,
// TLS files) are orderd's, by the same names (internal/kafkaopts,
// internal/redisopts), so a secured cluster is reached the same way.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/kafkaopts"
	"github.com/orderlog/orderlog/internal/redisopts"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/topics"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitRejected = 3
)

// globals are the settings every command shares.
type globals struct {
	Brokers     string
	Kafka       kafkaopts.Config // TLS, client certificate, SASL
	TopicPrefix string
	Redis       redisopts.Config // address, mode, ACL user and password, TLS
	RedisPrefix string
	PointerKey  string
	Output      string
}

const envPrefix = "ORDERLOG_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingName is how messages name a global setting: "--kafka-tls / ORDERLOG_KAFKA_TLS".
func settingName(flagName string) string { return "--" + flagName + " / " + envName(flagName) }

// env holds what a command reads from outside: streams and the environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

// register declares the global settings on fs, with g's values as the
// defaults (they are declared on the top flag set and again on the
// command's). Each also reads its variable (fromEnv).
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Brokers, kafkaopts.FlagBrokers, g.Brokers, "Kafka seed brokers, comma-separated host:port")
	g.Kafka.Flags(fs)
	fs.StringVar(&g.TopicPrefix, "topic-prefix", g.TopicPrefix, `put in front of every topic name ("staging." gives staging.order.events)`)
	g.Redis.Flags(fs)
	fs.StringVar(&g.RedisPrefix, "redis-prefix", g.RedisPrefix, "prefix of every read-model key, used while the pointer key is unset")
	fs.StringVar(&g.PointerKey, "redis-pointer-key", g.PointerKey, "Redis key naming the active read-model prefix")
	fs.StringVar(&g.Output, "output", g.Output, "output format: table or json")
}

// isGlobal says whether a flag is a global setting (with a variable).
func isGlobal(name string) bool {
	var g globals
	fs := flag.NewFlagSet("globals", flag.ContinueOnError)
	g.register(fs)
	return fs.Lookup(name) != nil
}

// fromEnv sets each global setting whose variable is set and not empty.
func (g *globals) fromEnv(lookup func(string) (string, bool)) error {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	g.register(fs)
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := lookup(envName(f.Name)); ok && v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// validate names every bad global setting.
func (g *globals) validate() error {
	var errs []error
	if g.Output != "table" && g.Output != "json" {
		errs = append(errs, fmt.Errorf("--output is %q; it must be table or json", g.Output))
	}
	for _, p := range g.Kafka.Problems(settingName) {
		errs = append(errs, fmt.Errorf("%s: %s", settingName(p.Flag), p.Msg))
	}
	for _, p := range g.Redis.Problems() {
		errs = append(errs, fmt.Errorf("%s: %s", settingName(p.Flag), p.Msg))
	}
	return errors.Join(errs...)
}

func (g *globals) redisSettings() projections.RedisSettings { return g.Redis.Settings() }

// redis returns the read models' client (standalone, cluster or sentinel)
// once it answers a PING; a refused password or permission, or an
// untrusted certificate, is named by its setting.
func (g *globals) redis(ctx context.Context) (redis.UniversalClient, error) {
	rdb := projections.NewRedis(g.redisSettings())
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if ferr := g.Redis.Explain(err, "orderctl", settingName); ferr != nil {
			return nil, ferr
		}
		return nil, fmt.Errorf("redis at %s: %w", g.Redis.Addr, err)
	}
	return rdb, nil
}

func (g *globals) brokers() []string {
	var out []string
	for b := range strings.SplitSeq(g.Brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

func (g *globals) names() topics.Names { return topics.NewNames(g.TopicPrefix) }

// client returns a Kafka client with the TLS and SASL settings once the
// brokers answer it; credentials the brokers refuse, an untrusted
// certificate or a TLS switch that does not fit the listener are named by
// their setting.
func (g *globals) client(ctx context.Context, opts ...kgo.Opt) (*kgo.Client, error) {
	bs := g.brokers()
	if len(bs) == 0 {
		return nil, errors.New("no Kafka broker: set " + settingName(kafkaopts.FlagBrokers))
	}
	kopts, err := g.Kafka.ClientOpts()
	if err != nil {
		return nil, err // validate named it
	}
	cl, err := kgo.NewClient(append(append(kopts, kgo.SeedBrokers(bs...)), opts...)...)
	if err != nil {
		return nil, err
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, g.Kafka.Explain(err, "orderctl", settingName)
	}
	return cl, nil
}

func (g *globals) admin(ctx context.Context) (*kadm.Client, func(), error) {
	cl, err := g.client(ctx)
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl.Close, nil
}

// command is one leaf of the command tree.
type command struct {
	path    string // "dlq list"
	args    string // "ID" in the usage line
	short   string
	long    string
	example string
	flags   func(fs *flag.FlagSet) // the command's own flags
	nargs   int                    // positional arguments; -1: any
	run     func(ctx context.Context, g *globals, e env, args []string) int
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis logs each failed dial itself (at Warn); the command reports
	// the error once, with what to do (explain.go).
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	projections.LogRedisClient(func() *slog.Logger { return quiet })
	os.Exit(run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv}))
}

func defaultGlobals() globals {
	return globals{Brokers: "127.0.0.1:9092", Redis: redisopts.Defaults(), RedisPrefix: "orderlog:", PointerKey: "orderlog:active-prefix", Output: "table"}
}

// run is orderctl with args, returning its exit code.
func run(ctx context.Context, args []string, e env) int {
	g := defaultGlobals()
	if err := g.fromEnv(e.lookup); err != nil {
		fmt.Fprintf(e.stderr, "orderctl: %v\n", err)
		return exitUsage
	}
	top := flag.NewFlagSet("orderctl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			topUsage(e.stdout, top)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "orderctl: %v\n", err)
		return exitUsage
	}
	rest := top.Args()
	if len(rest) == 0 || rest[0] == "help" {
		topUsage(e.stdout, top)
		if len(rest) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, rest := find(rest)
	if c == nil {
		return unknown(e, top.Args())
	}
	fs := flag.NewFlagSet("orderctl "+c.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.flags != nil {
		c.flags(fs)
	}
	g.register(fs)
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cmdUsage(e.stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "orderctl %s: %v\n", c.path, err)
		return exitUsage
	}
	if err := g.validate(); err != nil {
		fmt.Fprintf(e.stderr, "orderctl %s: %v\n", c.path, err)
		return exitUsage
	}
	if c.nargs >= 0 && len(pos) != c.nargs {
		fmt.Fprintf(e.stderr, "orderctl %s: want %d argument(s) %s, got %q\n", c.path, c.nargs, c.args, pos)
		return exitUsage
	}
	watch := &dialWatch{w: e.stderr}
	e.stderr = watch
	code := c.run(ctx, &g, e, pos)
	if code != exitOK {
		for _, h := range watch.hints(&g) {
			fmt.Fprintln(watch.w, h)
		}
	}
	return code
}

// unknown answers args that name no command. The first word of a group
// ("order", "dlq", "topics") alone or with --help lists the group's
// commands.
func unknown(e env, args []string) int {
	var group []*command
	for _, c := range commands {
		if first, _, _ := strings.Cut(c.path, " "); first == args[0] && c.path != args[0] {
			group = append(group, c)
		}
	}
	if len(group) == 0 {
		fmt.Fprintf(e.stderr, "orderctl: unknown command %q; see orderctl --help\n", strings.Join(args, " "))
		return exitUsage
	}
	help := len(args) == 2 && slices.Contains([]string{"--help", "-help", "-h", "help"}, args[1])
	if len(args) > 1 && !help {
		fmt.Fprintf(e.stderr, "orderctl: unknown command %q; see orderctl %s --help\n", strings.Join(args, " "), args[0])
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "orderctl %s: a group of commands.\n\nUsage: orderctl %s COMMAND [flags] [args]\n\nCommands:\n", args[0], args[0])
	for _, c := range group {
		fmt.Fprintf(e.stdout, "  %-16s %s\n", c.path, c.short)
	}
	fmt.Fprintf(e.stdout, "\nRun orderctl %s COMMAND --help for a command's flags and an example.\n", args[0])
	if help {
		return exitOK
	}
	return exitUsage
}

// find returns the command whose path is the longest prefix of args.
func find(args []string) (*command, []string) {
	var best *command
	n := 0
	for _, c := range commands {
		words := strings.Fields(c.path)
		if len(words) > len(args) || len(words) <= n {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, n = c, len(words)
		}
	}
	return best, args[n:]
}

// parseInterspersed parses flags anywhere among the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func topUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "orderctl: the operators' CLI of orderlog.\n\nUsage: orderctl [global flags] COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.path, c.short)
	}
	fmt.Fprintf(w, "\nGlobal flags (each also read from its ORDERLOG_* variable):\n")
	printFlags(w, fs)
	fmt.Fprintf(w, "\nOutput: tables for people; --output json for scripts (progress bars go to stderr).\n")
	fmt.Fprintf(w, "Exit codes: 0 ok, 1 error, 2 usage, 3 command rejected.\nRun orderctl COMMAND --help for a command's flags and an example.\n")
}

func cmdUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "orderctl %s: %s\n\nUsage: orderctl %s [flags] %s\n", c.path, c.short, c.path, c.args)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	fmt.Fprintf(w, "\nFlags:\n")
	printFlags(w, fs)
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n%s\n", c.example)
	}
}

func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		usage := f.Usage
		if isGlobal(f.Name) {
			usage += " (" + envName(f.Name) + ")"
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%-20s %s\n", f.Name, usage)
	})
}
