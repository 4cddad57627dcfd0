package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets tests run certsync as a separate process: the test binary
// re-executed with CERTSYNC_TEST_MAIN=1 is certsync.
func TestMain(m *testing.M) {
	if os.Getenv("CERTSYNC_TEST_MAIN") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

func certsyncProcess(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append([]string{"CERTSYNC_TEST_MAIN=1"}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// Two concurrent applies on one state directory: one runs, the other exits 1
// naming the holder.
func TestConcurrentAppliesAcrossProcesses(t *testing.T) {
	example := exampleCopy(t)
	state := t.TempDir()
	env := []string{"CERTSYNC_STATE_DIR=" + state, "CERTSYNC_SANDBOX_LATENCY=150ms"}
	first, firstOut := certsyncProcess(t, env, "apply", "--sandbox", "--auto-approve", "-i", example)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(state, "sandbox", "certsync.lock")
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(lockFile)
		if strings.Contains(string(b), fmt.Sprintf("pid %d", first.Process.Pid)) {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the first apply never took the lock:\n%s", firstOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	second, secondOut := certsyncProcess(t, env, "apply", "--sandbox", "--auto-approve", "-i", example)
	err := second.Run()
	if code := second.ProcessState.ExitCode(); code != ExitError {
		t.Fatalf("second apply: exit %d (%v), want 1:\n%s", code, err, secondOut)
	}
	want := fmt.Sprintf("certsync apply, pid %d", first.Process.Pid)
	if !strings.Contains(secondOut.String(), want) {
		t.Fatalf("second apply's message does not name the holder (%q):\n%s", want, secondOut)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v\n%s", err, firstOut)
	}
	if !strings.Contains(firstOut.String(), "Apply complete: 7 ok") {
		t.Fatalf("first apply output:\n%s", firstOut)
	}
}
