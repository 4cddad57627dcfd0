// Package readfile reads a file whole, up to a size limit, so that a file
// named by mistake (a disk image, /dev/zero, a log) is refused with a clear
// message instead of exhausting memory.
package readfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrTooLarge is wrapped by the error Limited returns for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Limited returns the content of path if it holds at most limit bytes. A
// larger file is an *fs.PathError wrapping ErrTooLarge that says the limit;
// it is detected while reading, so a file that grows or never ends (a pipe,
// a device) is refused too, after reading at most limit+1 bytes.
func Limited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
		if size > limit {
			return nil, tooLarge(path, size, limit)
		}
	}
	buf := make([]byte, 0, min(max(size, 512)+1, limit+1))
	data, err := readAll(f, buf, limit+1)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, -1, limit)
	}
	return data, nil
}

func readAll(r io.Reader, buf []byte, n int64) ([]byte, error) {
	lr := io.LimitReader(r, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func tooLarge(path string, size, limit int64) error {
	if size >= 0 {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: it is %s; the limit is %s", ErrTooLarge, Size(size), Size(limit))}
	}
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: it holds more than %s, the limit", ErrTooLarge, Size(limit))}
}

// Size formats a byte count for messages: "512 bytes", "1.5 KiB", "16 MiB".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	f, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, s
	}
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), suffix)
	}
	return fmt.Sprintf("%.1f %s", f, suffix)
}
