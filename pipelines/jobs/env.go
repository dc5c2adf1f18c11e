package jobs

import (
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
)

// Redacted is what a secret's value shows as.
const Redacted = "****"

var secretSuffixes = []string{"KEY", "SECRET", "PASSWORD", "TOKEN", "CREDENTIALS"}

// IsSecret reports whether an env variable's value is a secret: its name ends in KEY, SECRET,
// PASSWORD, TOKEN or CREDENTIALS (in any case). Secrets reach the task unchanged and show as
// **** everywhere dora prints them.
func IsSecret(name string) bool {
	up := strings.ToUpper(name)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(up, s) {
			return true
		}
	}
	return false
}

// urlPassword is the password of a URL written into a value (postgres://user:pw@host).
var urlPassword = regexp.MustCompile(`(://[^/\s:@]*:)[^@\s/]+@`)

// RedactEnv is env with the secrets' values replaced by ****, and so is any URL password
// inside another value (a pipeline file's catalog: postgres://user:pw@host).
func RedactEnv(env map[string]string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		if IsSecret(k) {
			v = Redacted
		} else {
			v = urlPassword.ReplaceAllString(v, "${1}"+Redacted+"@")
		}
		out[k] = v
	}
	return out
}

// EnvLine prints env as NAME=value pairs sorted by name, secrets redacted, for log headers.
func EnvLine(env map[string]string) string {
	red := RedactEnv(env)
	names := make([]string, 0, len(red))
	for k := range red {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + red[k]
	}
	return strings.Join(parts, " ")
}

// RunEnv is the env a run sees: the definition's, then the overrides, then what dora sets
// (DORA_RUN_ID, DORA_JOB, and DORA_PARENT_RUN_ID for a child), each winning over the one before.
func RunEnv(def *Definition, overrides map[string]string, runID, parentID string) map[string]string {
	env := maps.Clone(def.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, overrides)
	env["DORA_RUN_ID"] = runID
	env["DORA_JOB"] = def.Name
	if parentID != "" {
		env["DORA_PARENT_RUN_ID"] = parentID
	}
	return env
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ExpandCommand replaces each ${VAR} in the argv with its value in env; a variable env does not
// have is an error that says how to give it.
func ExpandCommand(argv []string, env map[string]string) ([]string, error) {
	out := make([]string, len(argv))
	var missing []string
	for i, a := range argv {
		out[i] = varRef.ReplaceAllStringFunc(a, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v, ok := env[name]
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the command uses ${%s}, which the job's env does not set: add it under env: or give --env %s=VALUE", missing[0], missing[0])
	}
	return out, nil
}

// ParseOverrides reads --env K=V flags.
func ParseOverrides(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !envName.MatchString(k) {
			return nil, fmt.Errorf("--env %q: want NAME=VALUE, the name letters, digits and '_'", p)
		}
		out[k] = v
	}
	return out, nil
}
