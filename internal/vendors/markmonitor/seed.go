package markmonitor

// OrderComments returns the comments of an order certsync placed for the
// inventory item name (an order's organization, cert_type, common_name and
// dns_names), as the first order of that item carries them. Benchmarks and
// fault suites seed a simulator with such orders directly, to measure or
// test a steady state without ordering through the rate-limited API.
func OrderComments(name, organization, certType, commonName string, dnsNames []string) string {
	return marker{name: name, spec: specHash(organization, certType, commonName, dnsNames), prev: "-"}.String()
}
