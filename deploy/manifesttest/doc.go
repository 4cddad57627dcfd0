// Package manifesttest holds the test that decodes deploy/kubernetes into the
// Kubernetes API types. It is its own module so that k8s.io/api, a large
// test-only dependency, stays out of certsync's go.mod and out of the main
// `go test ./...`; .ci/run runs it.
package manifesttest
