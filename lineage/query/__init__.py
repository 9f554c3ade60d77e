"""Analytics and exports over the lineage graph, in the tracker's terms.

    from lineage.query import LineageQueryEngine, LineageVisualizer

``engine`` (:class:`LineageQueryEngine`: data sources, lineage, data flow,
volume flow, freshness, performance), ``visualizer`` (:class:`LineageVisualizer`:
graph data, DOT, JSON, impact, timeline, summary report), ``render`` (the text
formats). Both read the graph through a :class:`~lineage.LineageAnalysis`.
"""

from .engine import LineageQueryEngine
from .visualizer import LineageVisualizer

__all__ = ["LineageQueryEngine", "LineageVisualizer"]
