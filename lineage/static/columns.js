// Column lineage in the graph: when a dataset's columns are open, the field-to-field
// derivations into and out of them (GraphQL columnEdges) become extra ELK edges between
// ports on the field rows, so the layout routes them like any other edge. An end whose
// dataset is drawn but not open (or a feature view, a model) attaches to the node box,
// and the edge says which field it is.

import { gql } from "./api.js";
import { middle } from "./names.js";
import { state } from "./state.js";

const QUERY = `query($ids: [String!]!) { columnEdges(datasetIds: $ids) {
  input { id datasetId field } output { id datasetId field }
  pipelineId transformationType transformationSubtype transformationDescription masking } }`;

let loadedFor = null;

// The derivations touching the open datasets (read again only when that set changes).
export async function loadColumnEdges() {
  const ids = [...state.fields].sort();
  const key = JSON.stringify(ids);
  if (key === loadedFor) return;
  state.columnError = null;
  if (!ids.length) state.columnEdges = [];
  else {
    try { state.columnEdges = (await gql(QUERY, { ids })).columnEdges; }
    catch (err) { state.columnEdges = []; state.columnError = `Column lineage could not be read: ${err.message}`; }
  }
  loadedFor = key;
}

export const portId = (node, field, side) => `${node}\u0000${field}\u0000${side}`;

// ELK edges for the derivations whose both datasets are drawn. rows: node id -> Map(field -> row index).
// INDIRECT ones (joins, filters, grouping: they choose rows, not values) only with "all edge labels".
export function columnLayoutEdges(drawn, rows, indirect) {
  const seen = new Set(), out = [];
  for (const e of state.columnEdges || []) {
    const from = e.input.datasetId, to = e.output.datasetId;
    if (from === to || !drawn.has(from) || !drawn.has(to)) continue;
    if (!indirect && e.transformationType === "INDIRECT") continue;
    const key = `${e.input.id}\u0000${e.output.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fromRow = rows.get(from)?.has(e.input.field), toRow = rows.get(to)?.has(e.output.field);
    const text = fromRow && toRow ? (e.masking ? "masked" : null) : !toRow && !fromRow ? `${middle(e.input.field, 18)} → ${middle(e.output.field, 18)}`
      : middle(fromRow ? e.output.field : e.input.field, 24);
    out.push({ edge: e, from: fromRow ? portId(from, e.input.field, "E") : from,
               to: toRow ? portId(to, e.output.field, "W") : to, fromNode: from, toNode: to,
               text: text && e.masking && text !== "masked" ? `${text} · masked` : text });
  }
  return out;
}

export function describe(e) {
  const how = [e.transformationType, e.transformationSubtype].filter(Boolean).join(" ") || "derived";
  return `${e.input.id} → ${e.output.id}: ${how}${e.masking ? ", masking" : ""}`
    + (e.transformationDescription ? ` (${e.transformationDescription})` : "")
    + (e.pipelineId ? ` by ${e.pipelineId}` : "");
}
