package chart

import (
	"time"

	"github.com/NimbleMarkets/ntcharts/v2/canvas"
)

// Extent is the time the rows of a time-bucketed answer span (the first and last time under the
// view's filter), which tells whether its first and last buckets are whole.
type Extent struct{ From, To time.Time }

// Partial says which ends of a time-bucketed answer are partial buckets: the first when the
// data starts after its bucket starts, the last when it ends before its bucket ends (a month
// whose data starts on the 6th). A bucket counts as whole when the data covers 98% of it.
type Partial struct{ First, Last bool }

// BucketEnd is where the calendar bucket of unit starting at t ends; false for a unit that is
// not a calendar unit.
func BucketEnd(t time.Time, unit string) (time.Time, bool) {
	switch unit {
	case "minute":
		return t.Add(time.Minute), true
	case "hour":
		return t.Add(time.Hour), true
	case "day":
		return t.AddDate(0, 0, 1), true
	case "week":
		return t.AddDate(0, 0, 7), true
	case "month":
		return t.AddDate(0, 1, 0), true
	case "quarter":
		return t.AddDate(0, 3, 0), true
	case "year":
		return t.AddDate(1, 0, 0), true
	}
	return time.Time{}, false
}

// PartialEnds tells the partial ends of buckets of unit that start at first and last, for data
// spanning e. An empty extent says nothing is partial.
func PartialEnds(first, last time.Time, unit string, e Extent) Partial {
	var p Partial
	if e.From.IsZero() || e.To.IsZero() {
		return p
	}
	covered := func(start time.Time) bool {
		end, ok := BucketEnd(start, unit)
		if !ok {
			return true
		}
		from, to := maxTime(start, e.From), minTime(end, e.To.Add(time.Second)) // the last second counts whole
		return float64(to.Sub(from)) >= 0.98*float64(end.Sub(start))
	}
	p.First = !covered(first)
	p.Last = !covered(last)
	return p
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// partialOf is the partial ends of a pivot's time axis.
func partialOf(ps series, e Extent) Partial {
	if !ps.xDim.time || len(ps.xs) == 0 {
		return Partial{}
	}
	first, ok1 := toTime(ps.xs[0])
	last, ok2 := toTime(ps.xs[len(ps.xs)-1])
	if !ok1 || !ok2 {
		return Partial{}
	}
	p := PartialEnds(first, last, ps.xDim.unit, e)
	if len(ps.xs) == 1 {
		p.Last = p.Last || p.First
		p.First = p.Last
	}
	return p
}

// hatch draws the bar cells of c in columns [x0, x1) and rows [y0, y1) as '░': a partial
// bucket's bar reads as less than whole, with colour or without.
func hatch(c *canvas.Model, x0, x1, y0, y1 int) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			p := canvas.Point{X: x, Y: y}
			if cell := c.Cell(p); cell.Rune != 0 && cell.Rune != ' ' {
				cell.Rune = '░'
				c.SetCell(p, cell)
			}
		}
	}
}
