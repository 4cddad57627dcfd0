package pemutil

import "github.com/certsync/certsync/internal/readfile"

// MaxFileBytes is the most a certificate, chain, key or CSR file may hold.
// A real one is a few KiB (a long chain some tens); 1 MiB leaves room for
// anything legitimate and refuses a file named by mistake before it fills
// memory.
const MaxFileBytes = 1 << 20

// ReadFile reads a PEM file of at most MaxFileBytes. A larger file is an
// error wrapping readfile.ErrTooLarge that names the path and the limit.
func ReadFile(path string) ([]byte, error) {
	return readfile.Limited(path, MaxFileBytes)
}
