#!/usr/bin/env python
"""How long the explorer takes to draw a lineage graph, beside the GraphQL answer it draws.

Loads four graphs into a fresh embedded store (the demo lakehouse, the dbt project
in tests/data, a 60-node five-layer graph and a hub read by 240 pipelines), serves
them on 127.0.0.1, and for each view measures, best of --repeat:

* the baseline: the lineageGraph GraphQL request the page sends, over HTTP;
* the page: from setting the URL hash to the drawn graph in Debian's Chromium at
  1400x900 (the same request, then ELK layouts and folding, then SVG);
* ELK's share: time inside ELK.layout and how many layouts folding needed.

Prints the figures and the page/baseline ratio. Needs `npm ci` and chromium.

    python scripts/bench_explorer.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from lineage import LineageStore, Settings
from lineage._builders import EventBuilder
from lineage._demo import demo_events
from lineage._server import create_app

DBT = "postgres://warehouse.internal:5432/analytics.dbt_prod.stg_orders"
VIEWS = {"demo": ("gold/customers", "both", 3), "dbt": (DBT, "both", 2),
         "five-layers": ("silver/events", "both", 2), "hub": ("gold/hub", "downstream", 2)}
GRAPH = """query($id: String!, $depth: Int!, $dir: String!) { lineageGraph(nodeId: $id, depth: $depth,
  direction: $dir, nodeCap: 200) { center nodeCount edgeCount truncated nodes { id label name layer version distance
  properties } edges { label source target version } } }"""


def events() -> list[dict]:
    b = EventBuilder("default")
    out = demo_events("default")
    root = Path(__file__).resolve().parent.parent
    out += [json.loads(line) for line in (root / "tests/data/dbt_jaffle_shop.ndjson").read_text().splitlines() if line]
    out += b.pipeline_run("load_events", inputs=[f"bronze/feed_{i:02d}" for i in range(15)], outputs=["silver/events"],
                          start_time="2026-02-01T00:00:00Z")
    for i in range(15):
        outs = [f"gold/report_{i:02d}_daily"] + ([f"gold/report_{i:02d}_weekly"] if i < 13 else [])
        out += b.pipeline_run(f"report_{i:02d}", inputs=["silver/events"], outputs=outs, start_time="2026-02-01T01:00:00Z")
    for i in range(240):
        out += b.pipeline_run(f"fan_{i}", inputs=["gold/hub"], outputs=[f"gold/hub_out_{i}"], start_time="2026-01-02T00:00:00Z")
    return out


def serve(settings: Settings) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


INSTRUMENT = """() => { const layout = ELK.prototype.layout; ELK.prototype.layout = async function (...a) {
  const t = performance.now(); try { return await layout.apply(this, a); } finally { window.elkMs.push(performance.now() - t); } }; }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per view; the best is kept (e.g. 3)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="browser to drive (e.g. /usr/bin/chromium)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, db=str(Path(tmp) / "lineage.db"), log_level="WARNING")
        with LineageStore(settings) as store:
            store.ingest(events())
        server, base = serve(settings)
        try:
            with httpx.Client(base_url=base, timeout=60) as http, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(base + "/")
                page.evaluate(INSTRUMENT)
                print(f"{'view':12s} {'nodes':>5s} {'query ms':>9s} {'page ms':>8s} {'ratio':>6s} {'ELK ms':>7s} layouts")
                for name, (node, direction, depth) in VIEWS.items():
                    query, drawn = [], []
                    for _ in range(args.repeat):
                        t = time.perf_counter()
                        answer = http.post("/graphql", json={"query": GRAPH, "variables": {
                            "id": node, "depth": depth, "dir": direction}}).json()["data"]["lineageGraph"]
                        query.append((time.perf_counter() - t) * 1000)
                        page.evaluate("window.elkMs = []; document.getElementById('graph').replaceChildren()")
                        t = time.perf_counter()
                        page.evaluate("h => { location.hash = h; }", f"#/node/{node.replace('/', '%2F')}?dir={direction}"
                                      f"&depth={depth}&view=graph")
                        page.wait_for_function("document.querySelector('#graph .node.center')", timeout=60000)
                        drawn.append(((time.perf_counter() - t) * 1000, sum(page.evaluate("window.elkMs")),
                                      len(page.evaluate("window.elkMs"))))
                        page.evaluate("location.hash = '#/'")
                        page.wait_for_selector("#totals")
                    q, (d, elk, layouts) = min(query), min(drawn)
                    print(f"{name:12s} {answer['nodeCount']:5d} {q:9.0f} {d:8.0f} {d / q:6.1f} {elk:7.0f} {layouts:7d}")
                browser.close()
        finally:
            server.should_exit = True


if __name__ == "__main__":
    main()
