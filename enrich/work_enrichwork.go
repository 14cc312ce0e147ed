//go:build enrichwork

package enrich

import "sync/atomic"

// work is the number of bytes the recogniser has examined since the last takeWork.
var work atomic.Int64

// addWork counts n bytes examined by the recogniser.
func addWork(n int) { work.Add(int64(n)) }

// takeWork returns the count of examined bytes and resets it.
func takeWork() int64 { return work.Swap(0) }
