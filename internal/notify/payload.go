package notify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/redact"
)

// Payload is the JSON body of one POST: every event of the batch, and a
// Slack-compatible summary in Text. One POST per Flush (per run), not per
// event: a Slack incoming webhook shows one message per POST and accepts
// about one per second, so a run with forty findings must not post forty
// messages; a program reading the body still gets every event apart in
// Events. Slack ignores the fields it does not know.
type Payload struct {
	// Text is the human summary, in Slack's mrkdwn with &, < and >
	// escaped, so an address or an error text cannot become a link or an
	// @channel mention.
	Text string `json:"text"`
	// Source is always "certsync".
	Source string `json:"source"`
	// RunID is the run the events belong to (Options.RunID).
	RunID string `json:"run_id,omitempty"`
	// Counts is the number of events by severity, over all events of the
	// batch including those not shown.
	Counts map[Severity]int `json:"counts"`
	// Events are the events, most severe first, then in the order they were
	// added.
	Events []Event `json:"events"`
	// EventsNotShown counts the events left out past Options.MaxEvents.
	EventsNotShown int `json:"events_not_shown,omitempty"`
}

// maxTextLines and maxLineLen keep the Slack text readable and far below
// Slack's 40,000-character limit; the full list is in Events.
const (
	maxTextLines = 20
	maxLineLen   = 300
)

// pemBlock matches PEM text (a certificate, a key, a CSR), also one cut off
// before its END line. No notification needs it, and a private key must
// never leave in one.
var pemBlock = regexp.MustCompile(`(?s)-----BEGIN [^\r\n]*?-----.*?(?:-----END [^\r\n]*?-----|\z)`)

// PEMMarker replaces PEM text found in an event.
const PEMMarker = "[PEM removed]"

// cleaner removes secrets and key material from the strings of an event.
type cleaner struct{ r *redact.Redactor }

func (c cleaner) string(s string) string {
	return c.r.String(pemBlock.ReplaceAllString(s, PEMMarker))
}

func (c cleaner) value(v any) any {
	switch v := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	case string:
		return c.string(v)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = c.string(s)
		}
		return out
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case time.Duration:
		return v.String()
	case error:
		return c.string(v.Error())
	case fmt.Stringer:
		return c.string(v.String())
	}
	// Anything else (a struct, a map, a []byte) is flattened to text and
	// cleaned: the receiver gets a readable value, never raw bytes.
	return c.string(fmt.Sprint(v))
}

func (c cleaner) event(e Event) Event {
	e.Kind = Kind(c.string(string(e.Kind)))
	e.Severity = Severity(c.string(string(e.Severity)))
	e.Address = c.string(e.Address)
	e.Message = c.string(e.Message)
	e.RunID = c.string(e.RunID)
	if e.Details != nil {
		d := make(map[string]any, len(e.Details))
		for k, v := range e.Details {
			d[c.string(k)] = c.value(v)
		}
		e.Details = d
	}
	return e
}

func rank(s Severity) int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	case Info:
		return 2
	}
	return 3
}

// buildPayload cleans the events, sorts them most severe first and writes
// the summary text. events are already complete (severity, time, run id).
// notShown counts the events dropped past the cap, by severity.
func buildPayload(runID string, events []Event, notShown map[Severity]int, r *redact.Redactor) Payload {
	c := cleaner{r}
	p := Payload{Source: "certsync", RunID: c.string(runID), Counts: map[Severity]int{}}
	for s, n := range notShown {
		p.Counts[s] += n
		p.EventsNotShown += n
	}
	for _, e := range events {
		p.Events = append(p.Events, c.event(e))
		p.Counts[e.Severity]++
	}
	slices.SortStableFunc(p.Events, func(a, b Event) int { return cmp.Compare(rank(a.Severity), rank(b.Severity)) })
	p.Text = summary(p)
	return p
}

func summary(p Payload) string {
	total := len(p.Events) + p.EventsNotShown
	var b strings.Builder
	b.WriteString("*certsync*")
	if p.RunID != "" {
		b.WriteString(" run " + slackEscape(p.RunID))
	}
	noun := "events"
	if total == 1 {
		noun = "event"
	}
	fmt.Fprintf(&b, ": %d %s", total, noun)
	var parts []string
	for _, s := range []Severity{Error, Warning, Info} {
		if n := p.Counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	for i, e := range p.Events {
		if i == maxTextLines {
			break
		}
		line := fmt.Sprintf("[%s] %s: %s", e.Severity, e.Kind.label(), e.Message)
		if r := []rune(line); len(r) > maxLineLen {
			line = string(r[:maxLineLen]) + "…"
		}
		b.WriteString("\n• " + slackEscape(strings.ReplaceAll(line, "\n", " ")))
	}
	if rest := total - min(len(p.Events), maxTextLines); rest > 0 {
		fmt.Fprintf(&b, "\n… and %d more", rest)
	}
	return b.String()
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning to
// (https://api.slack.com/reference/surfaces/formatting#escaping).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// encode marshals p and, as a last check, redacts the body whole: a secret
// that got past the field cleaning is replaced too, and the body is sent
// only if it is still valid JSON.
func encode(p Payload, r *redact.Redactor) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding the notification: %w", err)
	}
	if s := r.String(string(b)); s != string(b) {
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("encoding the notification: %w", errUnsafeBody)
		}
		b = []byte(s)
	}
	return b, nil
}
