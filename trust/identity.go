package trust

import (
	"fmt"
	"regexp"
	"strings"
)

// Identity is one keyless signer: the OIDC issuer recorded in a Fulcio
// certificate and its subject (the certificate's Subject Alternative Name),
// each matched exactly or by a Go regular expression, as cosign's
// --certificate-oidc-issuer[-regexp] and --certificate-identity[-regexp] do.
// Like cosign's, the regular expressions are unanchored: write ^ and $.
type Identity struct {
	Issuer        string
	IssuerRegExp  *regexp.Regexp
	Subject       string
	SubjectRegExp *regexp.Regexp
}

// NewIdentity builds an identity from its configured strings: exactly one of
// issuer and issuerRE, and one of subject and subjectRE, must be set.
func NewIdentity(issuer, issuerRE, subject, subjectRE string) (Identity, error) {
	var id Identity
	var err error
	if id.Issuer, id.IssuerRegExp, err = exactOrRegExp("issuer", issuer, issuerRE); err != nil {
		return Identity{}, err
	}
	if id.Subject, id.SubjectRegExp, err = exactOrRegExp("subject", subject, subjectRE); err != nil {
		return Identity{}, err
	}
	return id, nil
}

func exactOrRegExp(what, exact, re string) (string, *regexp.Regexp, error) {
	switch {
	case exact != "" && re != "":
		return "", nil, fmt.Errorf("identity gives both %s and %sRegExp: keep one", what, what)
	case exact != "":
		return exact, nil, nil
	case re != "":
		r, err := regexp.Compile(re)
		if err != nil {
			return "", nil, fmt.Errorf("identity %sRegExp %q: %v", what, re, err)
		}
		return "", r, nil
	}
	return "", nil, fmt.Errorf("identity has no %s: give %s or %sRegExp", what, what, what)
}

// MatchesIssuer reports whether a certificate's OIDC issuer is this identity's.
func (id Identity) MatchesIssuer(issuer string) bool {
	return match(id.Issuer, id.IssuerRegExp, issuer)
}

// MatchesSubject reports whether a certificate's subject is this identity's.
func (id Identity) MatchesSubject(subject string) bool {
	return match(id.Subject, id.SubjectRegExp, subject)
}

func match(exact string, re *regexp.Regexp, s string) bool {
	if re != nil {
		return re.MatchString(s)
	}
	return exact != "" && s == exact
}

// String is "subject from issuer", regular expressions written as /re/.
func (id Identity) String() string {
	return describe(id.Subject, id.SubjectRegExp) + " from " + describe(id.Issuer, id.IssuerRegExp)
}

func describe(exact string, re *regexp.Regexp) string {
	if re != nil {
		return "/" + re.String() + "/"
	}
	return exact
}

func describeIdentities(ids []Identity) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, "; ")
}
