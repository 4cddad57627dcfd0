// Command chaossim serves the three vendor simulators in a process of their
// own, as `certsync sandbox` does, plus a control API on the same loopback
// listener that the fault suite (package chaos) drives between and during
// runs of the real certsync binary:
//
//	POST /_chaos/faults   {"vendor":"ccadb","seed":7,"faults":[sim.Fault…]}  add faults
//	POST /_chaos/clear    remove every fault
//	POST /_chaos/expire   expire every access token (CCADB session, Markmonitor JWT)
//	GET  /_chaos/tokens   the credentials clients sent (Authorization, X-API-KEY)
//
// It prints one `export NAME=VALUE` line per setting that points certsync at
// it, then `ready URL`, and serves until SIGTERM or SIGINT. It is a test
// tool: it listens on loopback only and is never shipped.
//
// `certsync sandbox --faults FILE` serves the same simulators but installs
// one fixed fault list at start. The suite needs more than that, and none
// of it belongs in a shipped command: faults seeded per vendor, added after
// the first plan and cleared before convergence, sessions ended on demand
// in the middle of an apply, and the run-time access tokens clients sent,
// which the secret scan looks for.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors"
)

// maxTokens bounds the credentials kept for /_chaos/tokens.
const maxTokens = 10000

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	dir := flag.String("state", "", "directory for the simulators' state (required)")
	file := flag.String("i", "", "inventory whose root certificates to pre-register")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to serve on")
	flag.Parse()
	if *dir == "" {
		return errors.New("-state is required")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || (host != "127.0.0.1" && host != "::1" && host != "localhost") {
		return fmt.Errorf("-listen %q: loopback only", *listen)
	}
	var inv *inventory.Inventory
	if *file != "" {
		if inv, err = inventory.Load(*file, vendors.Sections()); err != nil {
			return err
		}
	}

	c := &control{sims: map[string]*sim.Sandbox{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	cfg := vendors.Fresh()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	for _, e := range vendors.All() {
		sb, err := e.Sandbox(*dir, inv)
		if err != nil {
			return err
		}
		c.sims[e.Name] = sb
		sb.Configure(cfg[e.Name], base)
		for _, p := range sb.Prefixes {
			mux.Handle(p, c.record(sb.Handler))
		}
	}
	mux.HandleFunc("POST /_chaos/faults", c.addFaults)
	mux.HandleFunc("POST /_chaos/clear", c.clear)
	mux.HandleFunc("POST /_chaos/expire", c.expire)
	mux.HandleFunc("GET /_chaos/tokens", c.listTokens)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	for _, kv := range vendors.Env(cfg) {
		fmt.Printf("export %s\n", kv)
	}
	fmt.Printf("ready %s\n", base)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if srv.Shutdown(sctx) != nil {
		_ = srv.Close()
	}
	return nil
}

type control struct {
	sims map[string]*sim.Sandbox

	mu     sync.Mutex
	tokens map[string]bool
}

// record keeps the credentials each request carries, so the suite can look
// for them in certsync's output: access tokens are minted at run time and
// known to no configuration.
func (c *control) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var vals []string
		if a := r.Header.Get("Authorization"); a != "" {
			if _, cred, ok := strings.Cut(a, " "); ok {
				vals = append(vals, cred)
			}
			vals = append(vals, a)
		}
		if k := r.Header.Get("X-API-KEY"); k != "" {
			vals = append(vals, k)
		}
		c.mu.Lock()
		for _, v := range vals {
			if len(c.tokens) < maxTokens {
				c.tokens[v] = true
			}
		}
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// faultRequest is the body of POST /_chaos/faults.
type faultRequest struct {
	Vendor string      `json:"vendor"`
	Seed   *uint64     `json:"seed"`
	Faults []sim.Fault `json:"faults"`
}

func (c *control) addFaults(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sb, ok := c.sims[req.Vendor]
	if !ok {
		http.Error(w, "unknown vendor "+req.Vendor, http.StatusNotFound)
		return
	}
	if req.Seed != nil {
		sb.Faults.Seed(*req.Seed)
	}
	for _, f := range req.Faults {
		sb.Faults.Add(f)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) clear(w http.ResponseWriter, _ *http.Request) {
	for _, sb := range c.sims {
		sb.Faults.Clear()
	}
	w.WriteHeader(http.StatusNoContent)
}

// expirer is what the CCADB and Markmonitor simulators offer to end every
// session they issued.
type expirer interface{ ExpireAccessTokens() }

type jwtExpirer interface{ ExpireTokens() }

func (c *control) expire(w http.ResponseWriter, _ *http.Request) {
	n := 0
	for _, sb := range c.sims {
		switch s := sb.Handler.(type) {
		case expirer:
			s.ExpireAccessTokens()
			n++
		case jwtExpirer:
			s.ExpireTokens()
			n++
		}
	}
	if n < 2 {
		http.Error(w, "the CCADB or Markmonitor simulator cannot expire tokens", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) listTokens(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	out := make([]string, 0, len(c.tokens))
	for t := range c.tokens {
		out = append(out, t)
	}
	c.mu.Unlock()
	sort.Strings(out)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
