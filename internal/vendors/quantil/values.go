package quantil

// CertificateStates are the values of certificates[].state: absent deletes
// the certificate, the only way certsync deletes one.
var CertificateStates = []string{"present", "absent"}
