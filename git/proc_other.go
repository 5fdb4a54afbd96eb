//go:build !linux

package git

import "syscall"

func childAttr() *syscall.SysProcAttr { return nil }
