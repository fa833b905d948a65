package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
)

// profiler writes a CPU profile and the allocations (a heap profile
// before and after, to be read as a difference) of one run of this
// process into dir: processor.cpu.pprof, processor.allocs.base.pprof and
// processor.allocs.pprof.
type profiler struct {
	dir string
	cpu *os.File
}

func (p *profiler) path(name string) string { return filepath.Join(p.dir, "processor."+name+".pprof") }

func (p *profiler) start() error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("profile dir: %w", err)
	}
	if err := writeAllocs(p.path("allocs.base")); err != nil {
		return err
	}
	f, err := os.Create(p.path("cpu"))
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	p.cpu = f
	return nil
}

func (p *profiler) stop() error {
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	return errors.Join(err, writeAllocs(p.path("allocs")))
}

func writeAllocs(path string) error {
	runtime.GC() // the profile shows allocations up to the last GC
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("allocation profile: %w", err)
	}
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}

// profileTops is what `go tool pprof -top` says of the profiles: the
// entries with the most CPU (flat) and the most bytes allocated during
// the run. Empty, with the reason, when the go tool is not at hand.
type profileTops struct {
	cpu, allocs string
	parts       []part // the processor's CPU by what it does
	err         error
}

// part is a share of the CPU profile: the samples under a function
// (cumulative), as a fraction of all. Parts overlap where one calls another.
type part struct {
	what  string
	share float64
}

// cpuParts names the functions under which the processor's work falls.
var cpuParts = []struct{ what, fn string }{
	{"the runtime's per-partition work, all of it (stream.parallel)", "stream.parallel.func1"},
	{"decoding commands (schemas.DecodeCommand: JSON)", "schemas.DecodeCommand"},
	{"deciding (order.Decider.Handle)", "order.Decider.Handle"},
	{"encoding events, states, results (avrostruct Mapper.AppendBinary)", "avrostruct.(*Mapper).AppendBinary"},
	{"writing produce requests (franz-go broker.handleReqs)", "kgo.(*broker).handleReqs"},
	{"fetching, decompressing (franz-go source.loopFetch)", "kgo.(*source).loopFetch"},
	{"allocating (runtime.mallocgc)", "runtime.mallocgc"},
	{"collecting garbage in the background (runtime.gcBgMarkWorker)", "runtime.gcBgMarkWorker"},
}

// parseParts reads `go tool pprof -top -cum` output: per part, the largest
// cum% of a line naming its function.
func parseParts(top string) []part {
	var out []part
	for _, p := range cpuParts {
		best := 0.0
		for _, l := range strings.Split(top, "\n") {
			f := strings.Fields(l)
			if len(f) < 6 || !strings.Contains(strings.Join(f[5:], " "), p.fn) {
				continue
			}
			var v float64
			if _, err := fmt.Sscanf(f[4], "%f%%", &v); err == nil && v/100 > best {
				best = v / 100
			}
		}
		out = append(out, part{what: p.what, share: best})
	}
	return out
}

func (p *profiler) tops(n int) profileTops {
	node := fmt.Sprintf("-nodecount=%d", n)
	cpu, err := pprofTop("-top", node, p.path("cpu"))
	if err != nil {
		return profileTops{err: err}
	}
	cum, err := pprofTop("-top", "-cum", "-nodecount=400", p.path("cpu"))
	if err != nil {
		return profileTops{err: err}
	}
	allocs, err := pprofTop("-top", node, "-sample_index=alloc_space", "-base", p.path("allocs.base"), p.path("allocs"))
	return profileTops{cpu: cpu, allocs: allocs, parts: parseParts(cum), err: err}
}

// pprofTop runs go tool pprof; the profiles carry their symbols, so it
// needs no binary.
func pprofTop(args ...string) (string, error) {
	out, err := exec.Command("go", append([]string{"tool", "pprof"}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof %s: %w", strings.Join(args, " "), err)
	}
	return trimTop(string(out)), nil
}

const maxTopLine = 160

// trimTop keeps pprof's summary line and its table.
func trimTop(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		if r := []rune(l); len(r) > maxTopLine {
			l = string(r[:maxTopLine]) + "…" // generic instantiations spell out whole struct types
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}
