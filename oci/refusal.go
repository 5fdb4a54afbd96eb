package oci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway/trust"
)

// Refusal is intake saying no: which rule failed, about which image, what
// was found and what to do. errors.Is matches ErrRefused and, by rule,
// ErrNotFound, ErrUnsigned, ErrUntrusted (the signature rules) or
// ErrRequirement (SBOM, provenance, platforms).
type Refusal struct {
	Rule trust.Rule
	Ref  Reference
	// Message says what failed, naming the image.
	Message string
	// Details say why each signature or attestation found was not accepted.
	Details []string
}

func (r *Refusal) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s refused by rule %s: %s", r.Ref, r.Rule, r.Message)
	if len(r.Details) > 0 {
		b.WriteString(" (" + strings.Join(r.Details, "; ") + ")")
	}
	b.WriteString(": " + r.Rule.Fix())
	return b.String()
}

// Fix says what to do next.
func (r *Refusal) Fix() string { return r.Rule.Fix() }

// Unwrap lets errors.Is see ErrRefused and the rule's kind of error.
func (r *Refusal) Unwrap() []error { return []error{ErrRefused, ruleError(r.Rule)} }

func ruleError(rule trust.Rule) error {
	switch rule {
	case trust.RuleNotFound:
		return ErrNotFound
	case trust.RuleUnsigned:
		return ErrUnsigned
	case trust.RuleUntrustedKey, trust.RuleUntrustedCertificate, trust.RuleIssuerMismatch, trust.RuleIdentityMismatch,
		trust.RuleTamperedPayload, trust.RuleTlogMissing, trust.RuleWrongDigest, trust.RuleWrongRepository:
		return ErrUntrusted
	}
	return ErrRequirement
}

// AsRefusal returns the Refusal in err's chain, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

func refuse(ref Reference, rule trust.Rule, details []string, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Ref: ref, Message: fmt.Sprintf(format, args...), Details: details}
}

// signatureRulePrecedence orders the reasons a signature can be refused,
// most telling first: a signature by a trusted signer that fails on its
// content says more than one by a stranger.
var signatureRulePrecedence = []trust.Rule{
	trust.RuleWrongDigest, trust.RuleWrongRepository, trust.RuleTlogMissing, trust.RuleTamperedPayload,
	trust.RuleIdentityMismatch, trust.RuleIssuerMismatch, trust.RuleUntrustedCertificate, trust.RuleUntrustedKey,
}

// mostTelling returns the first rule of order that occurs in got, or
// fallback.
func mostTelling(got []*trust.Rejection, order []trust.Rule, fallback trust.Rule) trust.Rule {
	for _, rule := range order {
		for _, r := range got {
			if r.Rule == rule {
				return rule
			}
		}
	}
	return fallback
}
