package chaoskit

import "syscall"

// childAttr makes the kernel kill an orderd when the test process dies, so
// that not even a crashed or timed-out test leaves processors running.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
