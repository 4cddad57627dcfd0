package quantil

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
)

// The QUANTIL API signs and encrypts with the request's Date header, byte for
// byte (QUANTIL's "Modify SSL Certificate" page): the same string must go
// into the header, the HMAC and the DES key, so a request is built around
// one Date value.

// signature is the Basic-auth password: base64(HMAC-SHA1(apiKey, date)).
func signature(apiKey, date string) string {
	m := hmac.New(sha1.New, []byte(apiKey))
	m.Write([]byte(date))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// desKeyIV derives the DES key and IV: the ASCII bytes of the first and last
// eight characters of md5hex(date), in lower case as openssl prints it.
func desKeyIV(date string) (key, iv []byte) {
	sum := md5.Sum([]byte(date))
	h := hex.EncodeToString(sum[:])
	return []byte(h[:8]), []byte(h[24:32])
}

// encrypt is DES-CBC with PKCS#5 padding, base64 without line breaks:
// what `openssl des -e -nosalt -K key -iv iv -a` produces, unwrapped.
func encrypt(plain []byte, date string) string {
	key, iv := desKeyIV(date)
	block, err := des.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 8 bytes
	}
	pad := des.BlockSize - len(plain)%des.BlockSize
	buf := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}
