//go:build !unix

package tunnel

import (
	"os"
	"syscall"
)

// sysProcAttr: no process groups or signals to speak of; Stop kills the process.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(p *os.Process) error { return p.Kill() }

func kill(p *os.Process) error { return p.Kill() }
