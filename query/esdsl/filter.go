package esdsl

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dora-dev/dora/query"
)

// dateFormat is the format filter times are written in; a full timestamp never leaves
// components for Elasticsearch to fill in (it rounds a bare day up for lte and gt).
const dateFormat = "strict_date_optional_time"

// translator turns WHERE expressions into query clauses with SQL's three-valued logic: a
// predicate on a null column is neither true nor false, so NOT (a = 1) does not match rows where
// a is null, as it does not in SQL.
type translator struct {
	schema query.Schema
	now    time.Time
	merge  bool // groups are merged in dora (derived.go): averages are planned as stats
	// scripting: the cluster runs Painless, so what no aggregation expresses is scripted
	scripting bool
}

// where returns the query clause for a WHERE expression, nil for none.
func (t translator) where(e query.Expr) (any, error) {
	if e == nil {
		return nil, nil
	}
	terms := []query.Expr{e}
	if a, ok := e.(query.And); ok {
		terms = a.Terms
	}
	filter := make([]any, 0, len(terms))
	for _, x := range terms {
		c, err := t.truth(x)
		if err != nil {
			return nil, err
		}
		filter = append(filter, c)
	}
	return obj{"bool": obj{"filter": filter}}, nil
}

// truth matches the documents where e is true.
func (t translator) truth(e query.Expr) (any, error) {
	switch x := e.(type) {
	case query.And:
		cs, err := t.each(x.Terms, t.truth)
		return obj{"bool": obj{"filter": cs}}, err
	case query.Or:
		cs, err := t.each(x.Terms, t.truth)
		return obj{"bool": obj{"should": cs, "minimum_should_match": 1}}, err
	case query.Not:
		return t.falsity(x.X)
	}
	return t.predicate(e)
}

// falsity matches the documents where e is false: not where it is unknown because a column is
// null.
func (t translator) falsity(e query.Expr) (any, error) {
	switch x := e.(type) {
	case query.And:
		cs, err := t.each(x.Terms, t.falsity)
		return obj{"bool": obj{"should": cs, "minimum_should_match": 1}}, err
	case query.Or:
		cs, err := t.each(x.Terms, t.falsity)
		return obj{"bool": obj{"filter": cs}}, err
	case query.Not:
		return t.truth(x.X)
	case query.IsNull:
		return t.truth(query.IsNull{Column: x.Column, Not: !x.Not})
	}
	c, err := t.predicate(e)
	if err != nil {
		return nil, err
	}
	return t.negate(query.ColumnOf(e), c)
}

// negate matches documents that have the column and do not match c.
func (t translator) negate(column string, c any) (any, error) {
	f, err := t.field(column)
	if err != nil {
		return nil, err
	}
	return obj{"bool": obj{"filter": []any{exists(f.Name)}, "must_not": []any{c}}}, nil
}

func (t translator) each(es []query.Expr, fn func(query.Expr) (any, error)) ([]any, error) {
	out := make([]any, len(es))
	for i, e := range es {
		var err error
		if out[i], err = fn(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func exists(field string) obj { return obj{"exists": obj{"field": field}} }

func (t translator) field(name string) (query.Field, error) {
	f, ok := t.schema.Field(name)
	if !ok {
		return query.Field{}, fmt.Errorf("unknown column %q in table %s", name, t.schema.Table)
	}
	return f, nil
}

// exact returns the field that holds a column's whole values: a text field's keyword sub-field.
func (t translator) exact(name, use string) (string, query.Field, error) {
	f, err := t.field(name)
	if err != nil {
		return "", f, err
	}
	if f.Type != query.TypeText {
		return f.Name, f, nil
	}
	if f.Keyword == "" {
		return "", f, fmt.Errorf("cannot use %s in %s: it is full text (analysed) with no keyword sub-field, so its whole values are not indexed; use match(%s, 'words')",
			f.Name, use, query.QuoteIdent(f.Name))
	}
	return keywordField(f), f, nil
}

// keywordField returns the full name of a text field's keyword sub-field. Field.Keyword may
// hold the full name ("title.keyword") or only the sub-field's ("keyword"), which has no dot.
func keywordField(f query.Field) string {
	if strings.Contains(f.Keyword, ".") {
		return f.Keyword
	}
	return f.Name + "." + f.Keyword
}

func (t translator) predicate(e query.Expr) (any, error) {
	switch x := e.(type) {
	case query.Compare:
		name, f, err := t.exact(x.Column, "a comparison")
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case query.OpEq:
			return t.equal(name, f, x.Value), nil
		case query.OpNe:
			return t.negate(x.Column, t.equal(name, f, x.Value))
		}
		op := map[query.Op]string{query.OpLt: "lt", query.OpLe: "lte", query.OpGt: "gt", query.OpGe: "gte"}[x.Op]
		if op == "" {
			return nil, fmt.Errorf("unknown operator %q", x.Op)
		}
		return t.rangeOf(name, f, obj{op: t.value(f, x.Value)}), nil
	case query.In:
		name, f, err := t.exact(x.Column, "IN")
		if err != nil {
			return nil, err
		}
		if f.Type.Temporal() {
			cs := make([]any, len(x.Values))
			for i, v := range x.Values {
				cs[i] = t.equal(name, f, v)
			}
			return obj{"bool": obj{"should": cs, "minimum_should_match": 1}}, nil
		}
		vs := make([]any, len(x.Values))
		for i, v := range x.Values {
			vs[i] = t.value(f, v)
		}
		return obj{"terms": obj{name: vs}}, nil
	case query.Between:
		name, f, err := t.exact(x.Column, "BETWEEN")
		if err != nil {
			return nil, err
		}
		return t.rangeOf(name, f, obj{"gte": t.value(f, x.Low), "lte": t.value(f, x.High)}), nil
	case query.IsNull:
		f, err := t.field(x.Column)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return exists(f.Name), nil
		}
		return obj{"bool": obj{"must_not": []any{exists(f.Name)}}}, nil
	case query.Like:
		name, f, err := t.exact(x.Column, "LIKE")
		if err != nil {
			return nil, err
		}
		return likeQuery(name, f, x), nil
	case query.PartTest:
		return t.partQuery(x)
	case query.Match:
		f, err := t.field(x.Column)
		if err != nil {
			return nil, err
		}
		words := strings.Fields(x.Text)
		if len(words) == 0 {
			return exists(f.Name), nil
		}
		if f.Type == query.TypeText {
			return obj{"match": obj{f.Name: obj{"query": x.Text, "operator": "and"}}}, nil
		}
		// A keyword holds its value whole, so match means what it means on DuckDB: every word
		// appears somewhere in the value, ignoring case.
		cs := make([]any, len(words))
		for i, w := range words {
			p := []piece{{wild: '%'}}
			for _, r := range w {
				p = append(p, piece{r: r})
			}
			cs[i] = caseless(f.Name, append(p, piece{wild: '%'}))
		}
		if len(cs) == 1 {
			return cs[0], nil
		}
		return obj{"bool": obj{"filter": cs}}, nil
	}
	return nil, fmt.Errorf("unknown filter %T", e)
}

// equal matches one value. Times are compared as a one-millisecond range, which holds whatever
// format the field's mapping reads.
func (t translator) equal(name string, f query.Field, v query.Value) any {
	if f.Type.Temporal() {
		tv := t.value(f, v)
		return t.rangeOf(name, f, obj{"gte": tv, "lte": tv})
	}
	return obj{"term": obj{name: obj{"value": t.value(f, v)}}}
}

func (t translator) rangeOf(name string, f query.Field, bounds obj) any {
	if f.Type.Temporal() {
		bounds["format"] = dateFormat
	}
	return obj{"range": obj{name: bounds}}
}

// value is a literal as a JSON value.
func (t translator) value(f query.Field, v query.Value) any {
	if v.Kind == query.KindRelNow {
		if t.now.IsZero() {
			return dateMath(v)
		}
		v = v.Resolve(t.now)
	}
	if v.Kind == query.KindTime {
		return formatTime(v.Time)
	}
	return v.Any()
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// dateMath writes now() or current_date +/- INTERVAL as Elasticsearch date math (now/d is the
// start of today in UTC, the query's time zone).
func dateMath(v query.Value) string {
	base, i := "now", v.Ago
	if v.Today {
		base = "now/d"
	}
	if i.N == 0 {
		return base
	}
	op := "-"
	if v.Ahead {
		op = "+"
	}
	n, unit := i.N, ""
	switch i.Unit {
	case "second":
		unit = "s"
	case "minute":
		unit = "m"
	case "hour":
		unit = "h"
	case "day":
		unit = "d"
	case "week":
		unit = "w"
	case "month":
		unit = "M"
	case "quarter":
		n, unit = 3*n, "M"
	case "year":
		unit = "y"
	}
	return base + op + strconv.Itoa(n) + unit
}

// likeQuery matches a LIKE pattern natively: exists for '%', term for a pattern without
// wildcards, prefix for 'abc%', and otherwise a wildcard query (% is *, _ is ?); ILIKE is
// caseless.
func likeQuery(name string, f query.Field, x query.Like) any {
	if x.Pattern == "%" {
		return exists(f.Name)
	}
	var ps []piece
	var lit strings.Builder
	wild := false
	rs := []rune(x.Pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case x.Escape != "" && string(r) == x.Escape && i+1 < len(rs):
			i++
			ps = append(ps, piece{r: rs[i]})
			lit.WriteRune(rs[i])
		case r == '%' || r == '_':
			ps = append(ps, piece{wild: r})
			wild = true
		default:
			ps = append(ps, piece{r: r})
			lit.WriteRune(r)
		}
	}
	if x.ILike {
		return caseless(name, ps)
	}
	if !wild {
		return obj{"term": obj{name: obj{"value": lit.String()}}}
	}
	if p, ok := x.LikePrefix(); ok {
		return obj{"prefix": obj{name: obj{"value": p}}}
	}
	return obj{"wildcard": obj{name: obj{"value": wildcardOf(ps)}}}
}

// piece is one element of a LIKE pattern: a literal rune, or the wildcard '%' or '_'.
type piece struct {
	r    rune
	wild rune
}

// spell writes the pattern with many and one for '%' and '_' and lit for each literal rune.
func spell(ps []piece, many, one string, lit func(rune) string) string {
	var b strings.Builder
	for _, p := range ps {
		switch p.wild {
		case '%':
			b.WriteString(many)
		case '_':
			b.WriteString(one)
		default:
			b.WriteString(lit(p.r))
		}
	}
	return b.String()
}

func wildcardOf(ps []piece) string {
	return spell(ps, "*", "?", func(r rune) string { return escapeWildcard(string(r)) })
}

// caseless matches the pattern ignoring case as DuckDB's ILIKE does: a character matches every
// character with the same lower case. The wildcard query's case_insensitive folds ASCII letters
// only, so a pattern with a letter whose case has a non-ASCII form (Ü, ï, and k, whose upper
// cases include the Kelvin sign) becomes a regexp query that spells each such letter's cases
// out as a character class.
func caseless(name string, ps []piece) any {
	fold := false
	for _, p := range ps {
		if p.wild == 0 && !asciiCases(p.r) {
			fold = true
			break
		}
	}
	if !fold {
		return obj{"wildcard": obj{name: obj{"value": wildcardOf(ps), "case_insensitive": true}}}
	}
	return obj{"regexp": obj{name: obj{"value": spell(ps, ".*", ".", regexpCases), "flags": "NONE"}}}
}

// sameLower lists the runes whose lower case is r's, r first: what DuckDB's ILIKE, which lowers
// both sides rune by rune, takes for r. İ (U+0130) lowers to i, so i's list holds it.
func sameLower(r rune) []rune {
	lower := unicode.ToLower(r)
	rs := []rune{r}
	if lower != r {
		rs = append(rs, lower)
	}
	for _, c := range uppersOf()[lower] {
		if c != r {
			rs = append(rs, c)
		}
	}
	return rs
}

// uppersOf maps each rune to the other runes that lower to it, in code point order.
var uppersOf = sync.OnceValue(func() map[rune][]rune {
	m := map[rune][]rune{}
	for c := rune(0); c <= unicode.MaxRune; c++ {
		if l := unicode.ToLower(c); l != c {
			m[l] = append(m[l], c)
		}
	}
	return m
})

// asciiCases reports whether r's cases are all ASCII, which case_insensitive folds.
func asciiCases(r rune) bool {
	for _, c := range sameLower(r) {
		if c > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// regexpCases is r as a Lucene regular expression matching each rune with r's lower case. Every
// rune other than a letter or digit is escaped, so none is taken for an operator.
func regexpCases(r rune) string {
	quote := func(c rune) string {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			return string(c)
		}
		return `\` + string(c)
	}
	cs := sameLower(r)
	if len(cs) == 1 {
		return quote(r)
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, c := range cs {
		b.WriteString(quote(c))
	}
	b.WriteByte(']')
	return b.String()
}

// escapeWildcard makes * ? and \ in a word match only themselves in a wildcard pattern.
func escapeWildcard(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
