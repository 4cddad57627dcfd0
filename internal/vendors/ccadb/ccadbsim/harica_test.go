package ccadbsim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/testpki"
)

// curlBody mimics curl -d @file, which strips CR and LF: HARICA's bodies
// arrive on one line with the heredoc's indentation as runs of spaces.
func curlBody(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// HARICA's JSON files (preparation step 7 and update step 7 of
// HARICA-official/ccadb-ca-tools, CCADB-API-update-FullCRLIssuedByThisCA.md), as their heredocs write them.
const (
	haricaGetIDJSON = `{
  "PEM": "$pem",
  "SHA256": "$fp",
  "RecordType": "Intermediate Certificate"
}
`
	haricaUpdateJSON = `{
    "CertificateInformation": {
        "SalesforceRecordId": "$id",
        "IntermediateCertificateName": "$cn",
        "IntermediateCertPEM": "$pem"
    },
    "PertainingToCertificatesIssued": {
       "FullCRLIssuedByThisCA": "$crl"
    }
}
`
)

func TestHARICARequests(t *testing.T) {
	f := newFixture(t)
	ca := f.issue("HARICA Test Issuing CA 1")
	id, err := f.s.Seed(Record{PEM: ca.PEM(), ParentID: f.rootID})
	if err != nil {
		t.Fatal(err)
	}

	// Step 8: GetCertificateId with the flattened PEM and upper-case SHA-256.
	body := curlBody(strings.NewReplacer("$pem", ca.FlatPEM(), "$fp", ca.SHA256()).Replace(haricaGetIDJSON))
	if !strings.Contains(body, "{  \"PEM\"") {
		t.Fatalf("body should keep runs of spaces: %s", body)
	}
	status, resp := f.post(GetIDPath, body)
	if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"RecordId":"` + id + `"}`; status != 200 || resp != want {
		t.Fatalf("recordid: %d %s", status, resp)
	}

	// Update step 9: no CAOwner, only the four fields. Today's CCADB answers
	// Success but ignores the retired FullCRLIssuedByThisCA; the same update
	// with today's JSONArrayofAllFullCRLURLs sets the record's full CRLs.
	for _, tt := range []struct{ name, update, want string }{
		{"as published", haricaUpdateJSON, ""},
		{"with today's key", todaysKey(haricaUpdateJSON), `["http://crl.harica.gr/ca1.crl"]`},
	} {
		body = curlBody(strings.NewReplacer("$id", id, "$cn", "HARICA Test Issuing CA 1", "$pem", ca.FlatPEM(),
			"$crl", "http://crl.harica.gr/ca1.crl").Replace(tt.update))
		status, resp = f.post(AddUpdatePath, body)
		if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + id + `"}`; status != 200 || resp != want {
			t.Fatalf("update %s: %d %s", tt.name, status, resp)
		}
		if rec := f.record(id); rec.Fields[FieldAllFullCRLURLs] != tt.want || rec.CAOwner != "Example CA" {
			t.Errorf("record after the update %s: %+v", tt.name, rec)
		}
	}
}

// todaysKey turns HARICA's update body into today's: the full CRL as
// JSONArrayofAllFullCRLURLs, which replaced FullCRLIssuedByThisCA on
// 2026-03-20.
func todaysKey(s string) string {
	return strings.Replace(s, `"FullCRLIssuedByThisCA": "$crl"`, `"JSONArrayofAllFullCRLURLs": ["$crl"]`, 1)
}

// haricaScript is HARICA's procedure (HARICA-official/ccadb-ca-tools,
// CCADB-API-update-FullCRLIssuedByThisCA.md) run against the simulator:
// step 3's download replaced by local files (its sed kept), the token
// from the simulator's refresh grant, and the two hard-coded URLs replaced
// with $SIM. Everything else is HARICA's commands as published; where
// openssl is missing, the test writes the two files openssl would have.
const haricaScript = `set -e
cd "$WORK"

# Preparation 3, offline: local PEMs, with text before the PEM as a repository has.
mkdir -p IntermediateCA-Certificates
for i in ` + "`cat activeCAs`" + `; do
  sed -n '/-----BEGIN CERTIFICATE-----/,$p' < "src/$i.pem" > "IntermediateCA-Certificates/$i.pem"
done

# Preparation 4.
cd IntermediateCA-Certificates
for i in ` + "`cat ../activeCAs`" + `; do
  awk '{printf("%s", $0)} END {printf "\n"}' "$i.pem" > "$i.flat.pem"
done
cd ..

# Preparation 5.
for i in ` + "`cat activeCAs`" + `; do
  cat "IntermediateCA-Certificates/$i.flat.pem" >> activeCAs-flat-PEM
done

# Preparation 6 (without openssl, the test wrote the file).
if command -v openssl >/dev/null; then
true > activeCAs-sha256-fingerprints
for i in ` + "`cat activeCAs`" + `; do
  openssl x509 -noout -fingerprint -sha256 -in "IntermediateCA-Certificates/$i.pem" \
    | sed 's/.*=//; s/://g' >> activeCAs-sha256-fingerprints
done
fi

# Preparation 7.
mkdir -p json-files

paste activeCAs activeCAs-sha256-fingerprints activeCAs-flat-PEM | \
while IFS=$'\t' read -r ca fp pem; do
  cat <<JSON > "json-files/$ca.json"
{
  "PEM": "$pem",
  "SHA256": "$fp",
  "RecordType": "Intermediate Certificate"
}
JSON
done

# Recipe A: the token.
TOKEN=$(curl -s -d grant_type=refresh_token -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" \
             -d refresh_token="$REFRESH" "$SIM/services/oauth2/token" | jq -r .access_token)

# Preparation 8.
mkdir -p salesforce

for ca in ` + "`cat activeCAs`" + `; do
  curl -H "Accept: application/json"       \
       -H "Content-Type: application/json" \
       -H "Authorization: Bearer ${TOKEN}" \
       -d @"json-files/$ca.json"           \
       $SIM/services/apexrest/get/recordid \
    | jq -r .RecordId > "salesforce/$ca.id"
done

# Update 2 (without openssl, the test wrote the file).
if command -v openssl >/dev/null; then
true > CCADB-Disclosed-Intermediates.CN
for i in ` + "`cat CCADB-Disclosed-Intermediates`" + `; do
  openssl x509 -subject -noout -in "IntermediateCA-Certificates/$i.pem" \
    | awk -F'CN = ' '{print $2}' >> CCADB-Disclosed-Intermediates.CN
done
fi
# Update 3.
true > CCADB-Disclosed-Intermediates.crl
for i in ` + "`cat CCADB-Disclosed-Intermediates`" + `; do
  echo "http://crl.harica.gr/$i.crl" >> CCADB-Disclosed-Intermediates.crl
done
# Update 4.
true > CCADB-Disclosed-Intermediates.id
for i in ` + "`cat CCADB-Disclosed-Intermediates`" + `; do
  cat salesforce/$i.id >> CCADB-Disclosed-Intermediates.id
done
# Update 5.
true > CCADB-Disclosed-Intermediates.pem
for i in ` + "`cat CCADB-Disclosed-Intermediates`" + `; do
  cat IntermediateCA-Certificates/$i.flat.pem >> CCADB-Disclosed-Intermediates.pem
done
# Update 6.
paste CCADB-Disclosed-Intermediates     \
      CCADB-Disclosed-Intermediates.id  \
      CCADB-Disclosed-Intermediates.CN  \
      CCADB-Disclosed-Intermediates.pem \
      CCADB-Disclosed-Intermediates.crl \
> update-pasted
# Update 7.
cat update-pasted | \
while IFS=$'\t' read -r ca id cn pem crl; do
cat <<JSON > json-files/$ca.update.json
{
    "CertificateInformation": {
        "SalesforceRecordId": "$id",
        "IntermediateCertificateName": "$cn",
        "IntermediateCertPEM": "$pem"
    },
    "PertainingToCertificatesIssued": {
       "FullCRLIssuedByThisCA": "$crl"
    }
}
JSON
done
# Update 9.
for i in ` + "`cat CCADB-Disclosed-Intermediates`" + `; do
  curl -H "Accept: application/json"       \
       -H "Content-Type: application/json" \
       -H "Authorization: Bearer ${TOKEN}" \
       -d @json-files/$i.update.json       \
       -o salesforce/$i.update.log         \
       $SIM/services/apexrest/create/intermediatecert
done
# Update 10.
grep -v Success salesforce/*update.log > failures || true
`

// TestHARICACurlProcedure runs HARICA's procedure as published, which
// today's CCADB answers with Success while ignoring its retired
// FullCRLIssuedByThisCA, then with today's JSONArrayofAllFullCRLURLs in the
// update heredoc, which sets the full CRLs.
func TestHARICACurlProcedure(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "awk", "sed", "paste"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("HARICA's procedure needs %s on PATH: %v", tool, err)
		}
	}
	if !strings.Contains(haricaScript, `"FullCRLIssuedByThisCA": "$crl"`) {
		t.Fatal("the update heredoc changed")
	}
	t.Run("as published", func(t *testing.T) { runHARICAProcedure(t, haricaScript, false) })
	t.Run("with today's key", func(t *testing.T) { runHARICAProcedure(t, todaysKey(haricaScript), true) })
}

func runHARICAProcedure(t *testing.T, script string, setsCRL bool) {
	f := newFixture(t)
	work := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(work, "src"), 0o700))

	// ca1 and ca2 are disclosed; ca3 is not in the CCADB.
	cas := map[string]*testpki.Cert{}
	ids := map[string]string{}
	for i, name := range []string{"ca1", "ca2", "ca3"} {
		c := testpki.Issue(f.root, testpki.Options{CommonName: "Test Issuing CA " + string(rune('1'+i)), Organization: "Test Org"})
		cas[name] = c
		must(os.WriteFile(filepath.Join(work, "src", name+".pem"), []byte("Subject: whatever\n"+c.PEM()), 0o600))
		if name != "ca3" {
			id, err := f.s.Seed(Record{PEM: c.PEM(), ParentID: f.rootID})
			must(err)
			ids[name] = id
		}
	}
	must(os.WriteFile(filepath.Join(work, "activeCAs"), []byte("ca1\nca2\nca3\n"), 0o600))
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Logf("openssl not on PATH: fingerprints and CNs written by the test")
		var fps, cns string
		for _, name := range []string{"ca1", "ca2", "ca3"} {
			fps += cas[name].SHA256() + "\n"
		}
		for _, name := range []string{"ca1", "ca2"} {
			cns += cas[name].Cert.Subject.CommonName + "\n"
		}
		must(os.WriteFile(filepath.Join(work, "activeCAs-sha256-fingerprints"), []byte(fps), 0o600))
		must(os.WriteFile(filepath.Join(work, "CCADB-Disclosed-Intermediates.CN"), []byte(cns), 0o600))
	}
	must(os.WriteFile(filepath.Join(work, "CCADB-Disclosed-Intermediates"), []byte("ca1\nca2\n"), 0o600))

	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "WORK="+work, "SIM="+f.ts.URL, "CLIENT_ID="+testClientID,
		"CLIENT_SECRET="+testClientSecret, "REFRESH="+f.s.NewRefreshToken(), "CURL_HOME="+work)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("procedure: %v\n%s", err, out)
	}

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(work, name))
		must(err)
		return string(b)
	}
	for name, id := range ids {
		if got := read("salesforce/" + name + ".id"); got != id+"\n" {
			t.Errorf("salesforce/%s.id = %q, want %q", name, got, id+"\n")
		}
	}
	// A Fail answer makes jq -r .RecordId write an empty line.
	if got := read("salesforce/ca3.id"); got != "\n" {
		t.Errorf("salesforce/ca3.id = %q, want an empty line", got)
	}
	for name, id := range ids {
		want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + id + `"}`
		if got := read("salesforce/" + name + ".update.log"); got != want {
			t.Errorf("salesforce/%s.update.log = %q, want %q", name, got, want)
		}
	}
	if got := read("failures"); got != "" {
		t.Errorf("grep -v Success found failures:\n%s", got)
	}
	for name, id := range ids {
		rec := f.record(id)
		want := ""
		if setsCRL {
			want = `["http://crl.harica.gr/` + name + `.crl"]`
		}
		if rec.Fields[FieldAllFullCRLURLs] != want || rec.Name != cas[name].Cert.Subject.CommonName {
			t.Errorf("%s after the procedure: name %q, full CRLs %q, want %q", name, rec.Name, rec.Fields[FieldAllFullCRLURLs], want)
		}
	}
}
