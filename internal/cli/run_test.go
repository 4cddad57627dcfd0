package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/pemutil"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// /metrics in run --sandbox mode has every series, with real values, after
// one run.
func TestRunServesMetrics(t *testing.T) {
	example := exampleCopy(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"run", "--schedule", "0 0 1 1 *", "--apply", "--sandbox", "--metrics-addr", addr, "-i", example},
			IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Lookup: envconfig.MapLookuper(map[string]string{"CERTSYNC_STATE_DIR": t.TempDir()}),
				Terminal: func(any) bool { return false }})
	}()
	var health map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if health["last_result"] != "" && health["last_result"] != nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run finished; health %v\nstderr:\n%s", health, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if health["last_result"] != "ok" {
		t.Fatalf("health after the first run: %v\n%s", health, out.String())
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, re := range []string{
		`certsync_runs_total\{result="ok"\} 1`,
		`certsync_changes_total\{action="create",status="ok",vendor="ccadb"\} 4`,
		`certsync_changes_total\{action="create",status="ok",vendor="markmonitor"\} 2`,
		`certsync_changes_total\{action="create",status="ok",vendor="quantil"\} 1`,
		`certsync_pending_changes\{vendor="ccadb"\} 0`,
		`certsync_attention_items\{vendor="markmonitor"\} 0`,
		`certsync_api_requests_total\{code="200",vendor="markmonitor"\} [1-9]`,
		`certsync_api_requests_total\{code="202",vendor="quantil"\} 1`,
		`certsync_run_duration_seconds_count 1`,
		`certsync_certificate_expiry_timestamp_seconds\{kind="intermediate",name="revoked",vendor="ccadb"\} 2\.[0-9.]+e\+09`,
		`certsync_certificate_expiry_timestamp_seconds\{kind="order",name="www",vendor="markmonitor"\} 1\.[78][0-9.]+e\+09`,
		`certsync_certificate_expiry_timestamp_seconds\{kind="certificate",name="www.example.com",vendor="quantil"\} 1\.[78][0-9.]+e\+09`,
		`certsync_last_success_timestamp_seconds 1\.[78][0-9.]+e\+09`,
	} {
		if !regexp.MustCompile(`(?m)^` + re).MatchString(text) {
			t.Errorf("/metrics lacks %s", re)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("run exited %d:\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

// run --apply honours the guards: a plan over one is not applied, the run
// fails and says why at ERROR level.
func TestRunHonoursGuards(t *testing.T) {
	example := exampleCopy(t)
	addr := freeAddr(t)
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"run", "--schedule", "0 0 1 1 *", "--apply", "--sandbox", "--max-paid", "0", "--metrics-addr", addr, "-i", example},
			IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Lookup: envconfig.MapLookuper(map[string]string{"CERTSYNC_STATE_DIR": state}),
				Terminal: func(any) bool { return false }})
	}()
	var health map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for health["last_result"] == nil || health["last_result"] == "" {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run finished; stderr:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if health["last_result"] != "failed" || !strings.Contains(errb.String(), "apply refused") || !strings.Contains(errb.String(), "ERROR") ||
		!strings.Contains(errb.String(), "max-paid") || strings.Contains(out.String(), "Apply complete") {
		t.Fatalf("health %v\nstdout:\n%s\nstderr:\n%s", health, out.String(), errb.String())
	}
	r := newRunner(t)
	r.env["CERTSYNC_STATE_DIR"] = state
	if res := r.run("plan", "--sandbox", "-i", example, "--detailed-exitcode"); res.code != ExitChanges || !strings.Contains(res.stdout, "Plan: 7 to create") {
		t.Fatalf("something was applied despite the guard: %d\n%s", res.code, res.stdout)
	}
}

// SIGTERM during a run: no new change starts, the process ends promptly and
// cleanly, no file is left half written, and the next apply converges.
func TestSIGTERMDuringRun(t *testing.T) {
	example := exampleCopy(t)
	state := t.TempDir()
	env := []string{"CERTSYNC_STATE_DIR=" + state, "CERTSYNC_SANDBOX_LATENCY=250ms", "CERTSYNC_CONCURRENCY=1"}
	cmd, out := certsyncProcess(t, env, "run", "--schedule", "0 0 1 1 *", "--apply", "--sandbox", "--grace", "5s", "-i", example)
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	_ = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(buf.String(), "change finished") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no change finished:\n%s", buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("run after SIGTERM: %v\n%s", err, buf.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("run did not stop after SIGTERM:\n%s", buf.String())
	}
	log := buf.String()
	if !strings.Contains(log, "shutting down") || !strings.Contains(log, "skipped") {
		t.Errorf("the run did not stop starting changes:\n%s", log)
	}
	// Nothing half written: no temporary files, and what exists parses.
	for _, dir := range []string{filepath.Join(filepath.Dir(example), "out"), state, filepath.Join(state, "sandbox")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("left a temporary file: %s", filepath.Join(dir, e.Name()))
			}
			if strings.HasSuffix(e.Name(), ".crt") || strings.HasSuffix(e.Name(), ".pem") {
				data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				if _, err := pemutil.Certificates(data); err != nil {
					t.Errorf("%s is not whole: %v", e.Name(), err)
				}
			}
		}
	}
	// The next apply finishes the job.
	r := newRunner(t)
	r.env["CERTSYNC_STATE_DIR"] = state
	if res := r.run("apply", "--sandbox", "--auto-approve", "-i", example); res.code != ExitOK {
		t.Fatalf("apply after the interrupted run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := r.run("plan", "--sandbox", "--detailed-exitcode", "-i", example); res.code != ExitOK {
		t.Fatalf("plan after the interrupted run and an apply: %d\n%s", res.code, res.stdout)
	}
}
