package markmonitor

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// keyedOrder loads an inventory of one order whose key file exists.
func keyedOrder(t testing.TB) (*harness, *OrderItem, string) {
	t.Helper()
	h := newHarness(t, mmsim.Options{})
	key := testpki.NewKey()
	if err := os.MkdirAll(filepath.Join(h.dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "keys", "o1.key"), []byte(testfixture.KeyPEM(t, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := h.inventory(orderYAML("o1", ""))
	o := inv.Section(Name).(*Section).Order("o1")
	return h, o, keyID(key.Public())
}

// Plan takes the key the check parsed while the file is unchanged, and
// reads the file again once it changed: a replaced key is never missed.
func TestWantOfReusesCheckedKeyOnlyWhileUnchanged(t *testing.T) {
	h, o, want := keyedOrder(t)
	if o.checkedKey == nil || o.checkedKey.id != want {
		t.Fatalf("the check kept %+v, want the key %s", o.checkedKey, want)
	}
	inv := reload(t, h)
	o = inv.Section(Name).(*Section).Order("o1")
	w, err := wantOf(inv, o)
	if err != nil || w.Key != want {
		t.Fatalf("wantOf = %q, %v; want %s", w.Key, err, want)
	}
	other := testpki.NewKey()
	if err := os.WriteFile(o.KeyPath, []byte(testfixture.KeyPEM(t, other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(o.KeyPath, later, later); err != nil {
		t.Fatal(err)
	}
	w, err = wantOf(inv, o)
	if err != nil || w.Key != keyID(other.Public()) {
		t.Fatalf("after the key file changed, wantOf = %q, %v; want the new key %s", w.Key, err, keyID(other.Public()))
	}
}

// BenchmarkWantOf is one order's wanted state in a plan, with the key the
// check parsed and without it (parsing the key file again).
func BenchmarkWantOf(b *testing.B) {
	h, _, _ := keyedOrder(b)
	inv := reload(b, h)
	o := inv.Section(Name).(*Section).Order("o1")
	checked := o.checkedKey
	for _, reuse := range []bool{false, true} {
		name := "parse"
		if reuse {
			name = "checked"
		}
		b.Run(name, func(b *testing.B) {
			o.checkedKey = nil
			if reuse {
				o.checkedKey = checked
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wantOf(inv, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadOrders1000 loads (and so checks) an inventory of 1,000
// orders, each with its own existing key file: reading and parsing the
// keys is most of it.
func BenchmarkLoadOrders1000(b *testing.B) {
	h := newHarness(b, mmsim.Options{})
	if err := os.MkdirAll(filepath.Join(h.dir, "keys"), 0o700); err != nil {
		b.Fatal(err)
	}
	keyPEM := []byte(testfixture.KeyPEM(b, testpki.NewKey()))
	var orders []string
	for i := range 1000 {
		name := fmt.Sprintf("o%d", i)
		if err := os.WriteFile(filepath.Join(h.dir, "keys", name+".key"), keyPEM, 0o600); err != nil {
			b.Fatal(err)
		}
		orders = append(orders, orderYAML(name, ""))
	}
	h.inventory(orders...)
	b.ReportAllocs()
	for b.Loop() {
		reload(b, h)
	}
}
