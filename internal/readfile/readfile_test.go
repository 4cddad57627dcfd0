package readfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/readfile"
)

func TestLimited(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		limit   int64
		wantLen int
		wantErr string
	}{
		{"empty", write("empty", 0), 10, 0, ""},
		{"at the limit", write("ten", 10), 10, 10, ""},
		{"over the limit", write("big", 3<<20), 1 << 20, 0, "file too large: it is 3 MiB; the limit is 1 MiB"},
		{"one byte over", write("eleven", 11), 10, 0, "it is 11 bytes; the limit is 10 bytes"},
		{"missing", filepath.Join(dir, "nope"), 10, 0, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readfile.Limited(tt.path, tt.limit)
			if tt.wantErr == "" {
				if err != nil || len(data) != tt.wantLen {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(data), err, tt.wantLen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(tt.wantErr, "large") && !errors.Is(err, readfile.ErrTooLarge) {
				t.Errorf("error does not wrap ErrTooLarge: %v", err)
			}
		})
	}
}

// A device never ends: it is refused after limit+1 bytes, not read forever.
func TestLimitedEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := readfile.Limited("/dev/zero", 1<<16)
	if !errors.Is(err, readfile.ErrTooLarge) || !strings.Contains(err.Error(), "more than 64 KiB") {
		t.Fatalf("got %v, want ErrTooLarge naming 64 KiB", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 16 << 20: "16 MiB", 5 << 30: "5 GiB"} {
		if got := readfile.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
