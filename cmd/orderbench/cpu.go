package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the CPU time used so far by this process and by the broker:
// on a machine shared with other work a rate swings with the load, but the
// CPU a command costs much less.
type cpuTime struct {
	self, broker time.Duration
	brokerKnown  bool
	allocated    uint64 // bytes this process has allocated, ever
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux this runs on.
const clockTicks = 100

// cpuNow reads both; brokerPID 0 leaves the broker's out.
func cpuNow(brokerPID int) cpuTime {
	var t cpuTime
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		t.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if brokerPID > 0 {
		t.broker, t.brokerKnown = procCPU(brokerPID)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.allocated = ms.TotalAlloc
	return t
}

// procCPU is utime+stime of pid from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces: count the
	// fields after its closing one (state is field 3; utime, stime 14, 15).
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+k) * time.Second / clockTicks, true
}

// brokerPID reads the bed's pid file; 0 when there is none.
func brokerPID(pidfile string) int {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	if _, ok := procCPU(pid); !ok {
		return 0
	}
	return pid
}

// allocatedPerCommand is the bytes allocated between two readings, per command.
func allocatedPerCommand(from, to cpuTime, commands int) float64 {
	if commands <= 0 {
		return 0
	}
	return float64(to.allocated-from.allocated) / float64(commands)
}

// perCommand is the CPU between two readings, per command.
func perCommand(from, to cpuTime, commands int) (self, broker time.Duration) {
	if commands <= 0 {
		return 0, 0
	}
	self = (to.self - from.self) / time.Duration(commands)
	if from.brokerKnown && to.brokerKnown {
		broker = (to.broker - from.broker) / time.Duration(commands)
	}
	return self, broker
}
