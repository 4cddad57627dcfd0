package diff

import "context"

// ciKey is the context key of CI mode.
type ciKey struct{}

// WithCI returns a context that tells vendors the plan is made in CI mode:
// on a machine that has no state directory and none of the files certsync
// writes (key files, downloaded certificates), for review only. The engine
// hands this context to every vendor's Observe.
func WithCI(ctx context.Context) context.Context { return context.WithValue(ctx, ciKey{}, true) }

// InCI reports whether ctx carries CI mode (WithCI). A vendor observing in
// CI mode treats a missing local file (a key file, a certificate it
// downloaded on another machine) as expected: not "needs attention", but a
// local-only change (an action declared Local) or information.
func InCI(ctx context.Context) bool {
	ci, _ := ctx.Value(ciKey{}).(bool)
	return ci
}
