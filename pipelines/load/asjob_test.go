package load

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/query"
)

func TestJobGroupRunsShardsThenThePublish(t *testing.T) {
	retries := jobs.Retries{Attempts: 3, OnExitCodes: []int{1, 3}, OnInfraFailure: true}
	env := LaunchEnv([]string{"AWS_REGION=us-east-1", "AWS_SECRET_ACCESS_KEY=s=cret", "ELASTICSEARCH_API_KEY=k", "HOME=/root", "DORA_BACKEND=x"})
	if want := map[string]string{"AWS_REGION": "us-east-1", "AWS_SECRET_ACCESS_KEY": "s=cret", "ELASTICSEARCH_API_KEY": "k"}; !reflect.DeepEqual(env, want) {
		t.Errorf("LaunchEnv: %v, want %v", env, want)
	}
	g, err := JobGroup(JobOptions{
		Load: Options{Source: "s3://b/in/", Table: "orders", IDColumns: []string{"order_id", "day"}, Workers: 8, Version: "v1", Keep: 3,
			Types: map[string]query.Type{"zip": query.TypeString, "amount": query.TypeFloat}},
		Backend: "http://127.0.0.1:9200", Shards: 3, Runner: "docker", Image: "dora:dev", Retries: retries, Env: env,
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.Job != "load orders" || g.Runner != "docker" || len(g.Children) != 3 || g.Publish == nil || !reflect.DeepEqual(g.Env, env) {
		t.Fatalf("group %+v", g)
	}
	for i, c := range g.Children {
		want := []string{"load", "s3://b/in/", "--table", "orders", "--version", "v1", "--backend", "http://127.0.0.1:9200",
			"--id", "order_id,day", "--type", "amount=float,zip=string", "--workers", "8", "--shard", fmt.Sprintf("%d/3", i)}
		if !reflect.DeepEqual(c.Command, want) {
			t.Errorf("shard %d runs %q, want %q", i, c.Command, want)
		}
		if c.Name != fmt.Sprintf("load orders shard %d/3", i) || c.Image != "dora:dev" || !reflect.DeepEqual(c.Retries, retries) {
			t.Errorf("shard %d: %+v", i, c)
		}
	}
	if want := []string{"load", "--table", "orders", "--version", "v1", "--backend", "http://127.0.0.1:9200", "--publish", "--keep", "3"}; !reflect.DeepEqual(g.Publish.Command, want) {
		t.Errorf("publish runs %q, want %q", g.Publish.Command, want)
	}

	// The local runner starts the binary itself; a version is made when none is given.
	g, err = JobGroup(JobOptions{Load: Options{Source: "/data/in", Table: "t"}, Backend: "duckdb:/w.duckdb", Shards: 1, Runner: "local", Dora: "/bin/dora"})
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Children[0].Command; c[0] != "/bin/dora" || c[1] != "load" || c[len(c)-1] != "0/1" || c[5] != "--version" || c[6] == "" {
		t.Errorf("local shard runs %q", c)
	}

	for _, bad := range []struct {
		o    JobOptions
		want string
	}{
		{JobOptions{Load: Options{Source: "s3://b/", Table: "t"}, Backend: "duckdb:/w.duckdb", Shards: 2, Runner: "docker", Image: "i"}, "cannot reach the DuckDB file"},
		{JobOptions{Load: Options{Source: "s3://b/", Table: "t"}, Backend: "http://es:9200", Shards: 2, Runner: "docker", Image: "i", Mapping: "/m.json"}, "--mapping"},
		{JobOptions{Load: Options{Source: "s3://b/", Table: "t"}, Backend: "http://es:9200", Shards: 2, Runner: "ecs"}, "needs an image"},
		{JobOptions{Load: Options{Source: "s3://b/", Table: "t"}, Backend: "http://es:9200", Shards: 0, Runner: "docker", Image: "i"}, "at least one shard"},
	} {
		if _, err := JobGroup(bad.o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want an error saying %q", bad.o, err, bad.want)
		}
	}
}

// TestMoreShardsThanFiles: a shard with no file of its own succeeds doing nothing, so a job may
// ask for more shards than the source has files; one shard of one (0/1) waits for the publish
// like any shard, so retrying it writes into the same version.
func TestMoreShardsThanFiles(t *testing.T) { onEachNode(t, testMoreShardsThanFiles) }

func testMoreShardsThanFiles(t *testing.T) {
	e := setup(t)
	var all []orderRow
	for i := range 3 {
		rows := orders(1+i*500, 500)
		all = append(all, rows...)
		e.put(t, fmt.Sprintf("in/part-%d.csv", i), csvOf(rows))
	}
	table := tableName(t)
	for shard := range 5 {
		sum, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Shard: shard, Shards: 5,
			Version: "s5", IDColumns: []string{"order_id"}, DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"),
			Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
		if err != nil {
			t.Fatalf("shard %d/5: %v", shard, err)
		}
		if want := int64(500); shard >= 3 && sum.RowsRead != 0 || shard < 3 && sum.RowsRead != want || sum.Published {
			t.Errorf("shard %d/5: %+v", shard, sum)
		}
	}
	if _, err := Publish(context.Background(), e.es, table, "s5", 0); err != nil {
		t.Fatal(err)
	}
	checkTable(t, e.es, table, all)

	one := tableName(t)
	for try := range 2 {
		sum, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: one, Shard: 0, Shards: 1,
			Version: "s1", IDColumns: []string{"order_id"}, DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"),
			Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
		if err != nil || sum.Published || sum.RowsRead != int64(len(all)) {
			t.Fatalf("shard 0/1, try %d: %+v, %v", try, sum, err)
		}
	}
	if _, err := Publish(context.Background(), e.es, one, "s1", 0); err != nil {
		t.Fatal(err)
	}
	checkTable(t, e.es, one, all)
}

// ParseTypes reads what FormatTypes writes, takes several flags and comma lists and other names
// of the types, and names what it refuses.
func TestParseTypes(t *testing.T) {
	got, err := ParseTypes([]string{"zip=keyword, amount=DOUBLE", "at=timestamp"})
	want := map[string]query.Type{"zip": query.TypeString, "amount": query.TypeFloat, "at": query.TypeTime}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseTypes = %v, %v; want %v", got, err, want)
	}
	if back, err := ParseTypes([]string{FormatTypes(got)}); err != nil || !reflect.DeepEqual(back, got) {
		t.Errorf("FormatTypes does not read back: %q gives %v, %v", FormatTypes(got), back, err)
	}
	for in, msg := range map[string]string{"zip": "want COLUMN=TYPE", "zip=money": `type "money" is not one of`,
		"zip=int,zip=float": `"zip" is named twice`, "=int": "want COLUMN=TYPE"} {
		if _, err := ParseTypes([]string{in}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseTypes(%q) = %v, want an error saying %q", in, err, msg)
		}
	}
}
