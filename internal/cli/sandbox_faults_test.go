package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/sim"
)

// A broken faults file is reported with its position and the sandbox does
// not start.
func TestSandboxFaultsFileRefused(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "faults.yaml", "- vendor: quantil\n  kind: explode\n")
	r := newRunner(t)
	res := r.run("sandbox", "--listen", "127.0.0.1:0", "--faults", path)
	if res.code != ExitError {
		t.Fatalf("exit %d, want %d; stderr:\n%s", res.code, ExitError, res.stderr)
	}
	want := filepath.Join(dir, "faults.yaml") + `:2:9: [0].kind: unknown kind "explode"`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr does not name the position:\n%s\nwant %q", res.stderr, want)
	}
	if strings.Contains(res.stdout, "export ") {
		t.Error("the sandbox started despite the broken faults file")
	}
}

// Faults reach the named vendor's simulator only, and the request counts
// endpoint counts what each simulator received, faulted or not.
func TestSandboxFaultsInstalled(t *testing.T) {
	faults, err := sim.ParseFaults("f.yaml", []byte("- {vendor: quantil, kind: error, status: 502, count: 1}\n"), []string{"ccadb", "markmonitor", "quantil"})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := startSandbox(context.Background(), sandboxOptions{stateDir: t.TempDir(), faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	status := func(path string) int {
		resp, err := http.Get(sb.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/api/ssl/certificate"); got != http.StatusBadGateway {
		t.Errorf("first QUANTIL request = %d, want the injected 502", got)
	}
	if got := status("/api/ssl/certificate"); got == http.StatusBadGateway {
		t.Error("second QUANTIL request faulted too (count: 1)")
	}
	if got := status("/ccadb/AllCertificateRecordsCSVFormatV5"); got != http.StatusOK {
		t.Errorf("CCADB report = %d, want 200: the fault is QUANTIL's only", got)
	}
	resp, err := http.Get(sb.base + sim.RequestsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var counts map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		t.Fatal(err)
	}
	if counts["quantil"] != 2 || counts["ccadb"] != 1 || counts["markmonitor"] != 0 {
		t.Errorf("request counts = %v, want quantil 2, ccadb 1, markmonitor 0", counts)
	}
}
