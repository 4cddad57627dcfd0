package inventory

import (
	"errors"
	"fmt"
	"strings"
)

// Items of one section may refer to items of another by address,
// VENDOR/KIND/NAME, the form plans print (e.g. ca/order/www). What an
// item offers through such a reference is core data, so that no vendor
// reads another vendor's types.

// BundleFiles is where an item writes a certificate bundle that items of
// other sections may deploy: absolute paths, "" for a part it does not
// provide.
type BundleFiles struct {
	Certificate, Chain, Key string
	// NoKey says why Key is "", in a few words, when the item cannot tell
	// where its key is.
	NoKey string
}

// BundleSource is implemented by a section whose items publish certificate
// bundles.
type BundleSource interface {
	// BundleFiles returns the bundle files of the item kind/name; ok is
	// false when the section has no such item.
	BundleFiles(inv *Inventory, kind, name string) (files BundleFiles, ok bool)
}

// ErrNoItem means an address names nothing in the inventory.
var ErrNoItem = errors.New("is not an item of this inventory")

// ErrNotBundle means the addressed item publishes no certificate bundle.
var ErrNotBundle = errors.New("publishes no certificate bundle")

// splitAddress splits VENDOR/KIND/NAME; ok is false for anything else.
func splitAddress(addr string) (vendor, kind, name string, ok bool) {
	parts := strings.SplitN(addr, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// Bundle returns the bundle files of the item at addr (VENDOR/KIND/NAME).
func (inv *Inventory) Bundle(addr string) (BundleFiles, error) {
	vendor, kind, name, ok := splitAddress(addr)
	if !ok {
		return BundleFiles{}, fmt.Errorf("%q is not an address VENDOR/KIND/NAME, as plans print them", addr)
	}
	sec := inv.Section(vendor)
	if sec == nil {
		return BundleFiles{}, fmt.Errorf("%q %w", addr, ErrNoItem)
	}
	src, isSrc := sec.(BundleSource)
	if !isSrc {
		return BundleFiles{}, fmt.Errorf("%q: %s %w", addr, vendor, ErrNotBundle)
	}
	files, found := src.BundleFiles(inv, kind, name)
	if !found {
		return BundleFiles{}, fmt.Errorf("%q %w", addr, ErrNoItem)
	}
	return files, nil
}

// BundleWithdrawer is implemented by a BundleSource whose items can stop
// publishing their bundle under the inventory's own instruction (an order
// to be revoked or cancelled). Items of other sections that deploy such a
// bundle check it offline, so that a revoked certificate is not left in
// place downstream while every plan looks clean.
type BundleWithdrawer interface {
	// Withdrawn says whether the item kind/name will not publish a usable
	// bundle because the inventory withdraws it, and why in a few words
	// ("state: revoked"). ok is false for an item that publishes.
	Withdrawn(kind, name string) (why string, ok bool)
}

// Withdrawn reports whether the item at addr will not publish its bundle
// because the inventory withdraws it, and why. It is false for an address
// that names nothing or an item whose section cannot withdraw one: Bundle
// reports those.
func (inv *Inventory) Withdrawn(addr string) (why string, ok bool) {
	vendor, kind, name, valid := splitAddress(addr)
	if !valid {
		return "", false
	}
	w, isW := inv.Section(vendor).(BundleWithdrawer)
	if !isW {
		return "", false
	}
	return w.Withdrawn(kind, name)
}
