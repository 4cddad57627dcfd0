// Package proccpu reads how much CPU time this process has used, so that a
// command can report what one of its phases cost (apply logs it at debug
// level) without a profiler. The figure is the operating system's own
// accounting of every thread of the process: user plus system time,
// including the garbage collector and, with --sandbox, the simulators
// running in the same process.
package proccpu

import "time"

// Used returns the CPU time (user + system) the process has used since it
// started, and false where the platform does not report it (then the
// duration is zero). Reading it is one system call: cheap enough for the
// start and end of a phase, not meant for a hot loop.
func Used() (time.Duration, bool) { return used() }

// Since returns the CPU time used since a reading taken with Used, and false
// when either reading is unavailable.
func Since(start time.Duration, ok bool) (time.Duration, bool) {
	now, nowOK := Used()
	if !ok || !nowOK {
		return 0, false
	}
	return now - start, true
}
