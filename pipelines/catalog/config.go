package catalog

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dora-dev/dora/internal/xdg"
)

// Config names where tables live.
type Config struct {
	// Catalog is "sqlite:PATH", "postgres://..." (or postgresql://), or "http(s)://..." for an
	// Iceberg REST catalog; "" means sqlite:$XDG_DATA_HOME/dora/catalog.db.
	Catalog string
	// Warehouse is a local folder or s3://bucket/root; "" means $XDG_DATA_HOME/dora/warehouse.
	Warehouse string
}

// Resolve fills empty fields from DORA_CATALOG / DORA_WAREHOUSE, then the defaults.
func (c Config) Resolve() Config {
	if c.Catalog == "" {
		c.Catalog = os.Getenv("DORA_CATALOG")
	}
	if c.Catalog == "" {
		c.Catalog = "sqlite:" + filepath.Join(xdg.DataDir(), "catalog.db")
	}
	if c.Warehouse == "" {
		c.Warehouse = os.Getenv("DORA_WAREHOUSE")
	}
	if c.Warehouse == "" {
		c.Warehouse = filepath.Join(xdg.DataDir(), "warehouse")
	}
	return c
}

// Env sets DORA_CATALOG and DORA_WAREHOUSE in env, for a run (a job) that opens the same
// catalog. A postgres catalog's password goes into PGPASSWORD, which the driver reads when the
// URL has none and which a run record shows as **** (its name ends in PASSWORD), where the URL
// would show it.
func (c Config) Env(env map[string]string) {
	env["DORA_WAREHOUSE"] = c.Warehouse
	u, err := url.Parse(c.Catalog)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env["PGPASSWORD"] = pw
			u.User = url.User(u.User.Username())
			c.Catalog = u.String()
		}
	}
	env["DORA_CATALOG"] = c.Catalog
}

// String describes it for messages, never printing a password in a postgres URL.
func (c Config) String() string {
	return fmt.Sprintf("catalog %s, warehouse %s", redact(c.Catalog), c.Warehouse)
}

// redact hides the password and any password-like query parameter of a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if isURL(s) { // unparseable, so it may hold a password anywhere
			return strings.SplitN(s, "://", 2)[0] + "://(unreadable URL)"
		}
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(k), "token") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func isURL(s string) bool { return strings.Contains(s, "://") }

// kind says which catalog the Catalog field names.
type kind int

const (
	kindSQLite kind = iota
	kindPostgres
	kindREST
)

func (c Config) kind() (kind, error) {
	switch {
	case strings.HasPrefix(c.Catalog, "sqlite:"):
		return kindSQLite, nil
	case strings.HasPrefix(c.Catalog, "postgres://"), strings.HasPrefix(c.Catalog, "postgresql://"):
		return kindPostgres, nil
	case strings.HasPrefix(c.Catalog, "http://"), strings.HasPrefix(c.Catalog, "https://"):
		return kindREST, nil
	}
	return 0, fmt.Errorf("catalog %q: want sqlite:PATH, postgres://..., or an http(s):// Iceberg REST URL", redact(c.Catalog))
}

// warehouseProps turns the warehouse into iceberg-go properties: its location as a URL and, for
// s3://, what the S3 file IO needs. Credentials stay with the AWS default chain, which iceberg-go
// consults itself; the endpoint (AWS_ENDPOINT_URL_S3, path-style) and region are passed on.
func warehouseProps(ctx context.Context, warehouse string) (map[string]string, error) {
	props := map[string]string{}
	if strings.HasPrefix(warehouse, "s3://") {
		props["warehouse"] = strings.TrimRight(warehouse, "/")
		if ep := os.Getenv("AWS_ENDPOINT_URL_S3"); ep != "" {
			props[icebergio.S3EndpointURL] = ep
		}
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("warehouse %s: reading the AWS configuration: %w", warehouse, err)
		}
		region := cfg.Region
		if region == "" {
			region = "us-east-1"
		}
		props[icebergio.S3Region] = region
		return props, nil
	}
	if isURL(warehouse) && !strings.HasPrefix(warehouse, "file://") {
		return nil, fmt.Errorf("warehouse %s: want a local folder or s3://bucket/root", warehouse)
	}
	dir := strings.TrimPrefix(warehouse, "file://")
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", warehouse, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("creating the warehouse folder: %w", err)
	}
	props["warehouse"] = (&url.URL{Scheme: "file", Path: abs}).String()
	return props, nil
}
