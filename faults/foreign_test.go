package faults

import "os"

func foreignListenerMain() int { return 2 }

var _ = os.Getpid
