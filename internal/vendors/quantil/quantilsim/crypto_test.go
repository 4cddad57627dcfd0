package quantilsim

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// The test vector of docs/vendors/quantil.md, computed with OpenSSL 3.0.19 and
// crypto/des.
func TestVendorTestVector(t *testing.T) {
	const date = "Thu, 17 May 2012 19:37:58 GMT"
	sum := md5.Sum([]byte(date))
	if got := hex.EncodeToString(sum[:]); got != "355dfba0229be2070beef74eacd21223" {
		t.Errorf("md5hex = %s", got)
	}
	key, iv := DESKeyIV(date)
	if string(key) != "355dfba0" || hex.EncodeToString(key) != "3335356466626130" {
		t.Errorf("key = %q", key)
	}
	if string(iv) != "acd21223" || hex.EncodeToString(iv) != "6163643231323233" {
		t.Errorf("iv = %q", iv)
	}
	if got := Encrypt([]byte("hello world"), date); got != "qvxT6sWO44xSm+dMEYbWKQ==" {
		t.Errorf("Encrypt = %s", got)
	}
	if got, err := Decrypt("qvxT6sWO44xSm+dMEYbWKQ==", date); err != nil || string(got) != "hello world" {
		t.Errorf("Decrypt = %q, %v", got, err)
	}
	if got := Signature("apikey", date); got != "vtCNVA+VneLNnwpCZC0M78o4irk=" {
		t.Errorf("Signature = %s", got)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	const date = "Fri, 01 May 2026 12:00:00 GMT"
	pki(t)
	inputs := [][]byte{{}, []byte("a"), []byte("1234567"), []byte("12345678"), []byte("123456789"),
		bytes.Repeat([]byte{0xff, 0x00}, 100), []byte(testRoot.PEM())}
	for _, in := range inputs {
		enc := Encrypt(in, date)
		if strings.ContainsAny(enc, " \n") {
			t.Errorf("Encrypt wrapped its output: %q", enc)
		}
		got, err := Decrypt(enc, date)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("round trip of %d bytes: %q, %v", len(in), got, err)
		}
		// What the reference script sends: openssl's 64-column lines joined by
		// spaces by eval; also CRLF and tabs.
		var wrapped strings.Builder
		for i := 0; i < len(enc); i += 64 {
			wrapped.WriteString(enc[i:min(i+64, len(enc))])
			wrapped.WriteString(" \r\n\t ")
		}
		if got, err := Decrypt(" "+wrapped.String(), date); err != nil || !bytes.Equal(got, in) {
			t.Errorf("round trip of %d bytes with whitespace: %q, %v", len(in), got, err)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	const date = "Fri, 01 May 2026 12:00:00 GMT"
	for _, tc := range []struct {
		name, in, date string
		want           error
	}{
		{"empty", "", date, ErrEmpty},
		{"blank", " \n\t", date, ErrEmpty},
		{"not base64", "not*base64!", date, ErrBase64},
		{"unpadded base64", "qvxT6sWO44xSm+dMEYbWKQ", date, ErrBase64},
		{"short ciphertext", "AAAA", date, ErrCiphertext},
		{"other date", Encrypt([]byte("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n"), "Fri, 01 May 2026 12:00:01 GMT"), date, ErrPadding},
		{"plain base64", "aGVsbG8gd29ybGQhIQ==", date, ErrCiphertext}, // 13 bytes
		{"no padding block", truncatedCiphertext(date), date, ErrPadding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decrypt(tc.in, tc.date)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// truncatedCiphertext is the first block of the encryption of eight bytes
// ending in 0x00: valid DES-CBC, but its last plaintext byte is no padding.
func truncatedCiphertext(date string) string {
	full, err := base64.StdEncoding.DecodeString(Encrypt([]byte("abcdefg\x00"), date))
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(full[:8])
}
