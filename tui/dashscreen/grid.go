package dashscreen

import (
	"strings"

	"github.com/dora-dev/dora/dash"
)

// Rect is a panel's place on the screen, in cells.
type Rect struct{ X, Y, W, H int }

// The grid's limits: below stackWidth the panels stack in one column; a grid row is never lower
// than minRowH, nor a column narrower than minColW.
const (
	stackWidth = 100
	minColW    = 24
	minRowH    = 7
	// naturalRowH is a grid row's height when the height is not given (a text snapshot).
	naturalRowH = 10
)

// Columns is how many grid columns fit in width w, for a dashboard that asks for want.
func Columns(want, w int) int {
	if w < stackWidth {
		return 1
	}
	return max(1, min(want, w/minColW))
}

// Grid places panels row-major through a grid of columns (from Columns) in w x h cells: each
// panel at the first free place its width and height spans fit, spans cut to the grid. Rows share
// the height, each at least minRowH, so the grid may be taller than h (the screen scrolls; a
// snapshot prints it all); h <= 0 gives rows their natural height. It returns each panel's Rect
// and the grid's height.
func Grid(panels []dash.Panel, columns, w, h int) ([]Rect, int) {
	return gridWith(panels, columns, w, h, minRowH)
}

// gridWith is Grid with rows of at least minRow lines.
func gridWith(panels []dash.Panel, columns, w, h, minRow int) ([]Rect, int) {
	type cell struct{ row, col, w, h int }
	var taken [][]bool
	free := func(r, c, sw, sh int) bool {
		for y := r; y < r+sh; y++ {
			for x := c; x < c+sw; x++ {
				if y < len(taken) && taken[y][x] {
					return false
				}
			}
		}
		return true
	}
	cells := make([]cell, len(panels))
	rows := 0
	for i, p := range panels {
		sw, sh := min(max(1, p.Width), columns), max(1, p.Height)
		for r := 0; ; r++ {
			placed := false
			for c := 0; c+sw <= columns; c++ {
				if !free(r, c, sw, sh) {
					continue
				}
				for len(taken) < r+sh {
					taken = append(taken, make([]bool, columns))
				}
				for y := r; y < r+sh; y++ {
					for x := c; x < c+sw; x++ {
						taken[y][x] = true
					}
				}
				cells[i], placed = cell{r, c, sw, sh}, true
				rows = max(rows, r+sh)
				break
			}
			if placed {
				break
			}
		}
	}
	rowH := make([]int, rows+1) // rowY[r]: where row r starts
	height := 0
	for r := 0; r < rows; r++ {
		rowH[r] = height
		switch {
		case h <= 0:
			height += naturalRowH
		case h/rows >= minRow:
			height += h / rows
			if r < h%rows {
				height++
			}
		default:
			height += minRow
		}
	}
	rowH[rows] = height
	colX := make([]int, columns+1)
	for c := 0; c < columns; c++ {
		colX[c+1] = colX[c] + w/columns
		if c < w%columns {
			colX[c+1]++
		}
	}
	out := make([]Rect, len(panels))
	for i, c := range cells {
		out[i] = Rect{X: colX[c.col], Y: rowH[c.row], W: colX[c.col+c.w] - colX[c.col], H: rowH[c.row+c.h] - rowH[c.row]}
	}
	return out, height
}

// compose lays drawn panels (each exactly its Rect's size) into lines from..to of the grid,
// filling cells no panel covers with spaces.
func compose(drawn []string, rects []Rect, w, from, to int) string {
	split := make([][]string, len(drawn))
	for i, d := range drawn {
		split[i] = strings.Split(d, "\n")
	}
	lines := make([]string, 0, to-from)
	for y := from; y < to; y++ {
		var b strings.Builder
		x := 0
		for _, i := range byX(rects, y) {
			r := rects[i]
			b.WriteString(strings.Repeat(" ", max(0, r.X-x)))
			if y-r.Y < len(split[i]) {
				b.WriteString(split[i][y-r.Y])
			}
			x = r.X + r.W
		}
		b.WriteString(strings.Repeat(" ", max(0, w-x)))
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n")
}

// byX returns the panels that cover line y, left to right.
func byX(rects []Rect, y int) []int {
	var out []int
	for i, r := range rects {
		if y >= r.Y && y < r.Y+r.H {
			out = append(out, i)
		}
	}
	for a := 1; a < len(out); a++ { // a handful of panels: insertion sort
		for b := a; b > 0 && rects[out[b]].X < rects[out[b-1]].X; b-- {
			out[b], out[b-1] = out[b-1], out[b]
		}
	}
	return out
}

// neighbour is the panel nearest to panel i in a direction (dx, dy of -1, 0 or 1), or i itself.
func neighbour(rects []Rect, i, dx, dy int) int {
	cur := rects[i]
	best, bestScore := i, 1<<30
	cx, cy := cur.X+cur.W/2, cur.Y+cur.H/2
	for j, r := range rects {
		if j == i {
			continue
		}
		var gap, off int
		switch {
		case dx > 0 && r.X >= cur.X+cur.W:
			gap, off = r.X-(cur.X+cur.W), overlapOff(cur.Y, cur.H, r.Y, r.H, cy)
		case dx < 0 && r.X+r.W <= cur.X:
			gap, off = cur.X-(r.X+r.W), overlapOff(cur.Y, cur.H, r.Y, r.H, cy)
		case dy > 0 && r.Y >= cur.Y+cur.H:
			gap, off = r.Y-(cur.Y+cur.H), overlapOff(cur.X, cur.W, r.X, r.W, cx)
		case dy < 0 && r.Y+r.H <= cur.Y:
			gap, off = cur.Y-(r.Y+r.H), overlapOff(cur.X, cur.W, r.X, r.W, cx)
		default:
			continue
		}
		if score := gap*4 + off; score < bestScore {
			best, bestScore = j, score
		}
	}
	return best
}

// overlapOff is 0 when span b overlaps span a, else how far b lies from a's centre c.
func overlapOff(a, aw, b, bw, c int) int {
	if b < a+aw && a < b+bw {
		return 0
	}
	if b >= a+aw {
		return b - c
	}
	return c - (b + bw)
}
