package sim

import "net/http"

// SandboxUser is the account name every simulator of the sandbox accepts.
// It is not a secret: it opens only the local simulators.
const SandboxUser = "certsync-sandbox"

// Sandbox is one vendor's simulator as `--sandbox` and `certsync sandbox`
// run it, all behind one listener.
type Sandbox struct {
	Handler http.Handler
	// Prefixes are the URL paths it serves; the simulators' routes do not
	// overlap, so one listener serves them all.
	Prefixes []string
	Faults   *Injector
	// Configure points the vendor's settings (a pointer to its Config) at
	// base, the sandbox's URL, with the simulator's credentials.
	Configure func(cfg any, base string)
	// Secrets are the sandbox tokens, redacted like real ones.
	Secrets []string
}
