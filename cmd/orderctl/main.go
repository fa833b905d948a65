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
// variable.
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
	TopicPrefix string
	RedisAddr   string
	RedisMode   string
	RedisMaster string
	RedisPrefix string
	PointerKey  string
	Output      string
}

const envPrefix = "ORDERLOG_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// env holds what a command reads from outside: streams and the environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Brokers, "kafka-brokers", g.Brokers, "Kafka seed brokers, comma-separated host:port ("+envName("kafka-brokers")+")")
	fs.StringVar(&g.TopicPrefix, "topic-prefix", g.TopicPrefix, `put in front of every topic name ("staging." gives staging.order.events) (`+envName("topic-prefix")+")")
	fs.StringVar(&g.RedisAddr, "redis-addr", g.RedisAddr, "Redis host:port of the read models; several, comma-separated, with --redis-mode cluster or sentinel ("+envName("redis-addr")+")")
	fs.StringVar(&g.RedisMode, "redis-mode", g.RedisMode, "what --redis-addr is: standalone, cluster (seed nodes) or sentinel ("+envName("redis-mode")+")")
	fs.StringVar(&g.RedisMaster, "redis-master-name", g.RedisMaster, "with --redis-mode sentinel: the primary's name ("+envName("redis-master-name")+")")
	fs.StringVar(&g.RedisPrefix, "redis-prefix", g.RedisPrefix, "prefix of every read-model key, used while the pointer key is unset ("+envName("redis-prefix")+")")
	fs.StringVar(&g.PointerKey, "redis-pointer-key", g.PointerKey, "Redis key naming the active read-model prefix ("+envName("redis-pointer-key")+")")
	fs.StringVar(&g.Output, "output", g.Output, "output format: table or json ("+envName("output")+")")
}

func (g *globals) fromEnv(lookup func(string) (string, bool)) {
	for name, p := range map[string]*string{
		"kafka-brokers": &g.Brokers, "topic-prefix": &g.TopicPrefix, "redis-addr": &g.RedisAddr,
		"redis-mode": &g.RedisMode, "redis-master-name": &g.RedisMaster, "redis-prefix": &g.RedisPrefix, "redis-pointer-key": &g.PointerKey, "output": &g.Output,
	} {
		if v, ok := lookup(envName(name)); ok && v != "" {
			*p = v
		}
	}
}

func (g *globals) validate() error {
	if g.Output != "table" && g.Output != "json" {
		return fmt.Errorf("--output is %q; it must be table or json", g.Output)
	}
	problems := g.redisSettings().Problems()
	for _, k := range []string{"mode", "addr", "master-name"} {
		if msg, ok := problems[k]; ok {
			return fmt.Errorf("--redis-%s (%s): %s", k, envName("redis-"+k), msg)
		}
	}
	return nil
}

func (g *globals) redisSettings() projections.RedisSettings {
	var addrs []string
	for a := range strings.SplitSeq(g.RedisAddr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return projections.RedisSettings{Addrs: addrs, Mode: projections.RedisMode(g.RedisMode), MasterName: g.RedisMaster}
}

// redis returns the read models' client (standalone, cluster or sentinel).
func (g *globals) redis() redis.UniversalClient { return projections.NewRedis(g.redisSettings()) }

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

func (g *globals) client(opts ...kgo.Opt) (*kgo.Client, error) {
	bs := g.brokers()
	if len(bs) == 0 {
		return nil, errors.New("no Kafka broker: set --kafka-brokers or " + envName("kafka-brokers"))
	}
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bs...)}, opts...)...)
}

func (g *globals) admin() (*kadm.Client, func(), error) {
	cl, err := g.client()
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
	return globals{Brokers: "127.0.0.1:9092", RedisAddr: "127.0.0.1:6379", RedisMode: "standalone", RedisPrefix: "orderlog:", PointerKey: "orderlog:active-prefix", Output: "table"}
}

// run is orderctl with args, returning its exit code.
func run(ctx context.Context, args []string, e env) int {
	g := defaultGlobals()
	g.fromEnv(e.lookup)
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
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%-20s %s%s\n", f.Name, f.Usage, def)
	})
}
