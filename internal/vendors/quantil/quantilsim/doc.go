// Package quantilsim simulates the QUANTIL (CDNetworks / Wangsu) legacy XML
// SSL-certificate API, the V2 JSON certificate API over the same store
// (v2.go) and the account's CDN domains with their certificate bindings
// (domains.go), so that certsync's QUANTIL client, the CLI and the
// vendor's own curl/openssl reference script (QUANTIL's "Modify SSL
// Certificate" page) run offline. The contract is that page as completed and
// corrected by the other public sources docs/vendors/quantil.md lists.
//
// v1 routes, under CertificatePath:
//
//	POST   /api/ssl/certificate       add     202, Location: <base>/api/ssl/certificate/<id>
//	GET    /api/ssl/certificate       list    200, <ssl-certificates> (no paging)
//	GET    /api/ssl/certificate/{id}  view    200, <ssl-certificate>
//	PUT    /api/ssl/certificate/{id}  modify  200, <response><message>success</message></response>
//	DELETE /api/ssl/certificate/{id}  delete  200, the same success body
//
// V2 routes under V2CertificatePath (/api/certificate) are listed in v2.go;
// the domain-binding route BindPath (/api/config/certificate/batch) in
// domains.go. Add and modify bodies must be XML (Content-Type application/xml,
// text/xml or +xml), else 415 UnsupportedMediaType.
//
// Add answers the same success body as modify and delete, besides Location.
//
// Authentication (auth.go): Basic user:base64(HMAC-SHA1(apiKey, date)) where
// date is the raw x-cnc-date header if present, else the raw Date header. The
// date is parsed leniently (RFC 1123, optional weekday, zone abbreviations
// such as GMT, UTC, PDT, CST, or numeric offsets; ambiguous abbreviations are
// tried with every meaning) only to check that it lies within
// Options.ClockSkew of the clock. The same raw string keys the DES fields
// (crypto.go): key and IV are the ASCII of md5hex(date)[0:8] and [24:32],
// DES-CBC, PKCS#5, base64 in which all whitespace is ignored, because the
// reference script's eval turns openssl's line wraps into spaces.
//
// Responses are XML (Content-Type ContentTypeXML) when Accept mentions xml,
// JSON otherwise, the documented default. Every response, injected faults
// included, carries a unique numeric x-cnc-request-id and Server:
// WS-web-server. Errors are
// <response><code>…</code><message>…</message></response>, or
// {"code":…,"message":…} in JSON.
//
// List and view items carry both generations of field names
// (docs/vendors/quantil.md) and never key material (related-domains, when a
// domain uses the certificate, is described in domains.go): certificate-id, name, comment,
// expiration-date, serial-number, common-names/common-name, share-ssl
// (always false), certificate-validity-from, certificate-validity-to,
// certificate-update-time (view only), certificate-serial,
// certificate-issuer, crt-md5, key-md5, ca-md5 (left out when there is no
// chain), dns-names/dns-name. The JSON list is {"ssl-certificate":[…]}; a
// JSON view is the bare object; lists of names are JSON arrays of strings.
//
// Invented where the documents are silent (the rest is documented):
//
//   - Error codes other than InvalidCertificate and NoSuchSsl, and all
//     statuses but their 403 and 404: see the Code* constants in errors.go
//     (AuthFailure and InvalidDate 401, MalformedXML, InvalidName,
//     InvalidAlgorithm and UnsupportedAlgorithm 400, NameAlreadyExists 409,
//     NotFound 404, MethodNotAllowed 405, RequestEntityTooLarge 413,
//     InternalError 500). Details follow the documented messages after a
//     space.
//   - Dates in responses use TimeLayout in CST (UTC+8), the documented form
//     of certificate-validity-*; expiration-date (format undocumented) uses
//     it too and equals certificate-validity-to. serial-number equals
//     certificate-serial (lower-case hex). common-names lists the subject CN
//     then the other DNS SANs, as <common-name> children. The md5 fields are
//     lower-case hex of the PEM texts as uploaded (decrypted), so a client
//     can tell whether its certificate is already there. certificate-issuer
//     is the issuer DN as Go prints it.
//   - The certificate rules in certs.go (single leaf, key match, RSA >= 2048
//     bits, EC P-256/P-384 only, expired refused, chain optional but must
//     sign the leaf in order) and the modify rules on Server.modify (the
//     body is complete as documented: name, algorithm, certificate and key
//     required; an absent comment is kept; an omitted chain is removed).
//   - The codes UnsupportedMediaType (415), CertificateInUse (403),
//     NoSuchDomain and InvalidParameter (400), and the answers of the V2 and
//     binding routes beyond what the SDK models show (v2.go, domains.go).
//   - Names are trimmed, required on add, unique per account (exact,
//     case-sensitive comparison). ssl-key-id and csr-id are accepted and
//     ignored. An element sent twice is MalformedXML. algorithm must be
//     exactly des (surrounding blanks ignored; DES is refused).
//   - Paths outside CertificatePath, V2CertificatePath and BindPath answer
//     404 NotFound before authentication; everything under them is
//     authenticated first.
//   - The X-Time-Zone header of the newer API is not honoured: response
//     dates are always CST.
//   - Ids are decimal, from FirstID up, never reused; an id that is not a
//     canonical decimal number is NoSuchSsl.
//   - Unknown Date zone abbreviations are InvalidDate; the window is
//     DefaultClockSkew unless configured.
//
// Every request passes through a sim.Injector (Server.Faults) first, for
// latency, injected failures and request counts. State lives in memory and,
// with Options.StatePath, in a 0600 JSON file rewritten atomically after
// every change.
package quantilsim
