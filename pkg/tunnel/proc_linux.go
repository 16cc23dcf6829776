package tunnel

import (
	"os"
	"syscall"
)

// sysProcAttr puts the tunnel in a process group of its own (Ctrl-C in the terminal
// must not stop it before listen has deleted the subscriptions) and has the kernel
// kill it when listen dies, however it dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func terminate(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGTERM) }

func kill(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }
