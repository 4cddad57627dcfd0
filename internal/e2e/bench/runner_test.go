package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
