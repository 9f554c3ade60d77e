#!/bin/sh
# Regenerate ../dbt_project_events.ndjson and ../dbt_project_artifact_events.ndjson:
# run this project for real through dbt-ol with the OpenLineage file transport.
# Needs a Python environment with dbt-core 1.11, dbt-duckdb and openlineage-dbt, e.g.
#   python3 -m venv /tmp/dbt-venv && /tmp/dbt-venv/bin/pip install 'dbt-core>=1.11,<1.12' dbt-duckdb openlineage-dbt
#   PATH=/tmp/dbt-venv/bin:$PATH sh tests/data/dbt_project/capture.sh
# dbt build exits 1 (one test fails on purpose); the events are written all the same.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/lineage_shop
export DBT_PROFILES_DIR="$work" OPENLINEAGE_CONFIG="$work/openlineage.yml" OPENLINEAGE_NAMESPACE=lineage_shop \
       DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false
capture() {   # $1: output file, then dbt-ol's arguments
    out=$1; shift
    rm -rf "$work" && cp -r "$here" "$work" && cd "$work" || exit 1
    printf 'transport:\n  type: file\n  log_file_path: %s/events.ndjson\n  append: true\n' "$work" > openlineage.yml
    dbt-ol "$@" > build.log 2>&1
    echo "dbt-ol $*: exit $? (1 is the failing test), $(wc -l < events.ndjson) events -> $out"
    cp events.ndjson "$here/../$out"
}
capture dbt_project_events.ndjson build --consume-structured-logs
capture dbt_project_artifact_events.ndjson build
rm -rf "$work"
