package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
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

// KubeNamespace makes a fresh namespace named PREFIX-RANDOM on the test cluster (deleted when
// the test ends), waits for the controller manager to give it the default service account
// (without which no pod of it is admitted), and returns its name, the cluster's client config
// and a core client.
func KubeNamespace(t testing.TB, prefix string) (string, *rest.Config, coreclient.CoreV1Interface) {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", Kubernetes(t))
	if err != nil {
		t.Fatal(err)
	}
	core, err := coreclient.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	ns := prefix + "-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
	t.Cleanup(func() { core.Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := core.ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return ns, rc, core
		} else if time.Now().After(deadline) {
			t.Fatalf("namespace %s has no default service account after 60s: %v", ns, err)
		}
	}
}
