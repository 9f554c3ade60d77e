#!/bin/sh
# Load a snapshot of the JanusGraph keyspace back into one Cassandra node.
#
# Run inside the node, with JanusGraph stopped, after unpacking that node's
# snapshot archive into $STAGE (default /var/lib/cassandra/restore):
#
#   kubectl exec -i <release>-lineage-cassandra-0 -- sh -s janusgraph lineage-20260208 \
#     < deploy/cassandra/restore-snapshot.sh
#
# For every table in the snapshot it copies the SSTables into the directory the
# node uses for that table now (table ids differ on a rebuilt ring), hands them to
# the cassandra user, and runs `nodetool refresh <keyspace> <table>`.
set -eu

KEYSPACE=${1:?usage: restore-snapshot.sh KEYSPACE TAG}
TAG=${2:?usage: restore-snapshot.sh KEYSPACE TAG}
DATA=${DATA:-/var/lib/cassandra/data}
STAGE=${STAGE:-/var/lib/cassandra/restore}
OWNER=${OWNER:-cassandra:cassandra}

found=0
for snapshot in "$STAGE/$KEYSPACE"/*/snapshots/"$TAG"; do
  [ -d "$snapshot" ] || continue
  folder=$(basename "$(dirname "$(dirname "$snapshot")")")   # <table>-<id>
  table=${folder%-*}
  live=""
  for candidate in "$DATA/$KEYSPACE/$table"-*; do
    [ -d "$candidate" ] && live=$candidate
  done
  if [ -z "$live" ]; then
    echo "no table $KEYSPACE.$table on this node: create the schema first (start JanusGraph once, or apply $snapshot/schema.cql)" >&2
    exit 1
  fi
  find "$snapshot" -maxdepth 1 -type f ! -name manifest.json ! -name schema.cql -exec cp -p {} "$live"/ \;
  chown -R "$OWNER" "$live"
  nodetool refresh "$KEYSPACE" "$table"
  echo "restored $KEYSPACE.$table from $TAG"
  found=$((found + 1))
done
if [ "$found" -eq 0 ]; then
  echo "no snapshot $TAG of $KEYSPACE under $STAGE; unpack this node's archive there first" >&2
  exit 1
fi
