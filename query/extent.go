package query

import "time"

// ExtentSpec is the Spec asking for the first and last time of spec's calendar bucket column
// (its first date_trunc group-by, whose unit it returns) under spec's filter: min(col) and
// max(col). A chart uses the answer to tell a partial first or last bucket (data that starts on
// the 6th of a month). false when spec groups by no calendar unit.
func ExtentSpec(spec Spec) (q Spec, unit string, ok bool) {
	for _, d := range spec.GroupBy {
		if d.Kind == DimDateTrunc {
			return Spec{Table: spec.Table, Where: spec.Where, Metrics: []Metric{
				{Func: AggMin, Column: d.Column}, {Func: AggMax, Column: d.Column}}}, d.Unit, true
		}
	}
	return Spec{}, "", false
}

// TruncTime is the start of the calendar bucket of unit (minute … year, weeks from Monday, as
// date_trunc) that holds t, in t's location; t itself for a unit that is not one.
func TruncTime(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	switch unit {
	case "minute":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, t.Location())
	case "hour":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, t.Location())
	case "day":
		return day
	case "week":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	case "quarter":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, t.Location())
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
	}
	return t
}
