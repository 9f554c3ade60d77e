// Schema of the lineage graph for JanusGraph 1.x.
//
// Run once before the API first writes, in any of three ways:
//  * as a Gremlin Server start-up script (ScriptFileGremlinPlugin files), where
//    `graph` is bound;
//  * from the JanusGraph image's /docker-entrypoint-initdb.d (the Helm chart mounts
//    it there), which runs `bin/gremlin.sh -e` on it: with no `graph` bound it opens
//    the server's own properties file (JANUS_PROPS, else /etc/opt/janusgraph/janusgraph.properties);
//  * in the Gremlin console: `graph = JanusGraphFactory.open('conf/janusgraph-cql.properties')`,
//    then `:load scripts/janusgraph-schema.groovy`.
// Running it again changes nothing.
//
// Every identity key gets a unique composite index restricted to its label,
// with LOCK consistency so two API replicas cannot create the same node twice
// (required on Cassandra, whose writes are otherwise last-writer-wins).
//
// `rev` is a vertex's revision: every write to a vertex or its out-edges checks the
// revision it read and sets a new one, and LOCK consistency on the key makes
// JanusGraph refuse the commit when another transaction changed it meanwhile, so
// concurrent replicas never write a merge computed from stale state.
//
// `Event` vertices are the shared event log: one per accepted OpenLineage event,
// unique (and locked) by fingerprint, the raw JSON zlib-compressed in
// `event_payload`, so every replica logs to and replays from the same place.
// With LINEAGE_INGEST_ACK=logged an API replica logs an event before it is
// applied: an `Event` vertex with its fingerprint in `event_inbox` (a plain index,
// DEFAULT consistency: no lock) and `event_pending`; the writer that applies it
// moves the fingerprint to `event_fp` (unique, locked) in the projection's own
// transaction and drops any second inbox copy of the same event. One replica at
// a time applies the inbox: the one holding the `Lease` vertex named `applier`
// (taken and renewed by a write guarded by `rev`, so by one replica only).
// `event_signature` digests what an event asserts about lineage (inputs, outputs,
// SQL): retention keeps each job's latest run per signature.

import org.janusgraph.core.Cardinality
import org.janusgraph.core.Multiplicity
import org.janusgraph.core.schema.ConsistencyModifier
import org.janusgraph.core.schema.SchemaAction
import org.janusgraph.core.schema.SchemaStatus
import org.janusgraph.graphdb.database.management.ManagementSystem
import org.apache.tinkerpop.gremlin.structure.Vertex

def lineageSchema(graph) {
    def vertexLabels = ['Dataset', 'Pipeline', 'Model', 'Feature', 'Run', 'Event', 'Check', 'DatasetVersion']
    // the lease of the replica that applies logged events (one at a time)
    vertexLabels += ['Lease']
    def edgeLabels = ['DERIVED_FROM', 'GENERATED_BY', 'CONSUMES', 'TRAINED_ON', 'PRODUCES', 'RUN_OF', 'CHECKS', 'CHILD_OF',
                      'VERSION_OF', 'CREATED_BY', 'COMPUTED_FROM']
    // column lineage: an artifact's fields and field-to-field derivations
    vertexLabels += ['Field']
    edgeLabels += ['HAS_FIELD', 'FIELD_DERIVED_FROM']
    // All properties are single-valued strings (but longKeys and booleanKeys); lists (schema_fields, feature_names)
    // are stored as JSON text.
    def keys = [
        'dataset_id', 'namespace', 'name', 'layer', 'version', 'dataset_type', 'schema_fields',
        'description', 'source',
        'pipeline_id', 'pipeline_type', 'code_location', 'code_version',
        'model_id', 'model_name', 'framework',
        'feature_view', 'feature_names',
        'run_id', 'state', 'started_at', 'ended_at', 'pipeline_version', 'nominal_start',
        'nominal_end', 'parent_run_id', 'error_message', 'parameters', 'inputs', 'outputs',
        'sql_parse_error', 'lineage_truncated', 'checkpoint', 'replay', 'result', 'assertions',
        'check_id', 'check_type', 'failures_tables',
        'parent_pipeline_id', 'root_pipeline_id', 'root_run_id',
        'first_seen', 'last_seen', 'prop_times', 'rev',
        'event_fp', 'event_kind', 'event_type', 'event_time', 'event_run', 'event_job',
        'event_received', 'event_payload', 'event_signature',
        // the inbox: events logged without a lock, not yet applied to the graph
        'event_inbox', 'event_pending',
        'lease_name', 'lease_holder', 'lease_until',
        // catalog entries, components and the audit trail
        'title', 'media_type', 'last_updated_at', 'registered_at', 'catalog_fields', 'component_type', 'component_name',
        'request_id', 'http_request_id', 'principal', 'client_address', 'received_at', 'exec_path',
        'input_request_ids', 'data_source_name', 'data_source_type', 'instance_id', 'reporting_period',
        // column lineage: fields and how each was computed
        'field_id', 'field_name', 'field_of', 'transformation_type', 'transformation_subtype',
        'transformation_description', 'transformations',
        // dataset versions
        'version_id', 'version_source', 'created_at', 'row_count', 'fingerprint',
    ]
    def longKeys = ['event_seq']
    def booleanKeys = ['masking']
    // label -> identity key (unique per label)
    def identities = [Dataset: 'dataset_id', Pipeline: 'pipeline_id', Model: 'model_id',
                      Feature: 'feature_view', Run: 'run_id', Event: 'event_fp', Check: 'check_id', Lease: 'lease_name',
                      Field: 'field_id', DatasetVersion: 'version_id']
    // keys looked up across labels (search by name, recipes by layer, runs of a pipeline)
    // event_inbox and event_pending: the log's inbox, written without locks (see below)
    def lookups = ['name', 'layer', 'namespace', 'model_name', 'component_type', 'request_id',
                   'event_inbox', 'event_pending']

    def mgmt = graph.openManagement()
    def created = []
    keys.each { k ->
        if (!mgmt.containsPropertyKey(k)) {
            mgmt.makePropertyKey(k).dataType(String.class).cardinality(Cardinality.SINGLE).make()
        }
    }
    longKeys.each { k ->
        if (!mgmt.containsPropertyKey(k)) {
            mgmt.makePropertyKey(k).dataType(Long.class).cardinality(Cardinality.SINGLE).make()
        }
    }
    booleanKeys.each { k ->
        if (!mgmt.containsPropertyKey(k)) {
            mgmt.makePropertyKey(k).dataType(Boolean.class).cardinality(Cardinality.SINGLE).make()
        }
    }
    def rev = mgmt.getPropertyKey('rev')
    if (mgmt.getConsistency(rev) != ConsistencyModifier.LOCK) {
        mgmt.setConsistency(rev, ConsistencyModifier.LOCK)
    }
    vertexLabels.each { l -> if (!mgmt.containsVertexLabel(l)) { mgmt.makeVertexLabel(l).make() } }
    edgeLabels.each { l -> if (!mgmt.containsEdgeLabel(l)) { mgmt.makeEdgeLabel(l).multiplicity(Multiplicity.MULTI).make() } }
    identities.each { label, k ->
        def name = "by_${k}_unique"
        if (!mgmt.containsGraphIndex(name)) {
            def index = mgmt.buildIndex(name, Vertex.class).addKey(mgmt.getPropertyKey(k))
                    .indexOnly(mgmt.getVertexLabel(label)).unique().buildCompositeIndex()
            mgmt.setConsistency(index, ConsistencyModifier.LOCK)
            created << name
        }
    }
    def runPipeline = 'by_run_pipeline_id'
    if (!mgmt.containsGraphIndex(runPipeline)) {
        mgmt.buildIndex(runPipeline, Vertex.class).addKey(mgmt.getPropertyKey('pipeline_id'))
                .indexOnly(mgmt.getVertexLabel('Run')).buildCompositeIndex()
        created << runPipeline
    }
    lookups.each { k ->
        def name = "by_${k}"
        if (!mgmt.containsGraphIndex(name)) {
            mgmt.buildIndex(name, Vertex.class).addKey(mgmt.getPropertyKey(k)).buildCompositeIndex()
            created << name
        }
    }
    mgmt.commit()
    // Indexes made in the same transaction as their keys are ENABLED at once; on a
    // graph that already held data, wait for them and reindex.
    created.each { name ->
        ManagementSystem.awaitGraphIndexStatus(graph, name).status(SchemaStatus.REGISTERED, SchemaStatus.ENABLED).call()
        def m2 = graph.openManagement()
        def index = m2.getGraphIndex(name)
        if (index.getIndexStatus(index.getFieldKeys()[0]) == SchemaStatus.REGISTERED) {
            m2.updateIndex(index, SchemaAction.REINDEX).get()
        }
        m2.commit()
    }
    return "lineage schema ready: ${keys.size()} keys, ${vertexLabels.size()} vertex labels, " +
           "${edgeLabels.size()} edge labels, ${created.size()} new indexes"
}

def boundGraph = null
try {
    boundGraph = graph   // bound by Gremlin Server and by a console session that opened it
} catch (MissingPropertyException ignored) {
}
if (boundGraph != null) {
    lineageSchema(boundGraph)
} else {
    def props = System.getenv('JANUS_PROPS') ?: '/etc/opt/janusgraph/janusgraph.properties'
    def opened = org.janusgraph.core.JanusGraphFactory.open(props)
    try {
        println lineageSchema(opened)
    } finally {
        opened.close()
    }
}
