package sim

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/readfile"
)

// ErrFaultFile is wrapped by every error about the content of a faults file
// (as opposed to trouble reading it), so that callers can say "fix your file".
var ErrFaultFile = errors.New("invalid faults file")

// MaxFaultFileSize bounds a faults file: a list of rules, never megabytes.
const MaxFaultFileSize = 1 << 20

// The fault kinds a faults file can name.
const (
	// KindError answers with a 5xx status (default 503) without handling
	// the request.
	KindError = "error"
	// KindThrottle answers 429 with a Retry-After header without handling
	// the request.
	KindThrottle = "throttle"
	// KindDrop closes the connection before the request is handled:
	// nothing is committed.
	KindDrop = "drop"
	// KindDropAfterCommit handles the request, then closes the connection
	// instead of answering: the change is made but the client never hears.
	KindDropAfterCommit = "drop_after_commit"
	// KindLatency holds the request for a while, then handles it.
	KindLatency = "latency"
)

// FaultKinds lists the kinds a faults file accepts, in documentation order.
func FaultKinds() []string {
	return []string{KindError, KindThrottle, KindDrop, KindDropAfterCommit, KindLatency}
}

// VendorFault is one rule of a faults file: a fault for one vendor's
// simulator.
type VendorFault struct {
	// Vendor is the simulator the fault is installed in.
	Vendor string
	// Kind is one of FaultKinds, for messages.
	Kind string
	// Fault is what the simulator's Injector gets.
	Fault Fault
}

// LoadFaults reads the faults file at path (see ParseFaults).
func LoadFaults(path string, vendors []string) ([]VendorFault, error) {
	data, err := readfile.Limited(path, MaxFaultFileSize)
	if err != nil {
		return nil, fmt.Errorf("read faults file: %w", err)
	}
	return ParseFaults(path, data, vendors)
}

// ParseFaults reads a faults file: a YAML list of rules, each with
//
//	vendor       one of vendors (required)
//	kind         error, throttle, drop, drop_after_commit or latency (required)
//	method       HTTP method to match (any when left out)
//	path         URL path prefix to match (any when left out)
//	status       error: the 5xx status to answer (default 503)
//	body         error, throttle: the answer's body (default empty)
//	retry_after  throttle: whole seconds for the Retry-After header (default 1)
//	delay        latency: how long to hold each hit request (required), e.g. 2s
//	probability  chance, 0 < p <= 1, that a matching request is hit (default 1)
//	count        hit at most this many requests, then stop (default: no limit)
//	skip         let this many matching requests through first (default 0)
//
// Rules are tried in file order; the first one that hits a request decides
// its fate. Every mistake is reported, each as FILE:LINE:COL: [i].key:
// message, in one error wrapping ErrFaultFile.
func ParseFaults(file string, data []byte, vendors []string) ([]VendorFault, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrFaultFile, syntaxMessage(file, err))
	}
	p := &faultParser{file: file, vendors: vendors}
	if len(root.Content) == 0 {
		return nil, nil // an empty file: no faults
	}
	doc := root.Content[0]
	if doc.Kind != yaml.SequenceNode {
		p.add(doc, "", "must be a list of faults (- vendor: …, kind: …)")
		return nil, p.err()
	}
	var out []VendorFault
	for i, n := range doc.Content {
		if vf, ok := p.rule(n, fmt.Sprintf("[%d]", i)); ok {
			out = append(out, vf)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

type faultParser struct {
	file     string
	vendors  []string
	problems []string
}

func (p *faultParser) add(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: %s", p.file, n.Line, n.Column, msg))
}

func (p *faultParser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n%s", ErrFaultFile, strings.Join(p.problems, "\n"))
}

var faultKeys = []string{"vendor", "kind", "method", "path", "status", "body", "retry_after", "delay", "probability", "count", "skip"}

// which keys each kind accepts besides the common ones.
var kindKeys = map[string][]string{
	KindError:    {"status", "body"},
	KindThrottle: {"body", "retry_after"},
	KindLatency:  {"delay"},
}

var methodRE = regexp.MustCompile(`^[A-Za-z]+$`)

func (p *faultParser) rule(n *yaml.Node, path string) (VendorFault, bool) {
	before := len(p.problems)
	if n.Kind != yaml.MappingNode {
		p.add(n, path, "must be a mapping (vendor: …, kind: …)")
		return VendorFault{}, false
	}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(faultKeys, k.Value):
			p.add(k, path, "unknown key %q (known: %s)", k.Value, strings.Join(faultKeys, ", "))
		case vals[k.Value] != nil:
			p.add(k, path+"."+k.Value, "appears twice")
		case v.Kind != yaml.ScalarNode:
			p.add(v, path+"."+k.Value, "must be a single value")
		default:
			vals[k.Value] = v
		}
	}
	vf := VendorFault{}
	if v := vals["vendor"]; v == nil {
		p.add(n, path, "vendor is required (one of %s)", strings.Join(p.vendors, ", "))
	} else if !slices.Contains(p.vendors, v.Value) {
		p.add(v, path+".vendor", "unknown vendor %q (one of %s)", v.Value, strings.Join(p.vendors, ", "))
	} else {
		vf.Vendor = v.Value
	}
	kind := vals["kind"]
	if kind == nil {
		p.add(n, path, "kind is required (one of %s)", strings.Join(FaultKinds(), ", "))
	} else if !slices.Contains(FaultKinds(), kind.Value) {
		p.add(kind, path+".kind", "unknown kind %q (one of %s)", kind.Value, strings.Join(FaultKinds(), ", "))
		kind = nil
	} else {
		vf.Kind = kind.Value
	}
	if kind != nil {
		for _, k := range []string{"status", "body", "retry_after", "delay"} {
			if v := vals[k]; v != nil && !slices.Contains(kindKeys[vf.Kind], k) {
				p.add(v, path+"."+k, "does not apply to kind %s", vf.Kind)
			}
		}
	}
	f := &vf.Fault
	if v := vals["method"]; v != nil {
		if !methodRE.MatchString(v.Value) {
			p.add(v, path+".method", "must be an HTTP method such as GET or POST, not %q", v.Value)
		}
		f.Method = strings.ToUpper(v.Value)
	}
	if v := vals["path"]; v != nil {
		if !strings.HasPrefix(v.Value, "/") {
			p.add(v, path+".path", "must be a URL path starting with /, not %q", v.Value)
		}
		f.Path = v.Value
	}
	if v := vals["body"]; v != nil {
		f.Body = v.Value
	}
	switch vf.Kind {
	case KindError:
		f.Status = http.StatusServiceUnavailable
		if v := vals["status"]; v != nil {
			if s, ok := p.integer(v, path+".status"); ok {
				if s < 500 || s > 599 {
					p.add(v, path+".status", "must be a 5xx status (500-599), not %d; use kind throttle for 429", s)
				}
				f.Status = s
			}
		}
	case KindThrottle:
		f.Status = http.StatusTooManyRequests
		secs := 1
		if v := vals["retry_after"]; v != nil {
			if s, ok := p.integer(v, path+".retry_after"); ok {
				if s < 0 || s > 86400 {
					p.add(v, path+".retry_after", "must be whole seconds from 0 to 86400, not %d", s)
				}
				secs = s
			}
		}
		f.Header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	case KindDrop:
		f.Drop = true
	case KindDropAfterCommit:
		f.DropAfterCommit = true
	case KindLatency:
		if v := vals["delay"]; v == nil {
			p.add(n, path, "delay is required for kind latency (e.g. delay: 2s)")
		} else if d, err := time.ParseDuration(v.Value); err != nil || d <= 0 || d > time.Hour {
			p.add(v, path+".delay", "must be a duration above 0 and at most 1h such as 500ms or 2s, not %q", v.Value)
		} else {
			f.Delay = d
		}
	}
	if v := vals["probability"]; v != nil {
		pr, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || math.IsNaN(pr) || pr <= 0 || pr > 1 {
			p.add(v, path+".probability", "must be a number above 0 and at most 1 (0.1 hits one request in ten), not %q", v.Value)
		}
		f.Probability = pr
	}
	if v := vals["count"]; v != nil {
		if c, ok := p.integer(v, path+".count"); ok {
			if c < 1 {
				p.add(v, path+".count", "must be at least 1 (leave it out for no limit), not %d", c)
			}
			f.Times = c
		}
	}
	if v := vals["skip"]; v != nil {
		if s, ok := p.integer(v, path+".skip"); ok {
			if s < 0 {
				p.add(v, path+".skip", "must not be negative, not %d", s)
			}
			f.Skip = s
		}
	}
	return vf, len(p.problems) == before
}

func (p *faultParser) integer(v *yaml.Node, path string) (int, bool) {
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		p.add(v, path, "must be a whole number, not %q", v.Value)
		return 0, false
	}
	return n, true
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxMessage turns yaml.v3's "yaml: line N: …" into "FILE:N: …".
func syntaxMessage(file string, err error) string {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", file, m[1], msg[len(m[0]):])
	}
	return file + ": " + strings.TrimPrefix(msg, "yaml: ")
}
