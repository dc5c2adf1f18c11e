"""The seed's loader, as `make bench-load` runs it against dora: PySpark 3.5 reads the Parquet
files and writes them into an existing Elasticsearch index with Elastic's elasticsearch-hadoop
connector (org.elasticsearch.spark.sql), on local[2].

    spark-submit --jars CONNECTOR.jar scripts/sparkload.py PARQUET_DIR ES_URL INDEX ID_COLUMN BATCH_BYTES

ES_URL is the pass-through proxy of scripts/esproxy (the connector asks `GET /`, which the
integ-test node refuses). Documents get deterministic ids from ID_COLUMN (es.mapping.id), as dora's
`--id` gives them. Spark 3.5 reads Parquet timestamps without a zone as TIMESTAMP_NTZ, which the
connector cannot write: they are cast to TIMESTAMP with the session zone UTC, so the documents
carry the same instants dora sends. Prints `seconds=S`: the time from
reading the files to the last bulk answered, leaving out the JVM's and the session's start.
"""
import sys
import time
from urllib.parse import urlparse

from pyspark.sql import SparkSession, functions as F, types as T

src, es_url, index, id_col, batch_bytes = sys.argv[1:6]
u = urlparse(es_url)
spark = (SparkSession.builder.appName("dora-bench-load-spark").master("local[2]")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("WARN")

t0 = time.perf_counter()
df = spark.read.parquet(src)
for f in df.schema.fields:
    if isinstance(f.dataType, T.TimestampNTZType):
        df = df.withColumn(f.name, F.col(f.name).cast(T.TimestampType()))
(df.write.format("org.elasticsearch.spark.sql")
   .option("es.nodes", u.hostname).option("es.port", str(u.port))
   .option("es.nodes.wan.only", "true")          # every request through ES_URL, no discovery
   .option("es.resource", index)
   .option("es.index.auto.create", "false")      # the bench made the index with dora's mapping
   .option("es.mapping.id", id_col)
   .option("es.batch.size.bytes", batch_bytes)
   .option("es.batch.size.entries", "0")         # batches bounded by bytes alone, as dora's
   .option("es.batch.write.refresh", "false")
   .mode("append").save())
secs = time.perf_counter() - t0
spark.stop()
print(f"seconds={secs:.3f}")
