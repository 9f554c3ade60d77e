// The page's only link to the server: GraphQL at /graphql.

export class ApiError extends Error {
  constructor(message, code, extensions = {}) { super(message); this.code = code; this.extensions = extensions; }
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError("The lineage server cannot be reached. Check that `lineage serve` is running.", "UNREACHABLE");
  }
  let body;
  try { body = await response.json(); } catch { body = null; }
  if (!body) throw new ApiError(`The server answered ${response.status} without JSON.`, "BAD_RESPONSE");
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new ApiError(e.message, e.extensions?.code ?? (response.status === 401 ? "UNAUTHORIZED" : "ERROR"), e.extensions);
  }
  if (!response.ok) throw new ApiError(body.message ?? `HTTP ${response.status}`, body.error ?? "HTTP");
  return body.data;
}

const NODE = "id label name layer version distance properties";
const RUN = "runId pipelineId state startedAt endedAt errorMessage codeVersion codeChanged outputs { datasetId fingerprint version rows }";
const CHECK = `id name checkType failuresTables
  results { runId result state time errorMessage assertions { assertion success column severity } }`;
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i)).join(" ");

export const queries = {
  search: `query($p: String!) { search(prefix: $p, limit: 12) { ${NODE} } }`,
  any: `query { search(prefix: "", limit: 1) { id } }`,
  graph: `query($id: String!, $depth: Int!, $dir: String!, $type: String, $asOf: String) {
    lineageGraph(nodeId: $id, nodeType: $type, depth: $depth, direction: $dir, nodeCap: 200, asOf: $asOf) {
      center nodeCount edgeCount truncated nodes { ${NODE} } edges { label source target version } } }`,
  node: `query($id: String!, $type: String) { node(id: $id, nodeType: $type) {
      ${NODE} runs(limit: 8) { runId state startedAt endedAt pipelineVersion errorMessage
        codeVersion codeChanged outputs { datasetId fingerprint rows } }
      parent { id label properties } children { id label properties } } }`,
  run: `query($id: String!) { run(runId: $id) { ${RUN} parameters sqlParseError
        inputs { datasetId fingerprint version rows } } }`,
  checks: `query($id: String!) { checks(datasetId: $id, runs: 5) { id status checks { ${CHECK} } } }`,
  runs: `query($id: String!, $limit: Int!) { node(id: $id, nodeType: "Pipeline") { id runs(limit: $limit) { ${RUN} } } }`,
  writers: `query($id: String!) { lineageGraph(nodeId: $id, nodeType: "Dataset", depth: 1, direction: "upstream", nodeCap: 200) {
      center edges { label source target } } }`,
  runsOf: (n) => `query(${range(n, (i) => `$p${i}: String!`)}) {
      ${range(n, (i) => `p${i}: node(id: $p${i}, nodeType: "Pipeline") { id runs(limit: 25) { ${RUN} } }`)} }`,
  checkStatus: (n) => `query(${range(n, (i) => `$d${i}: String!`)}) {
      ${range(n, (i) => `d${i}: checks(datasetId: $d${i}) { id status checks { name latest { result assertions { assertion success column } } } }`)} }`,
  rootCause: `query($good: String, $bad: String, $ds: String, $badVersion: String, $goodVersion: String) {
      rootCause(goodRunId: $good, badRunId: $bad, datasetId: $ds, badVersion: $badVersion, goodVersion: $goodVersion) {
        verdict explanation pipelineId functionId goodRunId badRunId oldVersion newVersion sourceDiff
        parameterChanges changedInputs path { pipelineId goodRunId badRunId inputsMatched outputsMatched } } }`,
  impact: `query($id: String!, $change: String!, $asOf: String) {
    impactAnalysis(datasetId: $id, changeType: $change, asOf: $asOf) {
      datasetId changeType totalAffected severity truncated
      affectedDatasets { id label distance path } affectedModels { id label distance path }
      affectedFeatures { id label distance path } affectedPipelines { id label distance path } } }`,
  activity: `query { activity(runs: 10, datasets: 10, models: 10) {
      totals { datasets pipelines models features runs failedRuns }
      latestRuns { runId pipelineId state startedAt endedAt errorMessage }
      changedDatasets { id label layer version changedAt writtenBy }
      models { id label modelName version isReproducible missing } } }`,
  model: `query($name: String!, $version: Version, $asOf: String) {
    modelLineage(modelName: $name, modelVersion: $version, asOf: $asOf) {
      modelId modelName modelVersion framework isReproducible missing datasetSnapshots
      trainingDatasets { id label version currentVersion layer } pipelines { id version properties } } }`,
  versions: `query($id: String!) { dataset(id: $id) { id versions(limit: 100) {
      id version source createdAt rowCount run { id state } fields { name type }
      schemaChange { added { name type } removed { name type } retyped { name before after } }
      inputs { datasetId version resolved } } } }`,
};
