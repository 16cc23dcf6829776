//go:build unix && !linux

package tunnel

import (
	"os"
	"syscall"
)

// sysProcAttr puts the tunnel in a process group of its own: Ctrl-C in the terminal
// must not stop it before listen has deleted the subscriptions. (No parent-death
// signal outside Linux: a killed listen leaves its tunnel running.)
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func terminate(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGTERM) }

func kill(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }
