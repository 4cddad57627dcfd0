package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors"
)

type sandboxOptions struct {
	stateDir string
	latency  time.Duration
	listen   string
	inv      *inventory.Inventory // roots its intermediates name are pre-registered
	log      *slog.Logger
	faults   []sim.VendorFault // installed in the named vendor's simulator
}

// sandboxServer runs every vendor's simulator (from the vendor table)
// behind one listener: their routes do not overlap, so one base URL serves
// them all.
type sandboxServer struct {
	base string
	sims []*sim.Sandbox
	srv  *http.Server
	ln   net.Listener
}

func startSandbox(_ context.Context, o sandboxOptions) (*sandboxServer, error) {
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	mux := http.NewServeMux()
	sb := &sandboxServer{}
	counters := map[string]*sim.Injector{}
	for _, e := range vendors.All() {
		sim, err := e.Sandbox(o.stateDir, o.inv)
		if err != nil {
			return nil, err
		}
		sim.Faults.SetLatency(o.latency)
		for _, f := range o.faults {
			if f.Vendor == e.Name {
				sim.Faults.Add(f.Fault)
			}
		}
		counters[e.Name] = sim.Faults
		for _, p := range sim.Prefixes {
			mux.Handle(p, sim.Handler)
		}
		sb.sims = append(sb.sims, sim)
	}
	mux.Handle(sim.RequestsPath, sim.CountsHandler(counters))
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	sb.base, sb.ln = "http://"+ln.Addr().String(), ln
	sb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := sb.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && o.log != nil {
			o.log.Error("sandbox server stopped", "error", err)
		}
	}()
	return sb, nil
}

// config returns a copy of c with every vendor's settings pointed at its
// simulator.
func (s *sandboxServer) config(c vendors.Config) vendors.Config {
	c = c.Clone()
	for i, e := range vendors.All() {
		if c[e.Name] == nil {
			c[e.Name] = e.NewConfig()
		}
		s.sims[i].Configure(c[e.Name], s.base)
	}
	return c
}

// env returns the CERTSYNC_* settings that point certsync at this sandbox,
// as NAME=VALUE.
func (s *sandboxServer) env() []string { return vendors.Env(s.config(vendors.Fresh())) }

// secrets are the sandbox tokens; redacted like real ones, so that output
// looks the same in both worlds.
func (s *sandboxServer) secrets() []string {
	var out []string
	for _, sim := range s.sims {
		out = append(out, sim.Secrets...)
	}
	return out
}

// Close stops the simulators. In-flight requests get a moment to finish;
// a client's spare connection that never sent a request (which Shutdown
// would wait five seconds for) is simply closed.
func (s *sandboxServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
}

// sandbox serves the simulators until SIGINT/SIGTERM, after printing the
// environment that points certsync (or curl) at them.
func (a *app) sandbox(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("sandbox")
	listen := fs.String("listen", "127.0.0.1:8780", "`ADDR` to serve the simulators on")
	dir := fs.String("state", "", "`DIR` for the simulators' state (default: sandbox/ in the state directory, $CERTSYNC_STATE_DIR or .certsync beside the inventory)")
	file := fs.String("i", "", "inventory `FILE` whose root certificates to pre-register (optional)")
	faultFile := fs.String("faults", "", "YAML list of faults to inject from `FILE` (errors, 429s, dropped connections, latency); see README")
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if err := noArgs("sandbox", pos); err != nil {
		return ExitError, err
	}
	var inv *inventory.Inventory
	path := *file
	if path == "" {
		path = a.cfg.Inventory
	}
	if _, err := os.Stat(path); err == nil || *file != "" {
		var err error
		if inv, err = a.loadInventory(path); err != nil {
			return ExitError, err
		}
	}
	if *dir == "" {
		*dir = vendors.StatePath(a.cfg.stateDir(path), true)
	}
	var faults []sim.VendorFault
	if *faultFile != "" {
		var names []string
		for _, e := range vendors.All() {
			names = append(names, e.Name)
		}
		if faults, err = sim.LoadFaults(*faultFile, names); err != nil {
			return ExitError, err
		}
	}
	sb, err := startSandbox(ctx, sandboxOptions{stateDir: *dir, listen: *listen, inv: inv, log: a.log, latency: a.cfg.SandboxLatency, faults: faults})
	if err != nil {
		return ExitError, err
	}
	defer sb.Close()
	// The sandbox's own credentials are printed on purpose: they open only
	// the local simulators, and this is how other clients get them.
	for _, kv := range sb.env() {
		fmt.Fprintf(a.io.Stdout, "export %s\n", kv)
	}
	a.log.Info("sandbox serving; stop with Ctrl-C", "url", sb.base, "state", *dir, "faults", len(faults), "request_counts", sb.base+sim.RequestsPath)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	a.log.Info("sandbox stopping")
	return ExitOK, nil
}
