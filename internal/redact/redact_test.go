package redact

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRedactor(t *testing.T) {
	var r Redactor
	if got := r.String("nothing registered"); got != "nothing registered" {
		t.Errorf("String with no secrets = %q", got)
	}
	r.Add("short", "abc", "", "token-abc123", "token-abc123-longer")
	for in, want := range map[string]string{
		"x token-abc123 y":           "x " + Marker + " y",
		"token-abc123-longer":        Marker, // the longer secret wins, nothing of it is left
		"abc stays: too brief":       "abc stays: too brief",
		"short is long enough to go": Marker + " is long enough to go",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	var nilR *Redactor
	if nilR.String("a") != "a" {
		t.Error("a nil Redactor must pass text through")
	}
}

func TestWriterConcurrentAdds(t *testing.T) {
	var r Redactor
	var buf bytes.Buffer
	var mu sync.Mutex
	w := r.Writer(&lockedWriter{&buf, &mu})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := fmt.Sprintf("secret-number-%02d", i)
			r.Add(s)
			fmt.Fprintf(w, "line with %s\n", s)
		}()
	}
	wg.Wait()
	if strings.Contains(buf.String(), "secret-number-") {
		t.Fatalf("a secret leaked:\n%s", buf.String())
	}
	if n := strings.Count(buf.String(), Marker); n != 20 {
		t.Fatalf("%d markers, want 20", n)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// A secret with quotes or backslashes is redacted in the escaped forms the
// log handlers print, too.
func TestEscapedSecrets(t *testing.T) {
	var r Redactor
	secret := `pa"ss\word&more`
	r.Add(secret)
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(r.Writer(&b), nil))
	log.Info("x", "password", secret)
	text := slog.New(slog.NewTextHandler(r.Writer(&b), nil))
	text.Info("x", "password", secret)
	fmt.Fprintf(r.Writer(&b), "url=https://h/?p=%s\n", url.QueryEscape(secret))
	for _, form := range []string{secret, `pa\"ss\\word`, url.QueryEscape(secret)} {
		if strings.Contains(b.String(), form) {
			t.Errorf("output holds %q:\n%s", form, b.String())
		}
	}
}
