// Package redact keeps secrets out of everything certsync prints. Code is
// written so as not to log secrets in the first place; the Redactor is the
// safety net under it: every output stream and the log handler pass through
// one, and it replaces any registered secret (client secrets, refresh and
// access tokens, API keys, passwords) with a fixed marker.
package redact

import (
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Marker replaces a secret in output.
const Marker = "[REDACTED]"

// minLen keeps short values (an empty password, "x") from being registered:
// redacting every "x" in the output would make it unreadable and protects
// nothing.
const minLen = 4

// Redactor replaces registered secrets. The zero value is ready to use and
// safe for concurrent use; secrets can be added while output flows (access
// tokens are minted mid-run).
type Redactor struct {
	mu       sync.RWMutex
	secrets  []string
	replacer *strings.Replacer
}

// Add registers secrets. Values shorter than four characters are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < minLen {
			continue
		}
		// Also the forms a secret takes inside quoted or encoded output:
		// slog's JSON and text handlers escape quotes and backslashes, and
		// a secret in a URL is percent-encoded.
		for _, v := range variants(s) {
			if !slices.Contains(r.secrets, v) {
				r.secrets = append(r.secrets, v)
			}
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Marker)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

func variants(s string) []string {
	out := []string{s}
	if j, err := json.Marshal(s); err == nil {
		out = append(out, string(j[1:len(j)-1]))
	}
	q := strconv.Quote(s)
	out = append(out, q[1:len(q)-1], url.QueryEscape(s), url.PathEscape(s))
	return out
}

// String returns s with every registered secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Writer returns w behind the redactor. Each Write is redacted on its own, so
// callers must write whole lines or messages (fmt.Fprint, slog and the plan
// renderers do).
func (r *Redactor) Writer(w io.Writer) io.Writer { return &writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
