//go:build !linux

package chaoskit

import "syscall"

func childAttr() *syscall.SysProcAttr { return nil }
