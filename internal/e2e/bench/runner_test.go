package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The runner reports the command's exit code and resource use, and an
// error for a command it cannot start.
func TestRunMeasured(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		name     string
		args     []string
		wantExit int
		wantErr  bool
	}{
		{"exit 0", []string{sh, "-c", "exit 0"}, 0, false},
		{"exit 3 is a result, not an error", []string{sh, "-c", "exit 3"}, 3, false},
		{"missing binary", []string{filepath.Join(t.TempDir(), "nope")}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "res.json")
			if err := runMeasured(append([]string{out}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var res runResult
			if err := json.Unmarshal(data, &res); err != nil {
				t.Fatal(err)
			}
			if (res.Err != "") != tt.wantErr {
				t.Fatalf("err %q, want an error: %v", res.Err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if res.Exit != tt.wantExit {
				t.Errorf("exit %d, want %d", res.Exit, tt.wantExit)
			}
			if res.MaxRSS <= 0 {
				t.Errorf("max RSS %d, want the child's", res.MaxRSS)
			}
		})
	}
	if err := runMeasured([]string{"only-a-file"}); err == nil {
		t.Error("a runner without a command did not fail")
	}
}

// The apply phase is read from the "apply finished" JSON log line among
// the text results; a log without one (text logs, info level) is an error,
// not a zero.
func TestReadApplyPhase(t *testing.T) {
	tests := []struct {
		name    string
		log     string
		want    applyPhase
		wantErr bool
	}{
		{"among text and other records", "certsync will perform\n" +
			`{"time":"t","level":"INFO","msg":"change finished","changes":9}` + "\n" +
			"ok      update ccadb/intermediate/x\n" +
			`{"time":"t","level":"DEBUG","msg":"apply finished","changes":100,"wall_seconds":1.5,"cpu_seconds":0.25}` + "\n" +
			"Apply complete: 100 ok, 0 failed, 0 skipped.\n",
			applyPhase{changes: 100, cpu: 250 * time.Millisecond, wall: 1500 * time.Millisecond}, false},
		{"no CPU reported", `{"msg":"apply finished","changes":1,"wall_seconds":1}` + "\n", applyPhase{}, true},
		{"text logs", "time=t level=DEBUG msg=\"apply finished\" changes=1 cpu_seconds=0.1\n", applyPhase{}, true},
		{"empty", "", applyPhase{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readApplyPhase([]byte(tt.log))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("readApplyPhase = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// A process's CPU time is read from /proc/PID/stat after the command name,
// which may hold spaces and parentheses.
func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"4242 (certsync) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0 100 1 2", 1750 * time.Millisecond, true},
		{"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, true},
		{"7 (truncated) R 1 7", 0, false},
		{"no parenthesis", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseStatCPU(tt.stat)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v, %v", tt.stat, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := procCPU(os.Getpid()); !ok && runtime.GOOS == "linux" {
		t.Error("procCPU of this process failed on Linux")
	}
}
