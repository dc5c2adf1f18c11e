"""Reads an Iceberg table with pyiceberg, independently of dora, and prints what it found as JSON.

    python iceberg_read.py --catalog URI --warehouse W --table ns.table [--snapshot ID]

--catalog is the SQL catalog's database: a SQLite file path (or sqlite:///path), or a PostgreSQL
URL (postgres://... or postgresql://..., read through psycopg2). The catalog is SqlCatalog named
"dora". --warehouse is a local folder or s3://bucket/prefix; for S3 the endpoint, keys and region
come from AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_REGION. --snapshot reads that snapshot instead of the current one.

Prints one JSON object:
    {"snapshots": [ids in commit order], "current": id or null, "snapshot": the id read or null,
     "columns": [names], "types": [Iceberg types], "rows": [[...], ...] sorted}
Values: numbers and strings as they are; decimals as strings; dates, times and timestamps in
ISO 8601; binary and fixed as hex; UUIDs as strings. On failure it prints one line to stderr,
"iceberg_read: ...", and exits 2 (no such table) or 1 (anything else).
"""

import argparse
import datetime
import decimal
import json
import os
import sys
import uuid


def fail(msg, code=1):
    print("iceberg_read: " + msg, file=sys.stderr)
    sys.exit(code)


def catalog_uri(c):
    if c.startswith("postgres://"):
        return "postgresql+psycopg2://" + c[len("postgres://"):]
    if c.startswith("postgresql://"):
        return "postgresql+psycopg2://" + c[len("postgresql://"):]
    if c.startswith("postgresql+") or c.startswith("sqlite:"):
        return c
    return "sqlite:///" + os.path.abspath(c)


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return str(v)


def sort_key(row):
    # Nulls first, then by value; values that do not compare (lists, maps) by their JSON text.
    key = []
    for v in row:
        if v is None:
            key.append((0, 0, ""))
        elif isinstance(v, (bool, int, float)):
            key.append((1, v, ""))
        elif isinstance(v, str):
            key.append((2, 0, v))
        else:
            key.append((3, 0, json.dumps(v, sort_keys=True)))
    return key


def main():
    ap = argparse.ArgumentParser(description="Read an Iceberg table with pyiceberg and print JSON.")
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--table", required=True, help="namespace.table")
    ap.add_argument("--snapshot", type=int, default=0, help="snapshot id (0: the current one)")
    args = ap.parse_args()

    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.exceptions import NoSuchTableError, NoSuchNamespaceError

    props = {"uri": catalog_uri(args.catalog), "warehouse": args.warehouse}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        props["s3.endpoint"] = endpoint
    for env, prop in (
        ("AWS_ACCESS_KEY_ID", "s3.access-key-id"),
        ("AWS_SECRET_ACCESS_KEY", "s3.secret-access-key"),
        ("AWS_SESSION_TOKEN", "s3.session-token"),
        ("AWS_REGION", "s3.region"),
    ):
        if os.environ.get(env):
            props[prop] = os.environ[env]

    try:
        catalog = SqlCatalog("dora", **props)
    except Exception as e:  # a bad URI, an unreachable server
        fail(f"cannot open SqlCatalog at {args.catalog}: {type(e).__name__}: {e}")
    try:
        table = catalog.load_table(args.table)
    except (NoSuchTableError, NoSuchNamespaceError) as e:
        fail(f"no such table {args.table} in catalog {args.catalog}: {e}", 2)

    meta = table.metadata
    snapshots = sorted(meta.snapshots, key=lambda s: (s.sequence_number or 0, s.timestamp_ms))
    current = meta.current_snapshot_id
    if current is not None and current < 0:
        current = None
    read_id = args.snapshot or current
    if args.snapshot and table.snapshot_by_id(args.snapshot) is None:
        fail(f"table {args.table} has no snapshot {args.snapshot} (it has {[s.snapshot_id for s in snapshots]})", 1)

    schema = table.schema()
    rows = []
    if read_id is not None:
        scan = table.scan(snapshot_id=read_id)
        schema = scan.projection()  # the schema of the snapshot read
        arrow = scan.to_arrow()
        rows = [[jsonable(v) for v in r.values()] for r in arrow.to_pylist()]
        rows.sort(key=sort_key)
    columns = [f.name for f in schema.fields]
    types = [str(f.field_type) for f in schema.fields]

    json.dump(
        {
            "snapshots": [s.snapshot_id for s in snapshots],
            "current": current,
            "snapshot": read_id,
            "columns": columns,
            "types": types,
            "rows": rows,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
