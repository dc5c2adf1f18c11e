package views

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 keeps comments and order but not blank lines, and it misplaces two kinds of comment.
// What is here puts them back.

// headLines is how many lines a node's head comment takes, blank lines in it included.
func headLines(n *yaml.Node) int {
	if n.HeadComment == "" {
		return 0
	}
	return strings.Count(n.HeadComment, "\n") + 1
}

// walkBlock calls fn on every item of a block sequence and every key of a block mapping but its
// first, which stands where the mapping does.
func walkBlock(n *yaml.Node, fn func(*yaml.Node)) {
	block := n.Style&yaml.FlowStyle == 0
	for i, c := range n.Content {
		if block && (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode && i%2 == 0 && i > 0) {
			fn(c)
		}
		walkBlock(c, fn)
	}
}

// blankBefore marks the keys and items that a blank line sets apart in src.
func blankBefore(doc *yaml.Node, src []byte) map[*yaml.Node]bool {
	lines := bytes.Split(src, []byte("\n"))
	marks := map[*yaml.Node]bool{}
	walkBlock(doc, func(n *yaml.Node) {
		top := n.Line - headLines(n) // 1-based line of the node or of its comment
		if top >= 2 && top-2 < len(lines) && len(bytes.TrimSpace(lines[top-2])) == 0 {
			marks[n] = true
		}
	})
	return marks
}

// restoreBlankLines puts a blank line back before each marked node of doc in out, the text doc
// was encoded as: out is read again to learn where each node landed.
func restoreBlankLines(doc *yaml.Node, marks map[*yaml.Node]bool, out []byte) ([]byte, error) {
	if len(marks) == 0 {
		return out, nil
	}
	var again yaml.Node
	if err := yaml.Unmarshal(out, &again); err != nil {
		return nil, fmt.Errorf("writing saved views: the YAML written does not read back: %w", err)
	}
	var mine, theirs []*yaml.Node // the same nodes in doc and in again, in the same walk order
	walkBlock(doc, func(n *yaml.Node) { mine = append(mine, n) })
	walkBlock(&again, func(n *yaml.Node) { theirs = append(theirs, n) })
	if len(mine) != len(theirs) {
		return out, nil // cannot happen; the text is right without the blank lines anyway
	}
	lines := strings.Split(string(out), "\n")
	before := map[int]bool{} // 1-based lines of out to set a blank line before
	for i, n := range mine {
		if marks[n] {
			before[theirs[i].Line-headLines(theirs[i])] = true
		}
		if strings.HasSuffix(n.HeadComment, "\n") { // a blank line between the comment and n
			before[theirs[i].Line] = true
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if before[i+1] && i > 0 && strings.TrimSpace(lines[i-1]) != "" {
			b.WriteString("\n")
		}
		b.WriteString(l)
		if i < len(lines)-1 {
			b.WriteString("\n")
		}
	}
	return []byte(b.String()), nil
}

// fixComments puts back two comments yaml.v3 reads into the wrong place, each a foot comment it
// would write after the wrong node: one that follows a flow mapping or list (written inside its
// braces), and one between two views with a blank line after it (written after the next view's
// first key). Each becomes the head comment of the node it stands above, or the foot comment of
// its parent when nothing follows.
func fixComments(n *yaml.Node, lines []string) {
	for i, c := range n.Content {
		fixComments(c, lines)
		if n.Kind == yaml.DocumentNode {
			continue
		}
		if c.Style&yaml.FlowStyle != 0 && c.FootComment != "" {
			foot := c.FootComment
			c.FootComment = ""
			if i+1 < len(n.Content) {
				addHead(n.Content[i+1], foot, lines)
			} else {
				n.FootComment = strings.TrimSuffix(foot+"\n"+n.FootComment, "\n")
			}
		}
		if n.Kind == yaml.SequenceNode && c.Kind == yaml.MappingNode && len(c.Content) > 0 {
			if k := c.Content[0]; k.FootComment != "" && above(k.FootComment, c.Line, lines) {
				foot := k.FootComment
				k.FootComment = ""
				addHead(c, foot, lines)
			}
		}
	}
}

// above reports whether the last line of comment stands in lines above line (1-based).
func above(comment string, line int, lines []string) bool {
	last := comment[strings.LastIndex(comment, "\n")+1:]
	for i := min(line-1, len(lines)) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) == strings.TrimSpace(last) {
			return true
		}
	}
	return false
}

// addHead puts comment on top of n's head comment; a blank line just above n stays between them.
func addHead(n *yaml.Node, comment string, lines []string) {
	switch {
	case n.HeadComment != "":
		n.HeadComment = comment + "\n" + n.HeadComment
	case n.Line >= 2 && n.Line-2 < len(lines) && strings.TrimSpace(lines[n.Line-2]) == "":
		n.HeadComment = comment + "\n"
	default:
		n.HeadComment = comment
	}
}
