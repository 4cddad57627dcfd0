package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// The simulators' state files in the sandbox's state directory, as the
// vendors' Sandbox functions name them. The credentials given here only
// open the simulators for seeding; `certsync sandbox` sets its own.
const (
	ccadbState   = "ccadb-sim.json"
	mmState      = "markmonitor-sim.json"
	quantilState = "quantil-sim.json"
	seedSecret   = "bench-seed-only"
)

// seed writes the steady state of f (every item exactly as the inventory
// wants it, as earlier certsync runs would have left it) into the
// simulators' state files under dir, through the simulators' own seeding
// functions. otherRows adds that many other CAs' records to the CCADB, so
// that its public report has a real size.
func seed(f *fixture, dir string, otherRows int) error {
	if err := seedCCADB(f, filepath.Join(dir, ccadbState), otherRows); err != nil {
		return err
	}
	if err := seedMarkmonitor(f, filepath.Join(dir, mmState)); err != nil {
		return err
	}
	return seedQuantil(f, filepath.Join(dir, quantilState))
}

func seedCCADB(f *fixture, path string, otherRows int) error {
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: sim.SandboxUser, ClientSecret: seedSecret, CAOwner: ccadb.SandboxCAOwner, StatePath: path})
	if err != nil {
		return err
	}
	// Other CAs first, in the report's order of a real CCADB: theirs are
	// most of it. One root per ten intermediates, filled like real rows.
	var recs []ccadbsim.Record
	var root string
	for i := 0; i < otherRows; i++ {
		owner := fmt.Sprintf("Other CA %d", i/10)
		rec := ccadbsim.Record{CAOwner: owner, SHA256: fakeSHA256(i), Name: fmt.Sprintf("%s Issuing CA %d", owner, i), Fields: otherCAFields(owner, i)}
		if i%10 == 0 {
			rec.RecordType, rec.Name, root = ccadbsim.RootCertificate, owner+" Root CA", rec.SHA256
		} else {
			rec.RecordType, rec.ParentSHA256 = ccadbsim.IntermediateCertificate, root
		}
		recs = append(recs, rec)
	}
	recs = append(recs, ccadbsim.Record{RecordType: ccadbsim.RootCertificate, CAOwner: benchOwner, PEM: f.root.PEM()})
	rootSHA := f.root.SHA256()
	for i, c := range f.intermediates {
		recs = append(recs, ccadbsim.Record{
			RecordType: ccadbsim.IntermediateCertificate, CAOwner: benchOwner, Name: c.Cert.Subject.CommonName,
			PEM: c.PEM(), ParentSHA256: rootSHA,
			Fields: map[string]string{ccadbsim.FieldAuditor: "Auditor Name", ccadbsim.FieldAuditorLocation: "United States", ccadbsim.FieldAllFullCRLURLs: jsonList(crlURL(i, f.seedRev))},
		})
	}
	if _, err := s.SeedAll(recs); err != nil {
		return fmt.Errorf("seed the CCADB simulator: %w", err)
	}
	return nil
}

// otherCAFields fills another CA's record about as a real one is filled, so
// that the report's rows have a realistic size (~0.8 KB).
func otherCAFields(owner string, i int) map[string]string {
	base := fmt.Sprintf("https://pki.other-ca-%d.example", i/10)
	f := map[string]string{
		ccadbsim.FieldAuditor: "Auditor Name", ccadbsim.FieldAuditorLocation: "United States",
		ccadbsim.FieldAllFullCRLURLs:     jsonList(fmt.Sprintf("http://crl.other-ca-%d.example/ca%d.crl", i/10, i)),
		ccadbsim.FieldDocumentRepository: base + "/repository",
	}
	for _, d := range ccadbsim.Documents()[:2] { // the CP and the CPS, as most CAs publish them
		f[d.Link] = base + "/repository/" + strings.ToLower(d.Link) + ".pdf"
		f[d.Date] = "2025-02-01"
	}
	for _, kind := range []string{"Standard", "TLSBR"} {
		f[ccadbsim.AuditField(kind, "")] = fmt.Sprintf("https://audits.example.com/%s/2025/%s.pdf", owner, kind)
		f[ccadbsim.AuditField(kind, "Type")] = "WebTrust"
		f[ccadbsim.AuditField(kind, "StatementDate")] = "2025-06-30"
		f[ccadbsim.AuditField(kind, "PeriodStartDate")] = "2024-04-01"
		f[ccadbsim.AuditField(kind, "PeriodEndDate")] = "2025-03-31"
	}
	return f
}

func seedMarkmonitor(f *fixture, path string) error {
	if len(f.orders) == 0 {
		return nil
	}
	s, err := mmsim.New(mmsim.Options{APIKey: seedSecret, Username: sim.SandboxUser, Password: seedSecret, StatePath: path})
	if err != nil {
		return err
	}
	org, err := s.SeedOrganization(mmsim.Organization{
		Name: benchOrg, Address1: "1 Example Way", City: "Boise", State: "Idaho", Country: "US", Zipcode: "83702", Phone: "+1 208 555 0100",
		Contacts: []mmsim.Contact{{FirstName: "Pat", LastName: "Example", JobTitle: "PKI Lead", Email: "pki@example.com", Phone: "+1 208 555 0101",
			ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}, {Type: "EXTENDED_VALIDATION_APPROVER"}}}},
	})
	if err != nil {
		return fmt.Errorf("seed the Markmonitor simulator: %w", err)
	}
	reqs := make([]mmsim.OrderRequest, 0, len(f.orders))
	for _, o := range f.orders {
		reqs = append(reqs, mmsim.OrderRequest{
			OrganizationID: org.ID, CertType: benchCertType,
			Contacts: []mmsim.ContactRef{{ID: org.Contacts[0].ID, ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}}}},
			Comments: markmonitor.OrderComments(o.name, benchOrg, benchCertType, o.cn, o.sans),
			Cert:     mmsim.CertRequest{CommonName: o.cn, DNSNames: o.sans, CSR: o.csr, DcvMethod: "DNS_TXT_TOKEN", AlgorithmHash: "ECC"},
		})
	}
	if _, err := s.SeedIssuedOrders(reqs); err != nil {
		return fmt.Errorf("seed the Markmonitor simulator: %w", err)
	}
	return nil
}

func seedQuantil(f *fixture, path string) error {
	if len(f.leaves) == 0 {
		return nil
	}
	s, err := quantilsim.New(quantilsim.Options{User: sim.SandboxUser, APIKey: seedSecret, StatePath: path})
	if err != nil {
		return err
	}
	chain := f.issuer.PEM()
	for i, leaf := range f.leaves {
		_, err := s.Seed(quantilsim.Certificate{
			Name: fmt.Sprintf("cdn%d.example.com", i), Comment: "managed by certsync",
			CertPEM: leaf.PEM(), KeyPEM: string(f.keyPEM), ChainPEM: chain,
		})
		if err != nil {
			return fmt.Errorf("seed the QUANTIL simulator: %w", err)
		}
	}
	return nil
}

// jsonList is a list field as the simulator stores it: compact JSON text.
func jsonList(vs ...string) string {
	b, _ := json.Marshal(vs)
	return string(b)
}
