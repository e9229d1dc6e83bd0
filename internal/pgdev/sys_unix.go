//go:build unix

package pgdev

import "syscall"

func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
