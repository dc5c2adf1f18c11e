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
	"github.com/dora-dev/dora/internal/xdg"
)

// config is the user's file at $XDG_CONFIG_HOME/dora/config.yaml:
//
//	default: prod
//	backends:
//	  prod: https://es.internal:9200
//	  local: duckdb:~/warehouse.duckdb
type config struct {
	Default  string            `yaml:"default"`
	Backends map[string]string `yaml:"backends"`
	// Catalog and Warehouse are where dora etl keeps its tables, under DORA_CATALOG and
	// DORA_WAREHOUSE.
	Catalog   string `yaml:"catalog"`
	Warehouse string `yaml:"warehouse"`
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
// default, else the demo warehouse. A name from the config file stands for its URL.
func backendURL(flag string) (string, error) {
	c, err := loadConfig()
	if err != nil {
		return "", err
	}
	choice := backendChoice(flag, c)
	if choice == "" || choice == "demo" && c.Backends["demo"] == "" {
		return "duckdb:" + duckdb.DemoPath(), nil
	}
	if url, ok := c.Backends[choice]; ok {
		return url, nil
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
