package git

import "syscall"

// childAttr makes git die with Slipway: a controller killed mid-fetch must
// not leave a git process writing the clone's refs after the lock it held
// is gone.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
