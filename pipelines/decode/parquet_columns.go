package decode

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// chunkReader reads one column chunk of a row group a batch of rows at a time, for a file with
// no repeated column, where each row holds exactly one value (maybe null) of each column. It
// moves across its own pages: the pages of different columns end at different rows.
type chunkReader struct {
	pages  parquet.Pages
	page   parquet.Page        // the page being read
	values parquet.ValueReader // what is left of page
	done   []parquet.Page      // pages read to their end, given back at the next batch
	batch  []parquet.Value     // the column's values of the batch, one a row
}

// fillColumns reads the next batch of rows column by column, opening row groups as the
// previous ones run out.
func (d *parquetDecoder) fillColumns() error {
	// The last batch is handed out: its strings, which point into these pages, are done with.
	for i := range d.chunks {
		d.chunks[i].release()
	}
	for d.left == 0 {
		for i := range d.chunks {
			if err := d.chunks[i].close(); err != nil {
				return fmt.Errorf("reading %s: %w", d.key, err)
			}
		}
		if len(d.groups) == 0 {
			return io.EOF
		}
		g := d.groups[0]
		d.groups = d.groups[1:]
		chunks := g.ColumnChunks()
		if len(chunks) != len(d.chunks) {
			return fmt.Errorf("reading %s: a row group of %d columns, not %d", d.key, len(chunks), len(d.chunks))
		}
		for i, chunk := range chunks {
			d.chunks[i].pages = chunk.Pages()
		}
		d.left = g.NumRows()
	}
	n := int(min(d.left, parquetBatch))
	for i := range d.chunks {
		if err := d.chunks[i].read(n); err != nil {
			return fmt.Errorf("reading %s: column %s: %w", d.key, d.cols[i].name, err)
		}
	}
	d.left -= int64(n)
	d.n, d.i = n, 0
	return nil
}

// read reads the column's values of the next n rows into batch.
func (r *chunkReader) read(n int) error {
	if cap(r.batch) < n {
		r.batch = make([]parquet.Value, parquetBatch)
	}
	r.batch = r.batch[:n]
	for got := 0; got < n; {
		if r.values == nil {
			p, err := r.pages.ReadPage()
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%d values short of its row group's rows: %w", n-got, io.ErrUnexpectedEOF)
			}
			if err != nil {
				return err
			}
			r.page, r.values = p, p.Values()
		}
		k, err := r.values.ReadValues(r.batch[got:])
		got += k
		switch {
		case errors.Is(err, io.EOF):
			r.done = append(r.done, r.page)
			r.page, r.values = nil, nil
		case err != nil:
			return err
		case k == 0:
			return io.ErrNoProgress
		}
	}
	return nil
}

// release gives back to parquet-go's buffer pool the pages finished in the last batch.
func (r *chunkReader) release() {
	for _, p := range r.done {
		parquet.Release(p)
	}
	clear(r.done)
	r.done = r.done[:0]
}

// close gives back all the chunk's pages and closes it.
func (r *chunkReader) close() error {
	r.release()
	if r.page != nil {
		parquet.Release(r.page)
		r.page, r.values = nil, nil
	}
	if r.pages == nil {
		return nil
	}
	err := r.pages.Close()
	r.pages = nil
	return err
}
