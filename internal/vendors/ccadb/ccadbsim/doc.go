// Package ccadbsim simulates the parts of the CCADB (Mozilla's Common CA
// Database on Salesforce) that certsync talks to, as the live CCADB behaves
// with the API documentation of 2026-03-20
// (https://github.com/mozilla/CCADB-Tools/tree/master/API_AddUpdateIntermediateCert),
// so that the CCADB client and the CLI can be tested offline, including
// HARICA's published curl procedure:
//
//   - Salesforce OAuth 2.0: GET /services/oauth2/authorize (login and "Allow"
//     simulated, 302 to redirect_uri with the code) and POST
//     /services/oauth2/token (authorization_code, the early documentation's
//     "code", and refresh_token grants; client credentials in the form body
//     only; no expires_in, access tokens expire server-side).
//   - GetCertificateIdAPI, POST /services/apexrest/get/recordid, answering
//     18-character Salesforce ids.
//   - AddUpdateIntermediateCertAPI, POST
//     /services/apexrest/create/intermediatecert, with today's fields and
//     rules and an API Log. An 18-character SalesforceRecordId makes an
//     update; anything else, the report's "A0…" ids included, an add.
//   - The public AllCertificateRecordsCSVFormatV5 report, GET
//     /ccadb/AllCertificateRecordsCSVFormatV5, generated from the records:
//     its "Salesforce Record ID" column carries CCADB unique ids ("A000086"),
//     never the 18-character ids, and a certificate with records under
//     several CA Owners has a row per owner. It can lag (Options.ReportDelay).
//
// Only today's request keys are read (see FieldNames). Keys of earlier
// versions of the API (FullCRLIssuedByThisCA, the BR, EVSSL and
// EVCodeSigning audits, PolicyInformation, CPCPSLastUpdatedDate, the
// misspellings some documents showed) are ignored like any unknown key, as
// Apex's typed JSON deserialisation does: the request succeeds and nothing
// changes. IgnoredKeys lists them in a body; Requests keeps every request raw.
// Keys match case-insensitively like Apex; PEMs may be flattened to one line.
//
// Only three of the API's error messages are documented
// (MsgCertificateNotFound, MsgAlreadyExists, MsgIDSHA256Mismatch); the other
// Msg* constants are this simulator's wording. REST-level errors use
// Salesforce's JSON array shape: 401 INVALID_SESSION_ID, 403
// REQUEST_LIMIT_EXCEEDED, 400 JSON_PARSER_ERROR, 415 UNSUPPORTED_MEDIA_TYPE
// for a Content-Type other than application/json, and 429 TOO_MANY_REQUESTS
// for the same request repeated within a minute (Options.DuplicateWindow; the
// CCADB's body for it is undocumented).
//
// Deliberate choices where the documents are silent or disagree:
//
//   - An update without CAOwner succeeds (HARICA's procedure omits it),
//     though the documentation lists CAOwner as mandatory for updates.
//   - An unknown 18-character SalesforceRecordId answers MsgRecordIDNotFound.
//   - Identity failures (mandatory fields, PEMs, hierarchy, duplicate, id and
//     SHA-256 match, parent, signature) are answered without field
//     validation; field-validation failures are all answered together.
//   - For the two CRL arrays, "" is treated like [] (blank clears every field
//     type); any other string is a JSON_PARSER_ERROR. Entries must be http(s)
//     URLs, except [""] alone in JSONArrayofPartitionedCRLs ("not yet
//     issuing").
//   - A document link without its date, and a date without its link, are
//     refused.
//   - Picklists (Audit Type, revocation reason, auditors and locations, the
//     CA/B Forum policy identifier) are matched case-sensitively; CAOwner and
//     RecordType case-insensitively, as Apex string comparison is.
//
// Every request passes through a sim.Injector (Server.Faults) first, for
// latency, injected failures (with headers such as Retry-After) and request
// counts.
package ccadbsim
