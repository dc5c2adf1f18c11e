package testenv

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  string
)

// Moto returns the endpoint of a running moto server, the stand-in for Amazon ECS and
// CloudWatch Logs (moto answers their APIs and keeps their state but runs no containers):
// $AWS_ENDPOINT_URL_ECS, or a server started with scripts/moto (left running, and reused by the
// next run). What scripts/moto prints (the ECS and CloudWatch Logs endpoints, and dummy keys
// and region where none are set) is set for the rest of the process, so AWS clients built from
// the default configuration reach it.
func Moto(t testing.TB) string {
	t.Helper()
	motoOnce.Do(func() {
		if u := os.Getenv("AWS_ENDPOINT_URL_ECS"); u != "" {
			if os.Getenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") == "" {
				motoErr = "AWS_ENDPOINT_URL_ECS is set but AWS_ENDPOINT_URL_CLOUDWATCH_LOGS is not (scripts/moto start prints both)"
				return
			}
			if err := pingMoto(u); err != nil {
				motoErr = "AWS_ENDPOINT_URL_ECS=" + u + " is not a moto server that answers: " + err.Error()
				return
			}
			motoURL = u
			return
		}
		// Reuse a server an earlier test run left, rather than start one per run.
		env, err := startScript("moto", "MOTO_REUSE=1")
		if err == nil && env["AWS_ENDPOINT_URL_ECS"] == "" {
			err = errors.New("it printed no AWS_ENDPOINT_URL_ECS")
		}
		if err != nil {
			motoErr = "could not start moto with scripts/moto: " + err.Error()
			return
		}
		for k, v := range env {
			os.Setenv(k, v)
		}
		motoURL = env["AWS_ENDPOINT_URL_ECS"]
	})
	if motoURL == "" {
		Unavailable(t, motoErr)
	}
	return motoURL
}

// pingMoto asks moto's own API for its state, which only a moto server answers.
func pingMoto(u string) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(strings.TrimRight(u, "/") + "/moto-api/data.json")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// startScript runs scripts/NAME start, with env added to the environment, and returns the
// variables its export lines set.
func startScript(name string, env ...string) (map[string]string, error) {
	cmd := exec.Command("bash", filepath.Join(Root(), "scripts", name), "start")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	vars := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
	}
	return vars, err
}
