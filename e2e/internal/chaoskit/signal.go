package chaoskit

import (
	"fmt"
	"syscall"
	"time"
)

// Kill sends SIGKILL to p and waits until it is gone.
func (f *Fleet) Kill(p *Proc) {
	f.mu.Lock()
	p.endedBy = "kill"
	f.kills++
	f.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Terminate sends SIGTERM to p and waits until it exits; an exit status
// other than 0, or no exit within timeout, is the error.
func (f *Fleet) Terminate(p *Proc, timeout time.Duration) error {
	f.mu.Lock()
	p.endedBy = "term"
	f.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("%s after SIGTERM: %v (log %s)", p.Name, p.err, p.LogPath)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %s of SIGTERM (log %s)", p.Name, timeout, p.LogPath)
	}
}
