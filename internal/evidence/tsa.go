package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/raqib-project/raqib/internal/fetch"
)

// ErrTimestamp is returned (wrapped, saying why) for an RFC 3161
// timestamp that was refused, does not parse or does not verify.
var ErrTimestamp = errors.New("bad timestamp")

var (
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSA256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSA384      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSA512      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidRSASHA256     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSASHA384     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSASHA512     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	Nonce          *big.Int `asn1:"optional"`
	CertReq        bool     `asn1:"optional,default:false"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

type timeStampResp struct {
	Status pkiStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	// EContent is [0] EXPLICIT OCTET STRING, read raw because the
	// decoder's explicit tags accept a neighbouring tag number.
	EContent asn1.RawValue `asn1:"optional"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       asn1.RawValue `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// Timestamp is a verified RFC 3161 timestamp: a trusted third party's
// signed statement that a digest existed at a time.
type Timestamp struct {
	Time   time.Time `json:"time"`
	Serial string    `json:"serial"`
	TSA    string    `json:"tsa"` // the signer certificate's subject
	// Trusted says the signer chains to the configured TSA roots; a
	// timestamp without roots to check is still a signed time, checked
	// against the certificate it carries.
	Trusted bool `json:"trusted"`
}

// TSA asks a time-stamping authority for timestamps over SHA-256 digests.
type TSA struct {
	URL   string
	Fetch *fetch.Client
	// Roots are the authority's certificates to trust; nil skips the
	// chain check (Timestamp.Trusted stays false).
	Roots *x509.CertPool
}

// Stamp asks the authority to timestamp digest (a SHA-256) and returns
// the DER token with what it says.
func (t *TSA) Stamp(ctx context.Context, digest []byte) ([]byte, Timestamp, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, Timestamp{}, err
	}
	req, err := asn1.Marshal(timeStampReq{
		Version:        1,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}, HashedMessage: digest},
		Nonce:          nonce,
		CertReq:        true,
	})
	if err != nil {
		return nil, Timestamp{}, fmt.Errorf("timestamp request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req))
	if err != nil {
		return nil, Timestamp{}, fmt.Errorf("timestamp request: %w", err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := t.Fetch.Do(hr)
	if err != nil {
		return nil, Timestamp{}, fmt.Errorf("timestamp authority: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, Timestamp{}, fmt.Errorf("timestamp authority: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, Timestamp{}, fmt.Errorf("%w: authority answered %s: %.200s", ErrTimestamp, resp.Status, body)
	}
	var tr timeStampResp
	if _, err := asn1.Unmarshal(body, &tr); err != nil {
		return nil, Timestamp{}, fmt.Errorf("%w: response: %v", ErrTimestamp, err)
	}
	// 0 granted, 1 granted with modifications.
	if tr.Status.Status > 1 || len(tr.Token.FullBytes) == 0 {
		return nil, Timestamp{}, fmt.Errorf("%w: authority refused (status %d %v)", ErrTimestamp, tr.Status.Status, tr.Status.StatusString)
	}
	ts, err := VerifyTimestamp(tr.Token.FullBytes, digest, t.Roots)
	if err != nil {
		return nil, Timestamp{}, err
	}
	info, _ := parseToken(tr.Token.FullBytes)
	if info.tst.Nonce == nil || info.tst.Nonce.Cmp(nonce) != 0 {
		return nil, Timestamp{}, fmt.Errorf("%w: nonce does not match the request", ErrTimestamp)
	}
	return tr.Token.FullBytes, ts, nil
}

type parsedToken struct {
	sd       signedData
	eContent []byte
	tst      tstInfo
	cert     *x509.Certificate
}

func parseToken(token []byte) (parsedToken, error) {
	var pt parsedToken
	var ci contentInfo
	if rest, err := asn1.Unmarshal(token, &ci); err != nil || len(rest) > 0 {
		return pt, fmt.Errorf("%w: token is not a CMS content info", ErrTimestamp)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return pt, fmt.Errorf("%w: token is not signed data", ErrTimestamp)
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &pt.sd); err != nil {
		return pt, fmt.Errorf("%w: signed data: %v", ErrTimestamp, err)
	}
	if !pt.sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return pt, fmt.Errorf("%w: content is not a TSTInfo", ErrTimestamp)
	}
	if ec := pt.sd.EncapContentInfo.EContent; ec.Class != asn1.ClassContextSpecific || ec.Tag != 0 || !ec.IsCompound {
		return pt, fmt.Errorf("%w: no TSTInfo", ErrTimestamp)
	}
	if rest, err := asn1.Unmarshal(pt.sd.EncapContentInfo.EContent.Bytes, &pt.eContent); err != nil || len(rest) > 0 {
		return pt, fmt.Errorf("%w: TSTInfo octets", ErrTimestamp)
	}
	if _, err := asn1.Unmarshal(pt.eContent, &pt.tst); err != nil {
		return pt, fmt.Errorf("%w: TSTInfo: %v", ErrTimestamp, err)
	}
	if len(pt.sd.SignerInfos) != 1 {
		return pt, fmt.Errorf("%w: %d signers, want 1", ErrTimestamp, len(pt.sd.SignerInfos))
	}
	certs, err := x509.ParseCertificates(pt.sd.Certificates.Bytes)
	if err != nil || len(certs) == 0 {
		return pt, fmt.Errorf("%w: no signer certificate in the token", ErrTimestamp)
	}
	// The signer is the certificate that timestamps; the others are its
	// chain.
	pt.cert = certs[0]
	for _, c := range certs {
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageTimeStamping {
				pt.cert = c
			}
		}
	}
	return pt, nil
}

// VerifyTimestamp checks that token is a timestamp over digest (SHA-256)
// signed by the certificate it carries, and, with roots, that the
// certificate chains to them for time stamping.
func VerifyTimestamp(token, digest []byte, roots *x509.CertPool) (Timestamp, error) {
	pt, err := parseToken(token)
	if err != nil {
		return Timestamp{}, err
	}
	if !bytes.Equal(pt.tst.MessageImprint.HashedMessage, digest) {
		return Timestamp{}, fmt.Errorf("%w: it stamps another digest", ErrTimestamp)
	}
	si := pt.sd.SignerInfos[0]
	if err := pt.checkStructure(si); err != nil {
		return Timestamp{}, err
	}
	h, err := hashOf(si.DigestAlgorithm.Algorithm)
	if err != nil {
		return Timestamp{}, err
	}
	content := h.New()
	content.Write(pt.eContent)
	signed := pt.eContent
	if len(si.SignedAttrs.FullBytes) > 0 {
		var attrs []attribute
		// The signature covers the attributes as a SET, not as the
		// [0] IMPLICIT field they are stored in.
		der := append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
		if _, err := asn1.UnmarshalWithParams(der, &attrs, "set"); err != nil {
			return Timestamp{}, fmt.Errorf("%w: signed attributes: %v", ErrTimestamp, err)
		}
		var md []byte
		var ct asn1.ObjectIdentifier
		for _, a := range attrs {
			switch {
			case a.Type.Equal(oidMessageDigest):
				asn1.Unmarshal(a.Values.Bytes, &md)
			case a.Type.Equal(oidContentType):
				asn1.Unmarshal(a.Values.Bytes, &ct)
			}
		}
		if !ct.Equal(oidTSTInfo) {
			return Timestamp{}, fmt.Errorf("%w: signed content type is not a TSTInfo", ErrTimestamp)
		}
		if !bytes.Equal(md, content.Sum(nil)) {
			return Timestamp{}, fmt.Errorf("%w: message digest attribute does not match the TSTInfo", ErrTimestamp)
		}
		signed = der
	}
	alg, err := signatureAlgorithm(si.SignatureAlgorithm.Algorithm, h)
	if err != nil {
		return Timestamp{}, err
	}
	if err := pt.cert.CheckSignature(alg, signed, si.Signature); err != nil {
		return Timestamp{}, fmt.Errorf("%w: signature: %v", ErrTimestamp, err)
	}
	ts := Timestamp{Time: pt.tst.GenTime.UTC(), Serial: pt.tst.SerialNumber.String(), TSA: pt.cert.Subject.String()}
	if roots != nil {
		_, err := pt.cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
		if err != nil {
			return Timestamp{}, fmt.Errorf("%w: signer not trusted: %v", ErrTimestamp, err)
		}
		ts.Trusted = true
	}
	return ts, nil
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// checkStructure holds the unsigned parts of the token to what RFC 5652
// allows, so that no byte of a stored token can change unnoticed: the
// versions, the digest algorithms listed, and the signer identifier, which
// must name the certificate that verifies the signature.
func (pt parsedToken) checkStructure(si signerInfo) error {
	if pt.sd.Version != 1 && pt.sd.Version != 3 {
		return fmt.Errorf("%w: signed data version %d", ErrTimestamp, pt.sd.Version)
	}
	var algs []pkix.AlgorithmIdentifier
	if _, err := asn1.UnmarshalWithParams(pt.sd.DigestAlgorithms.FullBytes, &algs, "set"); err != nil {
		return fmt.Errorf("%w: digest algorithms: %v", ErrTimestamp, err)
	}
	listed := false
	for _, a := range append(algs, si.DigestAlgorithm) {
		if len(a.Parameters.FullBytes) > 0 && !bytes.Equal(a.Parameters.FullBytes, asn1.NullBytes) {
			return fmt.Errorf("%w: digest algorithm with parameters", ErrTimestamp)
		}
	}
	for _, a := range algs {
		listed = listed || a.Algorithm.Equal(si.DigestAlgorithm.Algorithm)
	}
	if !listed {
		return fmt.Errorf("%w: signer's digest algorithm not listed", ErrTimestamp)
	}
	switch {
	case si.Version == 1 && si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if rest, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil || len(rest) > 0 {
			return fmt.Errorf("%w: signer identifier", ErrTimestamp)
		}
		if !bytes.Equal(ias.Issuer.FullBytes, pt.cert.RawIssuer) || ias.Serial.Cmp(pt.cert.SerialNumber) != 0 {
			return fmt.Errorf("%w: signer identifier names another certificate", ErrTimestamp)
		}
	case si.Version == 3 && si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0:
		if !bytes.Equal(si.SID.Bytes, pt.cert.SubjectKeyId) {
			return fmt.Errorf("%w: signer identifier names another key", ErrTimestamp)
		}
	default:
		return fmt.Errorf("%w: signer version %d with that identifier", ErrTimestamp, si.Version)
	}
	return nil
}

func hashOf(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: digest algorithm %v not supported", ErrTimestamp, oid)
}

func signatureAlgorithm(oid asn1.ObjectIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, error) {
	byHash := func(a256, a384, a512 x509.SignatureAlgorithm) x509.SignatureAlgorithm {
		return map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: a256, crypto.SHA384: a384, crypto.SHA512: a512}[h]
	}
	switch {
	case oid.Equal(oidRSA):
		return byHash(x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA), nil
	case oid.Equal(oidRSASHA256):
		return x509.SHA256WithRSA, nil
	case oid.Equal(oidRSASHA384):
		return x509.SHA384WithRSA, nil
	case oid.Equal(oidRSASHA512):
		return x509.SHA512WithRSA, nil
	case oid.Equal(oidECDSA256):
		return x509.ECDSAWithSHA256, nil
	case oid.Equal(oidECDSA384):
		return x509.ECDSAWithSHA384, nil
	case oid.Equal(oidECDSA512):
		return x509.ECDSAWithSHA512, nil
	}
	return 0, fmt.Errorf("%w: signature algorithm %v not supported", ErrTimestamp, oid)
}
