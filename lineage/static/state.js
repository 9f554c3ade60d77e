// What the page is showing now; shared by the explorer's modules.
export const state = {
  route: null,          // the parsed URL hash
  graph: null,          // the lineageGraph answer being drawn
  selected: null,       // id of the node whose details are open
  view: { x: 0, y: 0, k: 1 },
  expanded: new Set(),  // "+N more" groups the user opened
  fields: new Set(),    // datasets whose columns are shown
  limits: null,         // how far the first view folded the graph
};
