package quantilsim

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The API signs and encrypts with the request's Date string, byte for byte
// (QUANTIL's "Modify SSL Certificate" page; docs/vendors/quantil.md has the
// test vector these functions are tested against). They are exported, and pure, so that the client's tests can
// cross-check their own implementation against the simulator's.

// Signature returns the Basic-auth password of a request:
// base64(HMAC-SHA1(apiKey, date)), where date is the exact Date (or
// x-cnc-date) header value sent.
func Signature(apiKey, date string) string {
	m := hmac.New(sha1.New, []byte(apiKey))
	m.Write([]byte(date))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// DESKeyIV derives the DES key and IV from a Date header value: the ASCII
// bytes of the first and of the last eight characters of the lower-case hex
// MD5 of date (what the reference script's `${MD5:0:8}` and `${MD5:24:8}` take from
// `openssl md5`). Both are 8 bytes.
func DESKeyIV(date string) (key, iv []byte) {
	sum := md5.Sum([]byte(date))
	h := hex.EncodeToString(sum[:])
	return []byte(h[0:8]), []byte(h[24:32])
}

// Encrypt encrypts plain as the API wants the ssl-certificate, ssl-key and
// ssl-certificate-chain fields: DES-CBC with DESKeyIV(date) and PKCS#5
// padding, then standard base64 with padding and without line breaks (what
// `openssl des -e -nosalt -K … -iv … -a` produces, unwrapped).
func Encrypt(plain []byte, date string) string {
	key, iv := DESKeyIV(date)
	block, err := des.NewCipher(key)
	if err != nil {
		panic(err) // unreachable: the key is always 8 bytes
	}
	pad := des.BlockSize - len(plain)%des.BlockSize
	buf := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}

// Errors of Decrypt, wrapped with details; the server turns each into a 403
// InvalidCertificate.
var (
	// ErrEmpty means the field holds no ciphertext at all, which is what the
	// reference script sends when `openssl des` fails (OpenSSL 3 without the
	// legacy provider).
	ErrEmpty = errors.New("empty")
	// ErrBase64 means the field is not standard base64.
	ErrBase64 = errors.New("not valid base64")
	// ErrCiphertext means the decoded bytes cannot be DES-CBC output: their
	// length is not a multiple of 8.
	ErrCiphertext = errors.New("not DES-CBC ciphertext")
	// ErrPadding means the plaintext does not end in PKCS#5 padding, almost
	// always because it was encrypted with another Date than the one in the
	// request's headers.
	ErrPadding = errors.New("bad PKCS#5 padding (encrypted with another Date, key or IV?)")
)

// Decrypt reverses Encrypt. Every ASCII whitespace character in b64 is
// removed first: the reference script sends openssl's 64-column base64 through an
// unquoted eval, which turns the line breaks into spaces.
func Decrypt(b64, date string) ([]byte, error) {
	b64 = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return -1
		}
		return r
	}, b64)
	if b64 == "" {
		return nil, ErrEmpty
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	if len(buf) == 0 || len(buf)%des.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCiphertext, len(buf))
	}
	key, iv := DESKeyIV(date)
	block, err := des.NewCipher(key)
	if err != nil {
		panic(err) // unreachable: the key is always 8 bytes
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > des.BlockSize {
		return nil, ErrPadding
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, ErrPadding
		}
	}
	return buf[:len(buf)-pad], nil
}
