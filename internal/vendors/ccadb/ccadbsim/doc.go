// Package ccadbsim simulates the parts of the CCADB (Mozilla's Common CA
// Database on Salesforce) that certsync talks to, so that the CCADB client
// and the CLI can be tested offline, including HARICA's published curl
// procedure:
//
//   - Salesforce OAuth 2.0: GET /services/oauth2/authorize (login and "Allow"
//     simulated, 302 to redirect_uri with the code) and POST
//     /services/oauth2/token (authorization_code, seed 000's "code", and
//     refresh_token grants; client credentials in the form body only; no
//     expires_in, access tokens expire server-side).
//   - GetCertificateIdAPI, POST /services/apexrest/get/recordid.
//   - AddUpdateIntermediateCertAPI, POST
//     /services/apexrest/create/intermediatecert, with the processing rules
//     and validation of seed 001 and an API Log.
//   - The public AllCertificateRecordsCSVFormatV5 report, GET
//     /ccadb/AllCertificateRecordsCSVFormatV5, generated from the records.
//
// The contract is the CCADB API documentation (seeds 000 and 001) as
// corrected by the vendor notes: every key spelling any version of the
// documentation shows is accepted, keys match case-insensitively like Apex,
// PEMs may be flattened to one line. Only three of the API's error messages
// are documented (MsgCertificateNotFound, MsgAlreadyExists,
// MsgIDSHA256Mismatch); the others (the other Msg* constants) are this
// simulator's wording. REST-level errors use Salesforce's shapes:
// 401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED, 400 JSON_PARSER_ERROR.
//
// Deliberate choices where the documents are silent or disagree:
//
//   - An update without CAOwner succeeds (HARICA's procedure omits it),
//     though seed 001 lists CAOwner as mandatory for updates.
//   - An unknown 18-character SalesforceRecordId answers MsgRecordIDNotFound;
//     a SalesforceRecordId of any other length makes the request an add, as
//     seed 001 says.
//   - Identity failures (mandatory fields, PEMs, hierarchy, duplicate, id and
//     SHA-256 match, parent, signature) are answered without field
//     validation; field-validation failures are all answered together.
//   - For JSONArrayofPartitionedCRLs and JSONArrayofAllFullCRLURLs, "" is
//     treated like [] (blank clears every field type); any other string is a
//     JSON_PARSER_ERROR.
//   - Picklists (Audit Type, revocation reason, auditors and locations) are
//     matched case-sensitively; CAOwner and RecordType case-insensitively, as
//     Apex string comparison is.
//
// Every request passes through a sim.Injector (Server.Faults) first, for
// latency, injected failures and request counts.
package ccadbsim
