package deprecation

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Removed finds the entries of component a release removes: each one a
// `Removes:` footer names (by id, or by its what in any case and
// spacing), and each one whose what (of two words or more: one word is
// too common to match on) appears in a breaking-change note of the release
// (case-insensitive, whitespace folded, not as part of a longer word).
// Entries already removed are skipped. unknown lists the Removes: values
// that name no entry (a typo, most likely).
func (r *Register) Removed(component string, removes, notes []string) (idx []int, unknown []string) {
	hit := map[int]bool{}
	for _, ref := range removes {
		i := r.Find(component, ParseRemoves(ref))
		if i < 0 {
			unknown = append(unknown, ParseRemoves(ref))
			continue
		}
		hit[i] = true
	}
	var folded []string
	for _, n := range notes {
		f, _ := fold(n)
		folded = append(folded, strings.ToLower(f))
	}
	for i, e := range r.Entries {
		if e.Component != component || hit[i] {
			continue
		}
		what, _ := fold(e.What)
		what = strings.ToLower(what)
		if !strings.Contains(what, " ") {
			continue
		}
		for _, n := range folded {
			if containsPhrase(n, what) {
				hit[i] = true
				break
			}
		}
	}
	for i := range r.Entries {
		if hit[i] && r.Entries[i].RemovedIn == "" {
			idx = append(idx, i)
		}
	}
	return idx, unknown
}

// containsPhrase reports whether phrase occurs in s with no letter or
// digit right before or after it ("orders" is not in "reorders").
func containsPhrase(s, phrase string) bool {
	if phrase == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(s[off:], phrase)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(phrase)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[j:])
		if !isWord(before) && !isWord(after) {
			return true
		}
		off = i + 1
	}
}

func isWord(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
