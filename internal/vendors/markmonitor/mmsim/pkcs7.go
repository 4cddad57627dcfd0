package mmsim

import (
	"encoding/asn1"
	"encoding/pem"
)

// downloadCert?format=p7b answers a "degenerate" PKCS#7 SignedData: a
// certificates-only bundle with no content and no signers (RFC 2315 §9.1,
// RFC 5652 §5; what `openssl crl2pkcs7 -nocrl` makes), in PEM armour
// (-----BEGIN PKCS7-----), as DigiCert's p7b download is.

var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

// contentInfo is ContentInfo; Content, when present, is the [0] EXPLICIT
// wrapper itself (encoding/asn1 writes a RawValue verbatim, ignoring tags).
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue // SET OF AlgorithmIdentifier, empty
	ContentInfo      contentInfo   // eContentType data, no content
	Certificates     asn1.RawValue `asn1:"optional,tag:0"` // [0] IMPLICIT SET OF Certificate
	SignerInfos      asn1.RawValue // SET OF SignerInfo, empty
}

// pkcs7Certs returns the DER of a degenerate SignedData holding ders, in the
// order given (end-entity first). The SET OF is not sorted as strict DER
// would have it: real p7b bundles are not either, and readers take any
// order, while a leaf-first order helps naive ones.
func pkcs7Certs(ders [][]byte) ([]byte, error) {
	var certs []byte
	for _, d := range ders {
		certs = append(certs, d...)
	}
	emptySet := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: []byte{}}
	sd, err := asn1.Marshal(signedData{
		Version:          1,
		DigestAlgorithms: emptySet,
		ContentInfo:      contentInfo{ContentType: oidData},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs},
		SignerInfos:      emptySet,
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd},
	})
}

// pkcs7PEM returns pkcs7Certs(ders) in PEM armour.
func pkcs7PEM(ders [][]byte) ([]byte, error) {
	der, err := pkcs7Certs(ders)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: der}), nil
}
