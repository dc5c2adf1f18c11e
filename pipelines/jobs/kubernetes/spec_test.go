package kubernetes

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/dora-dev/dora/pipelines/jobs"
)

func TestJobNamesAreDNSLabelsThatSayWhatRuns(t *testing.T) {
	for _, tc := range []struct {
		task jobs.Task
		want string
	}{
		{jobs.Task{Job: "nightly-score", RunID: "1m8re6z0m2zdv", Attempt: 2}, "dora-nightly-score-1m8re6z0m2zdv-2"},
		{jobs.Task{Job: "load orders shard 3/16", RunID: "1m8re6z0m2zdv", Attempt: 1}, "dora-load-orders-shard-3-16-1m8re6z0m2zdv-1"},
		{jobs.Task{Job: "etl Shop.Orders_" + strings.Repeat("x", 80), RunID: "1m8re6z0m2zdv", Attempt: 10}, ""},
		{jobs.Task{Job: "---", RunID: "1m8re6z0m2zdv", Attempt: 1}, "dora-1m8re6z0m2zdv-1"},
	} {
		got := jobName(tc.task)
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("%q: %q is not a DNS label: %v", tc.task.Job, got, errs)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("%q: %q, want %q", tc.task.Job, got, tc.want)
		}
		if !strings.HasSuffix(got, "-1m8re6z0m2zdv-"+itoa(tc.task.Attempt)) {
			t.Errorf("%q: %q lost its run and attempt", tc.task.Job, got)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTagsThatAreNotLabelTextBecomeAnnotations(t *testing.T) {
	r := &Runner{cfg: Config{Namespace: "batch", TTL: time.Hour}}
	labels, ann := r.labels(jobs.Task{Job: "load orders shard 0/4", RunID: "abc", Attempt: 1,
		Tags: map[string]string{"load": "orders", "version": "2026/12/06 one", "dora.run": "forged"}})
	if labels["load"] != "orders" || labels["dora.run"] != "abc" || labels["dora.job"] != "load-orders-shard-0-4" || labels["dora.attempt"] != "1" {
		t.Errorf("labels %v", labels)
	}
	if ann["version"] != "2026/12/06 one" || ann["dora.job"] != "load orders shard 0/4" || labels["version"] != "" {
		t.Errorf("annotations %v", ann)
	}
}
