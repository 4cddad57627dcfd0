package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/redact"
)

// hookPath is what a Slack incoming webhook's path looks like: the token is
// the path, so the path must never be printed.
const hookPath = "/services/T0000/B0000/XXXXhooktoken"

// receiver is a webhook test server that answers with the statuses given,
// one per request, then 200.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	answers  []func(http.ResponseWriter)
	requests int
}

func newReceiver(t *testing.T, answers ...func(http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests++
		r.bodies = append(r.bodies, b)
		r.headers = append(r.headers, req.Header.Clone())
		var answer func(http.ResponseWriter)
		if len(r.answers) > 0 {
			answer, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if req.Method != http.MethodPost || req.URL.Path != hookPath {
			http.Error(w, "wrong method or path", http.StatusNotFound)
			return
		}
		if answer != nil {
			answer(w)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) hook() string { return r.URL + hookPath }

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func (r *receiver) payloads(t *testing.T) []Payload {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Payload
	for _, b := range r.bodies {
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, b)
		}
		out = append(out, p)
	}
	return out
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		http.Error(w, "busy", code)
	}
}

// sleeps records the pauses between attempts instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

var t0 = time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)

type fixture struct {
	n      *Notifier
	sleeps *sleeps
	log    *bytes.Buffer
	red    *redact.Redactor
}

func newFixture(t *testing.T, urls []string, mod func(*Options)) fixture {
	t.Helper()
	f := fixture{sleeps: &sleeps{}, log: &bytes.Buffer{}, red: &redact.Redactor{}}
	opts := Options{
		RunID:    "run-42",
		Redactor: f.red,
		Log:      slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      func() time.Time { return t0 },
		Sleep:    f.sleeps.sleep,
	}
	if mod != nil {
		mod(&opts)
	}
	n, err := New(urls, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n == nil {
		t.Fatal("New returned a nil Notifier for a URL")
	}
	f.n = n
	return f
}

func TestChangeFailedAndDriftAreDelivered(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, []string{r.hook()}, nil)
	f.n.Add(ChangeFailedEvent("quantil/certificate/www", "update", errors.New("QUANTIL answered 500")))
	f.n.Add(DriftFoundEvent(2, []string{"ccadb/intermediate/Example CA 1", "quantil/certificate/www"}))
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ps := r.payloads(t)
	if len(ps) != 1 {
		t.Fatalf("%d POSTs, want one per run", len(ps))
	}
	if ct := r.headers[0].Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	p := ps[0]
	if p.Source != "certsync" || p.RunID != "run-42" || len(p.Events) != 2 {
		t.Fatalf("payload = %+v", p)
	}
	if p.Counts[Error] != 1 || p.Counts[Warning] != 1 {
		t.Errorf("counts = %v", p.Counts)
	}
	byKind := map[Kind]Event{}
	for _, e := range p.Events {
		byKind[e.Kind] = e
		if e.RunID != "run-42" || !e.Time.Equal(t0) {
			t.Errorf("event %s: run id %q, time %v", e.Kind, e.RunID, e.Time)
		}
	}
	cf, ok := byKind[ChangeFailed]
	if !ok || cf.Address != "quantil/certificate/www" || cf.Severity != Error ||
		cf.Details["action"] != "update" || cf.Details["error"] != "QUANTIL answered 500" ||
		!strings.Contains(cf.Message, "QUANTIL answered 500") {
		t.Errorf("change_failed event = %+v", cf)
	}
	d, ok := byKind[DriftFound]
	if !ok || d.Address != "" || d.Severity != Warning || d.Details["changes"] != float64(2) {
		t.Errorf("drift_found event = %+v", d)
	}
	if p.Events[0].Kind != ChangeFailed {
		t.Errorf("the error must come first, got %s", p.Events[0].Kind)
	}
}

func TestSlackText(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, []string{r.hook()}, nil)
	f.n.Add(NeedsAttentionEvent("markmonitor/order/shop", "key file missing <!channel> & more"))
	f.n.Add(RunFailedEvent(errors.New("inventory.yaml:3:1: unknown field")))
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Slack needs only a top-level "text" string; decode as Slack would.
	var slack struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(r.bodies[0], &slack); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"*certsync* run run-42: 2 events (1 error, 1 warning)",
		"• [error] run failed: certsync run failed: inventory.yaml:3:1: unknown field",
		"• [warning] needs attention: markmonitor/order/shop needs attention: key file missing &lt;!channel&gt; &amp; more",
	} {
		if !strings.Contains(slack.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, slack.Text)
		}
	}
	if strings.Contains(slack.Text, "<!channel>") {
		t.Error("an unescaped mention reached the Slack text")
	}
}

func TestDedupe(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, []string{r.hook()}, nil)
	a := NeedsAttentionEvent("quantil/certificate/a", "first")
	f.n.Add(a)
	f.n.Add(NeedsAttentionEvent("quantil/certificate/a", "same condition, other words"))
	f.n.Add(NeedsAttentionEvent("quantil/certificate/b", "other address"))
	f.n.Add(ChangeFailedEvent("quantil/certificate/a", "update", errors.New("other kind")))
	f.n.Add(RunFailedEvent(errors.New("one")))
	f.n.Add(RunFailedEvent(errors.New("two")))
	f.n.Add(Event{Message: "no kind: ignored"})
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := r.payloads(t)[0]
	if len(p.Events) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(p.Events), p.Events)
	}
	for _, e := range p.Events {
		if strings.Contains(e.Message, "other words") || strings.Contains(e.Message, "two") {
			t.Errorf("a repeated condition was sent: %q", e.Message)
		}
	}
	// Later in the same run: a condition already sent is not sent again,
	// and with nothing new Flush posts nothing.
	f.n.Add(a)
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.count() != 1 {
		t.Errorf("%d POSTs, want 1", r.count())
	}
}

func TestRetryThenSuccess(t *testing.T) {
	r := newReceiver(t, status(http.StatusServiceUnavailable))
	f := newFixture(t, []string{r.hook()}, nil)
	f.n.Add(RunFailedEvent(errors.New("x")))
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.count() != 2 {
		t.Errorf("%d POSTs, want 2", r.count())
	}
	if got := f.sleeps.got(); len(got) != 1 || got[0] != firstBackoff {
		t.Errorf("sleeps = %v", got)
	}
	if !bytes.Equal(r.bodies[0], r.bodies[1]) {
		t.Error("the retry sent another body")
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    string
		wantSleep []time.Duration
		wantPOSTs int
		wantErr   bool
	}{
		{"seconds", "3", []time.Duration{3 * time.Second}, 2, false},
		{"HTTP date", t0.Add(4 * time.Second).Format(http.TimeFormat), []time.Duration{4 * time.Second}, 2, false},
		{"past date: no pause", t0.Add(-time.Hour).Format(http.TimeFormat), []time.Duration{0}, 2, false},
		{"garbage: default pause", "soon", []time.Duration{firstBackoff}, 2, false},
		{"longer than the cap: give up", "120", nil, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, status(http.StatusTooManyRequests, "Retry-After", tc.header))
			f := newFixture(t, []string{r.hook()}, nil)
			f.n.Add(RunFailedEvent(errors.New("x")))
			err := f.n.Flush(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Flush = %v, want error %v", err, tc.wantErr)
			}
			if got := f.sleeps.got(); !equalDurations(got, tc.wantSleep) {
				t.Errorf("sleeps = %v, want %v", got, tc.wantSleep)
			}
			if r.count() != tc.wantPOSTs {
				t.Errorf("%d POSTs, want %d", r.count(), tc.wantPOSTs)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGivesUpAndLogsHostOnly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []func(http.ResponseWriter)
		wantPOSTs int
	}{
		{"always 503: bounded attempts", []func(http.ResponseWriter){status(503), status(503), status(503), status(503)}, DefaultAttempts},
		{"400: not retried", []func(http.ResponseWriter){status(400)}, 1},
		{"redirect: not followed", []func(http.ResponseWriter){func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(http.StatusFound)
		}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, tc.answers...)
			f := newFixture(t, []string{r.hook()}, nil)
			f.n.Add(RunFailedEvent(errors.New("x")))
			err := f.n.Flush(context.Background())
			if !errors.Is(err, ErrNotDelivered) {
				t.Fatalf("Flush = %v, want ErrNotDelivered", err)
			}
			if r.count() != tc.wantPOSTs {
				t.Errorf("%d POSTs, want %d", r.count(), tc.wantPOSTs)
			}
			host := strings.TrimPrefix(r.URL, "http://")
			logged := f.log.String()
			if !strings.Contains(logged, "level=WARN") || !strings.Contains(logged, host) {
				t.Errorf("no WARN naming the host %s:\n%s", host, logged)
			}
			for _, text := range []string{logged, err.Error()} {
				if strings.Contains(text, "XXXXhooktoken") || strings.Contains(text, "services/T0000") {
					t.Errorf("the webhook path leaked: %s", text)
				}
			}
		})
	}
}

// A receiver that never answers, and one that is gone, cost at most the
// deadline; the errors name the host only. (No timing assertion: the test
// would hang, not fail slowly, if the deadline were ignored.)
func TestDeadReceiverDoesNotBlock(t *testing.T) {
	hung := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-hung:
		case <-req.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hung)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL + hookPath
	gone.Close()

	f := newFixture(t, []string{slow.URL + hookPath, goneURL}, func(o *Options) {
		o.Timeout = 200 * time.Millisecond
		o.Sleep = httpx.Sleep // real pauses: the deadline must cut them short
	})
	f.n.Add(RunFailedEvent(errors.New("x")))
	err := f.n.Flush(context.Background())
	if !errors.Is(err, ErrNotDelivered) {
		t.Fatalf("Flush = %v, want ErrNotDelivered", err)
	}
	if strings.Contains(err.Error(), "hooktoken") {
		t.Errorf("the URL leaked: %v", err)
	}
	if n := strings.Count(err.Error(), "not delivered"); n != 2 {
		t.Errorf("want one failure per URL: %v", err)
	}
}

func TestNoSecretOrKeyInBody(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, []string{r.hook()}, nil)
	const secret = "s3cr3t-api-key-0123456789"
	f.red.Add(secret)
	key := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
	f.n.Add(ChangeFailedEvent("markmonitor/order/shop", "order", errors.New("401 for api key "+secret)))
	f.n.Add(Event{
		Kind:    NeedsAttention,
		Address: "quantil/certificate/www",
		Message: "call to " + r.hook() + " with " + secret,
		Details: map[string]any{
			"key":       key,
			"cut_key":   "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE",
			"list":      []string{secret},
			"as_error":  errors.New(secret),
			"as_bytes":  []byte(secret),
			secret:      "a secret as a key",
			"not_after": t0,
		},
	})
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := string(r.bodies[0])
	for _, leak := range []string{secret, "MIIEvQ", "MHcCAQEE", "PRIVATE KEY", "XXXXhooktoken", "s3cr3t"} {
		if strings.Contains(body, leak) {
			t.Errorf("body holds %q:\n%s", leak, body)
		}
	}
	if !strings.Contains(body, redact.Marker) || !strings.Contains(body, PEMMarker) {
		t.Errorf("body lacks the markers:\n%s", body)
	}
	if !json.Valid(r.bodies[0]) {
		t.Error("body is not JSON")
	}
	if !strings.Contains(body, `"not_after":"2026-12-02T16:00:00Z"`) {
		t.Errorf("a time detail is not RFC 3339:\n%s", body)
	}
	// The URL is a secret everywhere the shared redactor is used.
	if got := f.red.String("posting to " + r.hook()); strings.Contains(got, "hooktoken") {
		t.Errorf("the shared redactor lets the webhook URL through: %s", got)
	}
}

func TestMaxEvents(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, []string{r.hook()}, func(o *Options) { o.MaxEvents = 2 })
	f.n.Add(DCVPendingEvent("markmonitor/order/a", []string{"a.example"}))
	f.n.Add(DCVPendingEvent("markmonitor/order/b", nil))
	f.n.Add(ChangeFailedEvent("markmonitor/order/c", "order", errors.New("x")))
	if err := f.n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := r.payloads(t)[0]
	if len(p.Events) != 2 || p.EventsNotShown != 1 || p.Counts[Info] != 2 || p.Counts[Error] != 1 {
		t.Errorf("events %d, not shown %d, counts %v", len(p.Events), p.EventsNotShown, p.Counts)
	}
	if !strings.Contains(p.Text, "3 events") || !strings.Contains(p.Text, "… and 1 more") {
		t.Errorf("text = %s", p.Text)
	}
}

func TestNilNotifier(t *testing.T) {
	n, err := New(nil, Options{})
	if err != nil || n != nil {
		t.Fatalf("New(no URLs) = %v, %v; want nil, nil", n, err)
	}
	n.Add(RunFailedEvent(errors.New("x")))
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestParseURLs(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     []string
		insecure bool
		bad      bool
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "https://hooks.slack.com/services/T/B/tok", want: []string{"https://hooks.slack.com/services/T/B/tok"}},
		{in: "https://a.example/x, http://127.0.0.1:8080/h ,http://localhost/h,http://[::1]/h,https://a.example/x",
			want: []string{"https://a.example/x", "http://127.0.0.1:8080/h", "http://localhost/h", "http://[::1]/h"}},
		{in: "http://hooks.example/services/secret-token", insecure: true, bad: true},
		{in: "https://ok.example/a,http://10.0.0.1/secret-token", insecure: true, bad: true},
		{in: "ftp://hooks.example/secret-token", insecure: true, bad: true},
		{in: "hooks.example/secret-token", bad: true},
		{in: "https://", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseURLs(tc.in)
			if tc.bad {
				if !errors.Is(err, ErrBadURL) {
					t.Fatalf("ParseURLs = %v, %v; want ErrBadURL", got, err)
				}
				if errors.Is(err, httpx.ErrInsecure) != tc.insecure {
					t.Errorf("error %v: ErrInsecure %v, want %v", err, !tc.insecure, tc.insecure)
				}
				if strings.Contains(err.Error(), "secret-token") {
					t.Errorf("the error quotes the URL: %v", err)
				}
				if !strings.Contains(err.Error(), Setting) {
					t.Errorf("the error does not name %s: %v", Setting, err)
				}
				return
			}
			if err != nil || !equalStrings(got, tc.want) {
				t.Errorf("ParseURLs = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// New checks too, and registers even a refused URL as a secret.
	var red redact.Redactor
	if _, err := New([]string{"http://hooks.example/services/secret-token"}, Options{Redactor: &red}); !errors.Is(err, ErrBadURL) {
		t.Errorf("New accepted plain http to a remote host: %v", err)
	}
	if strings.Contains(red.String("/services/secret-token"), "secret-token") {
		t.Error("a refused URL was not registered with the redactor")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExpiryEvent(t *testing.T) {
	const renew = 30 * 24 * time.Hour
	day := 24 * time.Hour
	for _, tc := range []struct {
		name     string
		notAfter time.Time
		want     Kind
		msg      string
	}{
		{"far away", t0.Add(90 * day), "", ""},
		{"in the renewal window", t0.Add(20 * day), RenewalDue, "inside its renewal window: expires in 20 days"},
		{"within 14 days", t0.Add(14 * day), ExpiringSoon, "expires in 14 days"},
		{"tomorrow", t0.Add(day + time.Hour), ExpiringSoon, "expires in 1 day"},
		{"expired", t0.Add(-time.Hour), ExpiringSoon, "expired on 2026-12-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := ExpiryEvent("quantil/certificate/www", tc.notAfter, t0, renew)
			if ok != (tc.want != "") || e.Kind != tc.want {
				t.Fatalf("ExpiryEvent = %+v, %v; want kind %q", e, ok, tc.want)
			}
			if ok && (!strings.Contains(e.Message, tc.msg) || e.Details["not_after"] != tc.notAfter.Format(time.RFC3339)) {
				t.Errorf("event = %+v", e)
			}
		})
	}
}

// Without Retry-After the pauses double (the shared retry policy), and the
// attempts stop at Options.Attempts.
func TestBackoffDoubles(t *testing.T) {
	r := newReceiver(t, status(503), status(503), status(503))
	f := newFixture(t, []string{r.hook()}, nil)
	f.n.Add(RunFailedEvent(errors.New("x")))
	if err := f.n.Flush(context.Background()); !errors.Is(err, ErrNotDelivered) || !strings.Contains(err.Error(), "503 Service Unavailable") {
		t.Fatalf("Flush = %v", err)
	}
	if got, want := f.sleeps.got(), []time.Duration{firstBackoff, 2 * firstBackoff}; !equalDurations(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
}
