package jobscreen

import (
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	_ "github.com/dora-dev/dora/pipelines/jobs/kubernetes"
)

// A run on the kubernetes runner (the control plane of scripts/kubernetes, kwok for its node)
// shows like the others, with where it runs: its namespace, its pod and the pod's node.
func TestAKubernetesRunShowsItsNamespacePodAndNode(t *testing.T) {
	testenv.Kubernetes(t)
	t.Setenv("DORA_KUBE_NAMESPACE", "default")
	h := newHarness(t, map[string]string{"kube": `name: kube
image: registry.local/kube:1
command: [/kube]
runner: kubernetes
tags: {stage.dora.test/hold: "true"}
`})
	h.Keys("n", "ctrl+r")
	h.Until("the run to be placed on the node", func() bool {
		return h.m.Detail() != nil && h.m.Detail().State == jobs.Running && strings.Contains(h.m.Detail().Place, "node")
	})
	scr := h.Screen()
	if !strings.Contains(scr, "kubernetes") || !strings.Contains(scr, "on namespace default · pod dora-kube-") || !strings.Contains(scr, "node kwok-node-0") {
		t.Errorf("the run view should say where the run is:\n%s", scr)
	}
	h.Keys("c")
	h.Until("the run to be cancelled", func() bool { return h.m.Detail().State == jobs.Cancelled })
}
