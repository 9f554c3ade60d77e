"""``lineage replay`` and ``lineage root-cause``: the replay engine from the command line.

Both read the graph the other commands read (``LINEAGE_DB`` or ``--db``,
``LINEAGE_GREMLIN_URL``) and the replay folder capture filled
(``LINEAGE_REPLAY_DIR`` or ``--replay-dir``). Exit status: 0 when every step
reproduced (replay) or a cause was named (root cause), 1 otherwise or on a
bad argument.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .._errors import Ambiguous, InvalidArgument, NotFound
from .._runs import short_code
from .._settings import Settings
from ..cli import add_command, render


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"a parameter is key=value, e.g. min_qty=2; got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _open(args: argparse.Namespace) -> Any:
    from .._client import JanusGraphClient
    overrides = {"db": args.db} if getattr(args, "db", None) else {}
    return JanusGraphClient(Settings.from_env(**overrides))


def _replay(args: argparse.Namespace) -> int:
    from .engine import Replayer
    from .whatif import what_if

    options = dict(to=args.to, function=args.function, version=args.version, step=args.step,
                   params=dict(args.param or []))
    with _open(args) as client:
        try:
            replayer = Replayer(client, args.replay_dir, settings=client.settings)
            if args.what_if:
                result = what_if(replayer, args.run, **options)
                report = result["replay"]
            else:
                replayed = replayer.replay(args.run, current=args.current, **options)
                report = result = replayed.to_dict()
                if args.record:
                    result["recordedAs"] = replayer.record(replayed)
        except (NotFound, Ambiguous, InvalidArgument) as exc:
            return render.fail(exc.message)
    if args.json:
        render.print_json(result)
    else:
        rows = [[s["index"], s["pipelineId"], s["status"], short_code(s["recordedVersion"]),
                 short_code(s["replayedVersion"]), "yes" if s["inputsMatched"] else "no",
                 s["message"] or _outputs(s["outputs"])] for s in report["steps"]]
        render.print_table(["step", "pipeline", "status", "recorded code", "replayed code", "inputs matched",
                            "detail"], rows, f"replay of {args.run}: {len(rows)} steps")
        if args.what_if:
            for group, nodes in result["affected"].items():
                for n in nodes:
                    render.line(f"affected {group[:-1]}: {n['id']} (distance {n['distance']}, via {n['via']})")
    return 0 if report["reproduced"] or args.what_if else 1


def _outputs(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for o in outputs:
        d = o["difference"]
        extra = f", changed columns {', '.join(d['changedColumns'])}" if d.get("changedColumns") else ""
        parts.append(f"{o['datasetId']}: rows {o['rowsRecorded']} -> {o['rowsReplayed']}{extra}"
                     if not o["reproduced"] else f"{o['datasetId']}: same fingerprint")
    return "; ".join(parts)


def _root_cause(args: argparse.Namespace) -> int:
    from .functions import FunctionStore
    from .rootcause import RootCause

    with _open(args) as client:
        folder = args.replay_dir if args.replay_dir is not None else client.settings["LINEAGE_REPLAY_DIR"]
        finder = RootCause(client, FunctionStore(folder) if folder else None)
        try:
            if args.dataset:
                if not args.bad_version:
                    return render.fail("--dataset needs --bad-version, e.g. --bad-version table-v1:ab12...")
                result = finder.of_dataset(args.dataset, args.bad_version, args.good_version)
            elif args.good and args.bad:
                result = finder.between(args.good, args.bad)
            else:
                return render.fail("give --good RUN --bad RUN, or --dataset ID --bad-version VERSION")
        except (NotFound, Ambiguous, InvalidArgument) as exc:
            return render.fail(exc.message)
    if args.json:
        render.print_json(result)
        return 0
    render.line(f"{result['verdict']}: {result['explanation']}")
    render.line(f"step: {result['functionId']} (good run {result['goodRunId']}, bad run {result['badRunId']})")
    if result["oldVersion"] != result["newVersion"]:
        render.line(f"code version: {result['oldVersion']} -> {result['newVersion']}")
    for name, change in result["parameterChanges"].items():
        render.line(f"parameter {name}: {change['good']!r} -> {change['bad']!r}")
    for c in result["changedInputs"]:
        render.line(f"input {c['datasetId']}: {c['good']} -> {c['bad']}")
    if result["sourceDiff"]:
        render.line(result["sourceDiff"])
    return 0


def _checkpoints(args: argparse.Namespace) -> int:
    from .checkpoints import checkpoints

    with _open(args) as client:
        try:
            found = checkpoints(client, args.stream, since=args.since, until=args.until)
        except (NotFound, Ambiguous, InvalidArgument) as exc:
            return render.fail(exc.message)
    if args.json:
        render.print_json(found)
        return 0
    rows = [[c.get("sequence"), c["runId"], c.get("status"), c.get("offset"), c.get("endOffset"),
             c.get("partition") or c.get("snapshot"), c.get("startedAt"), len(c.get("provenanceRecords") or [])]
            for c in found]
    render.print_table(["seq", "checkpoint", "status", "offset", "end offset", "partition/snapshot", "started",
                        "steps"], rows, f"checkpoints of {args.stream}: {len(rows)}")
    return 0


def register(sub: Any) -> None:
    p = add_command(sub, "replay", "re-run a recorded run (or checkpoints) with the recorded function versions "
                    "and report each step as reproduced or diverged; --what-if swaps a function or parameters",
                    ["lineage replay 0190f3a2-7c1e-7d4b-9a51-3f0e8c2b6d10",
                     "lineage replay RUN --current",
                     "lineage replay RUN --what-if --function steps:price_v2 --step steps.price",
                     "lineage replay CHECKPOINT_3 --to CHECKPOINT_5 --json"], _replay)
    p.add_argument("run", metavar="RUN_OR_CHECKPOINT", help="a run id or checkpoint id, e.g. "
                   "0190f3a2-7c1e-7d4b-9a51-3f0e8c2b6d10")
    p.add_argument("--to", metavar="CHECKPOINT", help="replay every run of the same pipeline or stream up to "
                   "this one, e.g. --to 0190f3a2-8000-7d4b-9a51-3f0e8c2b6d15")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--function", metavar="MODULE:NAME", help="an alternate function for one step, "
                       "imported from the code as it is now, e.g. --function steps:price_v2")
    which.add_argument("--version", metavar="HASH", help="a stored version of a step's function, "
                       "e.g. --version sha256:9f1c2ab...")
    which.add_argument("--current", action="store_true", help="run every step with the code as it is now, "
                       "e.g. lineage replay RUN --current")
    p.add_argument("--step", help="the step (function id) --function or --param applies to, e.g. --step steps.price")
    p.add_argument("--param", action="append", type=_param, metavar="KEY=VALUE",
                   help="override a recorded parameter (JSON or text), e.g. --param min_qty=2")
    p.add_argument("--what-if", action="store_true", help="let changes flow downstream and list the datasets, "
                   "models and pipelines they would affect, e.g. --what-if --param rate=1.2")
    p.add_argument("--record", action="store_true", help="store the outcome in the graph (a run of lineage.replay) "
                   "so models on its path can be verified, e.g. lineage replay RUN --record")
    p.add_argument("--replay-dir", help="the folder capture kept functions and inputs in (default "
                   "LINEAGE_REPLAY_DIR), e.g. --replay-dir ./.lineage-replay")
    p.add_argument("--json", action="store_true", help="print JSON for scripts, e.g. lineage replay RUN --json")

    p = add_command(sub, "checkpoints", "the checkpoints of a stream in sequence order: id, status, offsets and "
                    "how many steps ran on each slice",
                    ["lineage checkpoints orders_stream",
                     "lineage checkpoints orders_stream --since 2026-11-01T00:00:00Z --json"], _checkpoints)
    p.add_argument("stream", help="the stream's job name, e.g. orders_stream")
    p.add_argument("--since", help="only checkpoints started at or after this time, e.g. --since 2026-11-01T00:00:00Z")
    p.add_argument("--until", help="only checkpoints started at or before this time, e.g. --until 2026-11-02T00:00:00Z")
    p.add_argument("--json", action="store_true", help="print JSON for scripts, e.g. lineage checkpoints S --json")

    p = add_command(sub, "root-cause", "name the first step where a bad run (or dataset version) parted from a "
                    "good one: a code change with the source diff, changed parameters, or changed input data",
                    ["lineage root-cause --good RUN_A --bad RUN_B",
                     "lineage root-cause --dataset gold/revenue --bad-version table-v1:5e0c... --json"], _root_cause)
    p.add_argument("--good", metavar="RUN", help="a run whose outputs were right, e.g. --good 0190f3a2-...")
    p.add_argument("--bad", metavar="RUN", help="a run of the same pipeline whose outputs were wrong, "
                   "e.g. --bad 0190f3b7-...")
    p.add_argument("--dataset", help="a dataset whose version is wrong, e.g. --dataset gold/revenue")
    p.add_argument("--bad-version", help="its wrong version or fingerprint, e.g. --bad-version table-v1:5e0c...")
    p.add_argument("--good-version", help="a right version to compare with (default: the previous run's), "
                   "e.g. --good-version table-v1:77ab...")
    p.add_argument("--replay-dir", help="the replay folder, for source diffs (default LINEAGE_REPLAY_DIR), "
                   "e.g. --replay-dir ./.lineage-replay")
    p.add_argument("--json", action="store_true", help="print JSON for scripts, e.g. lineage root-cause "
                   "--good A --bad B --json")
