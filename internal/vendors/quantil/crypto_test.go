package quantil

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
)

// The test vector of docs/vendors/quantil.md, computed there with OpenSSL 3.0.19
// and Go's crypto/des.
func TestDESAndHMACVector(t *testing.T) {
	const date = "Thu, 17 May 2012 19:37:58 GMT"
	sum := md5.Sum([]byte(date))
	if got := hex.EncodeToString(sum[:]); got != "355dfba0229be2070beef74eacd21223" {
		t.Fatalf("md5hex = %s", got)
	}
	key, iv := desKeyIV(date)
	if string(key) != "355dfba0" || string(iv) != "acd21223" {
		t.Fatalf("key/iv = %q/%q", key, iv)
	}
	if got := encrypt([]byte("hello world"), date); got != "qvxT6sWO44xSm+dMEYbWKQ==" {
		t.Errorf("DES-CBC(hello world) = %s, want qvxT6sWO44xSm+dMEYbWKQ==", got)
	}
	if got := signature("apikey", date); got != "vtCNVA+VneLNnwpCZC0M78o4irk=" {
		t.Errorf("HMAC-SHA1 = %s, want vtCNVA+VneLNnwpCZC0M78o4irk=", got)
	}
	// A whole block of input gets a whole block of padding (PKCS#5).
	if got := encrypt([]byte("12345678"), date); len(got) != 24 {
		t.Errorf("8-byte input encrypted to %d base64 characters, want 24 (16 bytes)", len(got))
	}
}
