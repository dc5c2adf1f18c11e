package elastic

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// tagVersion marks an index's mappings as version version of table, in their _meta, so that
// PruneVersions can tell the table's versions from other indices whose names share its prefix
// (orders-eu, or an index someone made by hand).
func tagVersion(mappings map[string]any, table, version string) {
	meta, _ := mappings["_meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["dora"] = map[string]any{"table": table, "version": version}
	mappings["_meta"] = meta
}

// legacyVersion is the suffix of a version written before versions were tagged: a timestamp,
// 20240102t030405 (dora load) or 20240102030405 (a Sink with no version).
var legacyVersion = regexp.MustCompile(`^[0-9]{8}t?[0-9]{6}$`)

// tableOf returns the table index is a version of, given the table its mapping is tagged with
// ("" when untagged), or "" when it is no version.
func tableOf(index, tagged string) string {
	if tagged != "" {
		if strings.HasPrefix(index, tagged+"-") {
			return tagged
		}
		return ""
	}
	cut := strings.LastIndex(index, "-")
	if cut > 0 && legacyVersion.MatchString(index[cut+1:]) {
		return index[:cut]
	}
	return ""
}

// taggedMapping is the part of a mapping tagVersion writes.
type taggedMapping struct {
	Meta struct {
		Dora struct {
			Table string `json:"table"`
		} `json:"dora"`
	} `json:"_meta"`
}

// versionTags returns the table each tagged version index of the cluster belongs to.
func (b *Backend) versionTags(ctx context.Context) (map[string]string, error) {
	body, err := b.do(ctx, "GET", "/_mapping?expand_wildcards=open&filter_path=*.mappings._meta.dora.table", nil)
	if err != nil {
		return nil, err
	}
	var indices map[string]struct {
		Mappings taggedMapping `json:"mappings"`
	}
	if err := json.Unmarshal(body, &indices); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(indices))
	for name, i := range indices {
		out[name] = i.Mappings.Meta.Dora.Table
	}
	return out, nil
}

// version is one versioned index of a table.
type version struct {
	index   string
	created int64 // milliseconds since 1970
	live    bool  // the table's alias points at it
	loading bool  // still being written, or left by a crashed load for --resume
}

// PruneVersions deletes the oldest versions of table, keeping the newest keep of them (the
// version the alias points at counts, and is never deleted), and returns the indices it deleted.
// A version that is still being written, or that a crashed load left to be resumed, is neither
// counted nor deleted. Versions are the indices <table>-<version> that a load wrote for table.
func (b *Backend) PruneVersions(ctx context.Context, table string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("keeping %d versions of %s: at least the published one must stay", keep, table)
	}
	vs, err := b.versions(ctx, table)
	if err != nil {
		return nil, err
	}
	// Newest first; the name breaks ties, as versions are timestamps.
	slices.SortFunc(vs, func(a, b version) int {
		return cmp.Or(cmp.Compare(b.created, a.created), strings.Compare(b.index, a.index))
	})
	kept := 0
	for _, v := range vs {
		if v.live {
			kept++
		}
	}
	var doomed []string
	for _, v := range vs {
		switch {
		case v.live || v.loading:
		case kept < keep:
			kept++
		default:
			doomed = append(doomed, v.index)
		}
	}
	var deleted []string
	for _, index := range doomed {
		if _, err := b.do(ctx, "DELETE", "/"+url.PathEscape(index), nil); err != nil {
			return deleted, fmt.Errorf("deleting the old version %s of %s: %w", index, table, err)
		}
		deleted = append(deleted, index)
	}
	return deleted, nil
}

// versions lists the versioned indices of table.
func (b *Backend) versions(ctx context.Context, table string) ([]version, error) {
	body, err := b.do(ctx, "GET", "/"+url.PathEscape(table+"-*")+"?expand_wildcards=open&filter_path=*.aliases,*.mappings._meta.dora,*.settings.index.creation_date,*.settings.index.refresh_interval", nil)
	if err != nil {
		return nil, fmt.Errorf("listing the versions of %s: %w", table, err)
	}
	var indices map[string]struct {
		Aliases  map[string]json.RawMessage `json:"aliases"`
		Mappings taggedMapping              `json:"mappings"`
		Settings struct {
			Index struct {
				CreationDate    string `json:"creation_date"`
				RefreshInterval string `json:"refresh_interval"`
			} `json:"index"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(body, &indices); err != nil {
		return nil, fmt.Errorf("listing the versions of %s: %w", table, err)
	}
	var out []version
	for name, i := range indices {
		if tableOf(name, i.Mappings.Meta.Dora.Table) != table {
			continue
		}
		created, _ := strconv.ParseInt(i.Settings.Index.CreationDate, 10, 64)
		_, live := i.Aliases[table]
		out = append(out, version{index: name, created: created, live: live, loading: i.Settings.Index.RefreshInterval == "-1"})
	}
	return out, nil
}
