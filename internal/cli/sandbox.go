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
	"path/filepath"
	"syscall"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// The sandbox's connected app. These are not secrets: they only open the
// local simulators.
const (
	sandboxClientID     = "certsync-sandbox"
	sandboxClientSecret = "certsync-sandbox-secret"
	sandboxCAOwner      = "Example CA"
	sandboxMMAPIKey     = "certsync-sandbox-api-key"
	sandboxMMUser       = "certsync-sandbox"
	sandboxMMPassword   = "certsync-sandbox-password"
	sandboxQUser        = "certsync-sandbox"
	sandboxQAPIKey      = "certsync-sandbox-quantil-key"
)

type sandboxOptions struct {
	stateDir string
	latency  time.Duration
	listen   string
	inv      *inventory.Inventory // roots its intermediates name are pre-registered
	log      *slog.Logger
}

// sandboxServer runs every vendor simulator behind one listener: their
// routes do not overlap, so one base URL serves them all.
type sandboxServer struct {
	base    string
	ccadb   *ccadbsim.Server
	mm      *mmsim.Server
	cdn     *quantilsim.Server
	refresh string
	srv     *http.Server
	ln      net.Listener
}

func startSandbox(_ context.Context, o sandboxOptions) (*sandboxServer, error) {
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	cc, err := ccadbsim.New(ccadbsim.Options{
		ClientID:     sandboxClientID,
		ClientSecret: sandboxClientSecret,
		CAOwner:      sandboxCAOwner,
		StatePath:    filepath.Join(o.stateDir, "ccadb-sim.json"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the CCADB simulator: %w", err)
	}
	if err := seedRoots(cc, o.inv); err != nil {
		return nil, err
	}
	mm, err := mmsim.New(mmsim.Options{
		APIKey: sandboxMMAPIKey, Username: sandboxMMUser, Password: sandboxMMPassword,
		StatePath: filepath.Join(o.stateDir, "markmonitor-sim.json"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the Markmonitor simulator: %w", err)
	}
	cdn, err := quantilsim.New(quantilsim.Options{
		User: sandboxQUser, APIKey: sandboxQAPIKey,
		StatePath: filepath.Join(o.stateDir, "quantil-sim.json"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the QUANTIL simulator: %w", err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	for _, in := range []interface{ SetLatency(time.Duration) }{cc.Faults(), mm.Faults(), cdn.Faults()} {
		in.SetLatency(o.latency)
	}
	mux := http.NewServeMux()
	for _, prefix := range []string{"/certs/", "/cert/", "/auth/", "/v1/", "/api/"} {
		mux.Handle(prefix, mm) // the simulators' routes do not overlap
	}
	mux.Handle("/api/ssl/", cdn)
	mux.Handle("/", cc)
	sb := &sandboxServer{
		base:    "http://" + ln.Addr().String(),
		ccadb:   cc,
		mm:      mm,
		cdn:     cdn,
		refresh: cc.NewRefreshToken(),
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:      ln,
	}
	go func() {
		if err := sb.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && o.log != nil {
			o.log.Error("sandbox server stopped", "error", err)
		}
	}()
	return sb, nil
}

// seedRoots registers, as root records owned by the sandbox CA Owner, every
// self-signed parent the inventory names: a real CA's roots are in the CCADB
// long before its intermediates are.
func seedRoots(cc *ccadbsim.Server, inv *inventory.Inventory) error {
	if inv == nil || inv.CCADB == nil {
		return nil
	}
	for _, it := range inv.CCADB.Intermediates {
		p := it.ParentCert
		if p == nil || p.CheckSignatureFrom(p) != nil {
			continue
		}
		if _, ok := cc.RecordBySHA256(pemutil.SHA256(p.Raw)); ok {
			continue
		}
		if _, err := cc.AddRoot(pemutil.Encode(p.Raw), sandboxCAOwner); err != nil {
			return fmt.Errorf("sandbox: register root %q: %w", p.Subject.CommonName, err)
		}
	}
	return nil
}

// config points the vendor settings at the simulators.
func (s *sandboxServer) config(c vendors.Config) vendors.Config {
	c.CCADB.URL = s.base
	c.CCADB.ClientID = sandboxClientID
	c.CCADB.ClientSecret = sandboxClientSecret
	c.CCADB.RefreshToken = s.refresh
	c.CCADB.ReportURL = s.base + "/ccadb/AllCertificateRecordsCSVFormatV5"
	c.CCADB.RequestInterval = 0
	c.Markmonitor.URL = s.base + "/certs/v1"
	c.Markmonitor.AuthURL = s.base + "/auth/v1"
	c.Markmonitor.APIKey = sandboxMMAPIKey
	c.Markmonitor.Username = sandboxMMUser
	c.Markmonitor.Password = sandboxMMPassword
	c.Quantil.URL = s.base
	c.Quantil.User = sandboxQUser
	c.Quantil.APIKey = sandboxQAPIKey
	return c
}

// env returns the CERTSYNC_* settings that point certsync at this sandbox,
// as NAME=VALUE.
func (s *sandboxServer) env() []string {
	c := s.config(vendors.Config{})
	return []string{
		"CERTSYNC_CCADB_URL=" + c.CCADB.URL,
		"CERTSYNC_CCADB_CLIENT_ID=" + c.CCADB.ClientID,
		"CERTSYNC_CCADB_CLIENT_SECRET=" + c.CCADB.ClientSecret,
		"CERTSYNC_CCADB_REFRESH_TOKEN=" + c.CCADB.RefreshToken,
		"CERTSYNC_CCADB_REPORT_URL=" + c.CCADB.ReportURL,
		"CERTSYNC_CCADB_REQUEST_INTERVAL=0s",
		"CERTSYNC_MARKMONITOR_URL=" + c.Markmonitor.URL,
		"CERTSYNC_MARKMONITOR_AUTH_URL=" + c.Markmonitor.AuthURL,
		"CERTSYNC_MARKMONITOR_API_KEY=" + c.Markmonitor.APIKey,
		"CERTSYNC_MARKMONITOR_USERNAME=" + c.Markmonitor.Username,
		"CERTSYNC_MARKMONITOR_PASSWORD=" + c.Markmonitor.Password,
		"CERTSYNC_QUANTIL_URL=" + c.Quantil.URL,
		"CERTSYNC_QUANTIL_USER=" + c.Quantil.User,
		"CERTSYNC_QUANTIL_API_KEY=" + c.Quantil.APIKey,
	}
}

// secrets are the sandbox tokens; redacted like real ones, so that output
// looks the same in both worlds.
func (s *sandboxServer) secrets() []string { return []string{s.refresh} }

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
	listen := fs.String("listen", "127.0.0.1:8780", "address to serve the simulators on")
	dir := fs.String("state", "", "directory for the simulators' state (default $CERTSYNC_STATE_DIR/sandbox)")
	file := fs.String("i", "", "inventory whose root certificates to pre-register (optional)")
	if _, err := parseFlags(fs, args); err != nil {
		return ExitError, errReported
	}
	if *dir == "" {
		*dir = vendors.StatePath(a.cfg.StateDir, true)
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
	sb, err := startSandbox(ctx, sandboxOptions{stateDir: *dir, listen: *listen, inv: inv, log: a.log, latency: a.cfg.SandboxLatency})
	if err != nil {
		return ExitError, err
	}
	defer sb.Close()
	// The sandbox's own credentials are printed on purpose: they open only
	// the local simulators, and this is how other clients get them.
	for _, kv := range sb.env() {
		fmt.Fprintf(a.io.Stdout, "export %s\n", kv)
	}
	a.log.Info("sandbox serving; stop with Ctrl-C", "url", sb.base, "state", *dir)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	a.log.Info("sandbox stopping")
	return ExitOK, nil
}
