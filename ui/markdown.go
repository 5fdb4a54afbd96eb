package ui

import "strings"

// block is one block of release notes: the changelog's Markdown, read for
// the few forms Slipway's changelog writes (headings, bullet lists,
// paragraphs). Everything is shown as text; html/template escapes it, so a
// commit message cannot put markup on the page.
type block struct {
	Kind  string   // h2, h3, h4, ul, p
	Text  string   // headings and paragraphs
	Items []string // list items
}

// markdown splits release notes into blocks. A "#" heading becomes h2
// (the page's h1 is its title), "##" h3, deeper ones h4; "* " and "- "
// lines are list items; other lines join into paragraphs.
func markdown(src string) []block {
	var out []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, block{Kind: "p", Text: strings.Join(para, " ")})
			para = nil
		}
	}
	for _, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		l := strings.TrimSpace(raw)
		switch {
		case l == "":
			flush()
		case strings.HasPrefix(l, "#"):
			flush()
			n := len(l) - len(strings.TrimLeft(l, "#"))
			text := strings.TrimSpace(l[n:])
			if text == "" {
				continue
			}
			kind := "h4"
			switch n {
			case 1:
				kind = "h2"
			case 2:
				kind = "h3"
			}
			out = append(out, block{Kind: kind, Text: inline(text)})
		case strings.HasPrefix(l, "* "), strings.HasPrefix(l, "- "):
			flush()
			item := inline(strings.TrimSpace(l[2:]))
			if n := len(out); n > 0 && out[n-1].Kind == "ul" {
				out[n-1].Items = append(out[n-1].Items, item)
			} else {
				out = append(out, block{Kind: "ul", Items: []string{item}})
			}
		default:
			para = append(para, inline(l))
		}
	}
	flush()
	return out
}

// inline drops Markdown's emphasis marks and shows a link as its text
// followed by its target in parentheses.
func inline(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	var b strings.Builder
	for len(s) > 0 {
		i := strings.Index(s, "[")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "](")
		k := -1
		if j >= 0 {
			k = strings.Index(s[i+j:], ")")
		}
		if j < 0 || k < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		text, target := s[i+1:i+j], s[i+j+2:i+j+k]
		b.WriteString(text)
		if target != "" && target != text {
			b.WriteString(" (" + target + ")")
		}
		s = s[i+j+k+1:]
	}
	return b.String()
}
