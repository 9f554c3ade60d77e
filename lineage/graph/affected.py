"""What a change to a node reaches, as impact analysis returns it.

From an expansion downstream with parents, the pipelines that read each kept
node and every node's description: each kept node (nearest first, ties by key)
as :func:`lineage.graph.interface.node_dict` with its distance and ``path`` (the
ids from the changed node along its shortest path), then each pipeline reading
any of them, one hop beyond the nearest node it reads (ties by that node's key),
its path running through that node.
"""

from __future__ import annotations

from typing import Any

from .interface import Expansion, node_dict, node_key


def affected_nodes(result: Expansion, read_by: dict[Any, set[Any]],
                   info: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """The affected nodes (see the module) from :meth:`Graph.expand_readers`'s answer,
    ``info`` describing the kept nodes and the readers."""
    reading: dict[Any, tuple[int, tuple[str, str], Any]] = {}
    for artifact, pipelines in read_by.items():
        here = (result.distance[artifact] + 1, node_key(info[artifact]), artifact)
        for p in pipelines:
            if p not in reading or reading[p][:2] > here[:2]:
                reading[p] = here
    start = result.start
    # nearest first, so a node's parent has its path already: extend it by one id
    paths = {start: [node_dict(start, info[start])["id"]]}
    parent, distance = result.parent, result.distance
    out = []
    for vid in result.ordered():
        node = node_dict(vid, info[vid], distance[vid])
        node["path"] = paths[vid] = paths[parent[vid]] + [node["id"]]
        out.append(node)
    for vid, (d, _key, via) in reading.items():
        node = node_dict(vid, info[vid], d)
        node["path"] = paths[via] + [node["id"]]
        out.append(node)
    return out
