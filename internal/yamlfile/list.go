package yamlfile

import "gopkg.in/yaml.v3"

// StringList is a list of single values; a single value alone is taken as a list of one.
func (f *File) StringList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		f.Errorf(n, "%s should be a list, as in [a, b], not %s", what, Describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := f.Scalar(c, what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}
