package ccadbsim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Salesforce record ids. A 15-character id is case-sensitive; the 18-character
// form appends three characters that encode, for each 5-character chunk, which
// characters are upper-case, so that the id survives case-insensitive
// handling. CCADB certificate records are Accounts, key prefix "001".

const (
	// recordKeyPrefix is the Salesforce key prefix of Account records, which
	// every id in the CCADB documents and reports starts with.
	recordKeyPrefix = "001"
	// recordPod stands for the instance/pod characters that follow the key
	// prefix in real ids ("0010r…", "0018Z…").
	recordPod = "8Z"
	// firstRecordCounter makes the first ids already contain upper- and
	// lower-case letters, so the case-safety checksum is exercised from the
	// first record on.
	firstRecordCounter = 1_000_000

	base62         = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	checksumDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
)

// CaseSafeID returns the 18-character form of a 15-character Salesforce id:
// the id followed by its case-safety checksum. It returns "" when id15 is not
// 15 characters long.
func CaseSafeID(id15 string) string {
	if len(id15) != 15 {
		return ""
	}
	var sum [3]byte
	for chunk := range 3 {
		bits := 0
		for i := range 5 {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		sum[chunk] = checksumDigits[bits]
	}
	return id15 + string(sum[:])
}

// ValidID reports whether id is an 18-character Salesforce id whose last three
// characters are the case-safety checksum of the first fifteen. The checksum
// is compared case-insensitively, as Salesforce does.
func ValidID(id string) bool {
	if len(id) != 18 {
		return false
	}
	for i := range len(id) {
		if !isAlnum(id[i]) {
			return false
		}
	}
	return strings.EqualFold(CaseSafeID(id[:15])[15:], id[15:])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// makeID builds an 18-character id from a key prefix, a two-character pod and
// a counter written in base 62 over the remaining ten characters.
func makeID(prefix, pod string, n uint64) string {
	var digits [10]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	return CaseSafeID(prefix + pod + string(digits[:]))
}

// randomToken returns n random bytes encoded with enc.
func randomToken(n int, enc *base64.Encoding) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return enc.EncodeToString(b)
}

// CCADB unique ids: "A" and six digits, the ids the V5 report shows in its
// "Salesforce Record ID" column (e.g. "A000086", "A012486").

// ValidCCADBID reports whether id has the form of a CCADB unique id.
func ValidCCADBID(id string) bool {
	_, ok := parseCCADBID(id)
	return ok
}

func parseCCADBID(id string) (int, bool) {
	if len(id) != 7 || id[0] != 'A' && id[0] != 'a' {
		return 0, false
	}
	n := 0
	for i := 1; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return 0, false
		}
		n = n*10 + int(id[i]-'0')
	}
	return n, true
}

func formatCCADBID(n int) string { return fmt.Sprintf("A%06d", n) }
