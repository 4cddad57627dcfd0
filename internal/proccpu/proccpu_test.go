package proccpu

import (
	"crypto/sha256"
	"runtime"
	"testing"
)

// Work done between two readings shows up as CPU time; the figure never
// goes backwards. (No bound on how much: that would be a timing assertion.)
func TestSinceCountsWorkDone(t *testing.T) {
	start, ok := Used()
	if !ok {
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			t.Fatalf("CPU time unavailable on %s", runtime.GOOS)
		}
		t.Skipf("CPU time is not reported on %s", runtime.GOOS)
	}
	sum := sha256.Sum256(nil)
	for d, _ := Since(start, ok); d <= 0; d, _ = Since(start, ok) {
		for range 1000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	d, ok := Since(start, ok)
	if !ok || d <= 0 {
		t.Errorf("Since = %v, %v after work; want a positive duration", d, ok)
	}
	if _, ok := Since(start, false); ok {
		t.Error("Since with an unavailable start reading reported a figure")
	}
}
