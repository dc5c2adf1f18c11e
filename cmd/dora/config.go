package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/xdg"
)

// config is the user's file at $XDG_CONFIG_HOME/dora/config.yaml:
//
//	default: prod
//	backends:
//	  prod: https://es.internal:9200
//	  local: duckdb:~/warehouse.duckdb
//	  logs:                               # a cluster behind a custom endpoint or a tunnel
//	    url: https://search.example.com
//	    auth: aws                           # sign with SigV4 (the AWS default credential chain)
//	    service: aoss                       # es (domains, the default) or aoss (Serverless)
//	    region: eu-west-1                   # else the host's region, else AWS_REGION
type config struct {
	Default  string                  `yaml:"default"`
	Backends map[string]backendEntry `yaml:"backends"`
	// Catalog and Warehouse are where dora etl keeps its tables, under DORA_CATALOG and
	// DORA_WAREHOUSE.
	Catalog   string `yaml:"catalog"`
	Warehouse string `yaml:"warehouse"`
}

// backendEntry is one named backend: its URL, and for a cluster that needs it, how requests are
// signed. In the file it is the URL alone, or a mapping with url: and the settings.
type backendEntry struct {
	URL     string `yaml:"url"`
	Auth    string `yaml:"auth"`    // "aws" or "none"; DORA_AUTH, when set, wins
	Service string `yaml:"service"` // "es" or "aoss"; DORA_AWS_SERVICE, when set, wins
	Region  string `yaml:"region"`  // DORA_AWS_REGION, when set, wins
}

// UnmarshalYAML reads an entry written as a URL or as a mapping.
func (e *backendEntry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&e.URL)
	}
	type plain backendEntry
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	if p.URL == "" {
		return fmt.Errorf("line %d: a backend written as a mapping needs url:", n.Line)
	}
	switch strings.ToLower(p.Auth) {
	case "", "aws", "none":
	default:
		return fmt.Errorf("line %d: auth: %q: want aws (sign requests with SigV4) or none", n.Line, p.Auth)
	}
	*e = backendEntry(p)
	return nil
}

// apply hands the entry's signing settings to the Elasticsearch/OpenSearch backend, which reads
// them from the environment; a variable the user set wins over the file.
func (e backendEntry) apply() {
	for _, s := range []struct{ env, val string }{
		{elastic.AuthEnv, strings.ToLower(e.Auth)},
		{elastic.ServiceEnv, strings.ToLower(e.Service)},
		{elastic.RegionEnv, e.Region},
	} {
		if s.val != "" && os.Getenv(s.env) == "" {
			os.Setenv(s.env, s.val)
		}
	}
}

func configPath() string {
	dir := xdg.ConfigDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "config.yaml")
}

func loadConfig() (config, error) {
	var c config
	path := configPath()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) || path == "" {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return c, usageError{fmt.Errorf("reading %s: %w", path, err)}
	}
	return c, nil
}

// backendURL picks the backend: the --backend flag, else DORA_BACKEND, else the config file's
// default, else the demo warehouse. A name from the config file stands for its URL, and sets
// how requests to it are signed (backendEntry.apply).
func backendURL(flag string) (string, error) {
	c, err := loadConfig()
	if err != nil {
		return "", err
	}
	choice := backendChoice(flag, c)
	if choice == "" || choice == "demo" && c.Backends["demo"].URL == "" {
		return "duckdb:" + duckdb.DemoPath(), nil
	}
	if e, ok := c.Backends[choice]; ok {
		e.apply()
		return e.URL, nil
	}
	if !strings.Contains(choice, ":") {
		names := make([]string, 0, len(c.Backends))
		for n := range c.Backends {
			names = append(names, n)
		}
		return "", usageError{fmt.Errorf("no backend named %q in %s (names: %s); use a URL such as duckdb:PATH or http://host:9200", choice, configPath(), strings.Join(names, ", "))}
	}
	return choice, nil
}

// backendChoice is what the backend is chosen by, before a config name is looked up: the flag,
// else DORA_BACKEND, else the config file's default; "" for the demo warehouse.
func backendChoice(flag string, c config) string {
	choice := flag
	if choice == "" {
		choice = os.Getenv("DORA_BACKEND")
	}
	if choice == "" {
		choice = c.Default
	}
	return choice
}

// openBackend opens the chosen backend, first building the demo warehouse if that is the choice
// and it is not there yet, or rebuilding it if it was built on an earlier day.
func openBackend(ctx context.Context, flag string) (backends.Backend, error) {
	url, err := backendURL(flag)
	if err != nil {
		return nil, err
	}
	return openURL(ctx, url)
}

// openBackendToWrite is openBackend for a command that writes tables: a DuckDB file that does not
// exist yet is created, with its folder, rather than refused.
func openBackendToWrite(ctx context.Context, flag string) (backends.Backend, error) {
	url, err := backendURL(flag)
	if err != nil {
		return nil, err
	}
	if path, ok := duckdb.PathOf(url); ok && url != "duckdb:"+duckdb.DemoPath() {
		return duckdb.OpenToWrite(ctx, path)
	}
	return openURL(ctx, url)
}

func openURL(ctx context.Context, url string) (backends.Backend, error) {
	if url == "duckdb:"+duckdb.DemoPath() {
		if err := duckdb.EnsureDemo(ctx, duckdb.DemoPath(), os.Stderr); err != nil {
			return nil, err
		}
	}
	return backends.Open(ctx, url)
}
