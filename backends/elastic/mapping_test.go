package elastic

import (
	"encoding/json"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
)

func TestMappingsGolden(t *testing.T) {
	s := query.Schema{Fields: []query.Field{
		{Name: "id", Type: query.TypeInt},
		{Name: "price", Type: query.TypeFloat},
		{Name: "active", Type: query.TypeBool},
		{Name: "category", Type: query.TypeString},
		{Name: "review", Type: query.TypeText, Keyword: "review.keyword"},
		{Name: "notes", Type: query.TypeText}, // text gets a keyword sub-field all the same
		{Name: "shipped_at", Type: query.TypeTime},
		{Name: "day", Type: query.TypeDate},
		{Name: "blob", Type: query.TypeOther},
		{Name: "user.name", Type: query.TypeString},
		{Name: "user.address.city", Type: query.TypeString},
		{Name: "user.age", Type: query.TypeInt},
		{Name: "a", Type: query.TypeString}, // both a field and, below, an object: the object wins
		{Name: "a.b", Type: query.TypeInt},
		{Name: "c.d", Type: query.TypeInt}, // the same, the other way round
		{Name: "c", Type: query.TypeString},
	}}
	got, err := json.MarshalIndent(Mappings(s), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.CheckFile(t, "mappings.golden.json", string(got))
}
