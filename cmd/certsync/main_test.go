package main

import "testing"

// GOGC from the environment wins; without it certsync sets its own.
func TestGCPercent(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		}
	}
	if p, ok := gcPercent(env("")); !ok || p != defaultGCPercent {
		t.Errorf("GOGC unset: %d, %v; want %d", p, ok, defaultGCPercent)
	}
	for _, v := range []string{"100", "off", "25"} {
		if _, ok := gcPercent(env(v)); ok {
			t.Errorf("GOGC=%s was overridden", v)
		}
	}
}
