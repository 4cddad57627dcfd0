// Package sim holds what every vendor simulator shares: fault and latency
// injection in front of a handler, request counting, and state persisted to a
// JSON file. A simulator is an http.Handler in the shape of net/http/httptest
// servers; this package wraps it so tests can exercise a client's recovery
// paths (5xx, 429, a connection dropped after the change was committed).
package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/atomicfile"
)

// Fault describes one injected failure. A request matches when its method and
// path start with Method and Path (empty matches anything).
type Fault struct {
	// Method and Path select the requests the fault applies to.
	Method, Path string
	// Status, when non-zero, answers the request with this status and Body
	// instead of handling it; nothing is committed.
	Status int
	// Body is the response body sent with Status.
	Body string
	// Header is added to the response sent with Status (for example Retry-After).
	Header http.Header
	// Drop closes the connection without an answer and without handling the
	// request.
	Drop bool
	// DropAfterCommit handles the request (so the change is committed) and then
	// closes the connection instead of sending the answer: the case a client
	// must never answer by blindly sending the request again.
	DropAfterCommit bool
	// Delay, when non-zero, holds the request this long (on top of the
	// injector's latency) and then handles it normally: a slow vendor rather
	// than a failing one. It is ignored when Status or a drop is set.
	Delay time.Duration
	// Times is how many matching requests the fault hits; 0 means every one.
	Times int
	// Skip lets this many matching requests through before the fault starts.
	Skip int
	// Probability, when above 0 and below 1, is the chance that a matching
	// request (past Skip, within Times) is hit, drawn from the injector's
	// random source (see Seed) so that a fault mix such as "10 % of writes
	// answer 503" replays from its seed. A request it spares passes untouched
	// and is not counted against Times. 0 (or 1 and above) hits every
	// matching request.
	Probability float64

	hits, seen int
}

// Injector wraps a handler with latency, injected faults and request counts.
// The zero value injects nothing and counts every request. It is safe for
// concurrent use.
type Injector struct {
	mu      sync.Mutex
	faults  []*Fault
	latency time.Duration
	counts  map[string]int
	total   int
	rng     *rand.Rand // for Fault.Probability; nil until first needed
}

// Seed sets the random source Fault.Probability draws from, so that a fault mix
// is reproducible from its seed (as far as the order of concurrent requests
// allows). Without Seed, the source is seeded with 0.
func (in *Injector) Seed(seed uint64) {
	in.mu.Lock()
	in.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	in.mu.Unlock()
}

// SetLatency delays every request by d before it is handled.
func (in *Injector) SetLatency(d time.Duration) {
	in.mu.Lock()
	in.latency = d
	in.mu.Unlock()
}

// Add installs a fault. Faults are tried in the order they were added.
func (in *Injector) Add(f Fault) {
	in.mu.Lock()
	in.faults = append(in.faults, &f)
	in.mu.Unlock()
}

// Clear removes every fault.
func (in *Injector) Clear() {
	in.mu.Lock()
	in.faults = nil
	in.mu.Unlock()
}

// Count returns how many requests reached the simulator whose "METHOD PATH"
// starts with prefix; an empty prefix counts all of them. Requests answered
// by an injected fault count too: the client sent them.
func (in *Injector) Count(prefix string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if prefix == "" {
		return in.total
	}
	n := 0
	for k, v := range in.counts {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// ResetCounts sets every request count back to zero.
func (in *Injector) ResetCounts() {
	in.mu.Lock()
	in.counts, in.total = nil, 0
	in.mu.Unlock()
}

func (in *Injector) match(r *http.Request) (*Fault, time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.counts == nil {
		in.counts = map[string]int{}
	}
	in.counts[r.Method+" "+r.URL.Path]++
	in.total++
	for _, f := range in.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
			continue
		}
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 {
			if in.rng == nil {
				in.rng = rand.New(rand.NewPCG(0, 0x9e3779b97f4a7c15))
			}
			if in.rng.Float64() >= f.Probability {
				continue
			}
		}
		f.hits++
		return f, in.latency
	}
	return nil, in.latency
}

// Wrap returns h behind the injector.
func (in *Injector) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, latency := in.match(r)
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case f == nil:
			h.ServeHTTP(w, r)
		case f.Status == 0 && f.Delay > 0 && !f.Drop && !f.DropAfterCommit:
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
			h.ServeHTTP(w, r)
		case f.Drop:
			drop(w)
		case f.DropAfterCommit:
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			drop(w)
		default:
			for k, vs := range f.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
		}
	})
}

// drop closes the client connection without writing a response. Where the
// writer cannot be hijacked (HTTP/2, a recorder) it aborts the handler, which
// net/http turns into a reset stream.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// SaveJSON writes v as indented JSON to path atomically: a temporary file in
// the same directory, then a rename, so a crash never leaves half a file.
func SaveJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}

// LoadJSON reads path into v. A missing file leaves v untouched and is not an
// error: a simulator starts empty.
func LoadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
