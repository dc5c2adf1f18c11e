package testenv

import (
	"errors"
	"os"
	"sync"
	"testing"
)

var (
	kubeOnce   sync.Once
	kubeConfig string
	kubeErr    string
)

// Kubernetes returns the kubeconfig of a running test cluster: $DORA_TEST_KUBECONFIG, or the
// control plane scripts/kubernetes starts (a real kube-apiserver, etcd, controller manager and
// scheduler built from Go modules, with kwok standing in for kubelets; the first start builds it,
// which takes minutes). KUBECONFIG is set to it for the rest of the process, so client-go's
// default loading (and dora's kubernetes runner) reaches it. $KUBECONFIG alone is never used:
// the tests create and delete namespaces, which no one's real cluster should see.
func Kubernetes(t testing.TB) string {
	t.Helper()
	kubeOnce.Do(func() {
		if p := os.Getenv("DORA_TEST_KUBECONFIG"); p != "" {
			if _, err := os.Stat(p); err != nil {
				kubeErr = "DORA_TEST_KUBECONFIG: " + err.Error()
				return
			}
			kubeConfig = p
		} else {
			env, err := startScript("kubernetes")
			if err == nil && env["KUBECONFIG"] == "" {
				err = errors.New("it printed no KUBECONFIG")
			}
			if err != nil {
				kubeErr = "could not start a control plane with scripts/kubernetes: " + err.Error()
				return
			}
			kubeConfig = env["KUBECONFIG"]
		}
		os.Setenv("KUBECONFIG", kubeConfig)
	})
	if kubeConfig == "" {
		Unavailable(t, kubeErr)
	}
	return kubeConfig
}
