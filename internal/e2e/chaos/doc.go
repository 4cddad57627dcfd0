// Package chaos is certsync's fault suite: it runs the real certsync binary
// against the vendor simulators served by a process of their own
// (./chaossim), with a seeded fault mix (5xx and dropped connections on
// writes, 429 bursts with Retry-After, expired sessions, `kill -9` of apply at
// random moments), then re-runs apply without faults and proves that nothing
// was lost: the plan converges within three runs, the simulators hold no
// duplicate and every managed field, the files certsync wrote are whole and
// private, and no secret appears in any output.
//
// `go test ./internal/e2e/chaos/` runs the short form (one seed); `make
// chaos` runs several random seeds with more rounds. -chaos.seed=N replays a
// seed the suite printed.
package chaos
