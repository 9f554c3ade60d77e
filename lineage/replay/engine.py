"""Replay: run recorded steps again and say, step by step, whether they reproduce.

For each step of a run (the runs nested in it, in the order they started; or
the run itself), replay loads the function version the step recorded from the
function store, hands it the inputs it saw (from the input store by
fingerprint, or from the caller's ``loader(dataset_id, fingerprint)``) and the
parameters it recorded, fingerprints what it returns and compares that with
the recorded output fingerprints: **reproduced** when they are equal,
**diverged** (with a summary of the difference) when not, **failed** when the
function raised, **skipped** when the step cannot be replayed (and why).

Substitutions turn a replay into a what-if: ``function=`` (a callable or
``module:name``) or ``version=`` (a stored hash) for one step, ``params=`` to
override parameters, ``current=True`` to run every step with the code as it
is now. With ``propagate=True`` a step reads what the replayed steps before it
produced instead of the recorded data, so a change flows downstream.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from .._errors import InvalidArgument, LineageError, NotFound
from .._settings import Settings
from ..capture.codeversion import code_version, function_id
from ..capture.fingerprint import can_fingerprint, fingerprint
from . import records
from .checkpoints import resolve
from .diff import summarise
from .functions import FunctionStore, load_current
from .inputs import InputStore

REPRODUCED, DIVERGED, FAILED, SKIPPED = "reproduced", "diverged", "failed", "skipped"
Loader = Callable[[str, str], Any]


@dataclass
class OutputResult:
    dataset_id: str
    recorded: str | None
    replayed: str | None
    rows_recorded: int | None = None
    rows_replayed: int | None = None
    difference: dict[str, Any] = field(default_factory=dict)

    @property
    def reproduced(self) -> bool:
        return self.recorded is not None and self.recorded == self.replayed

    def to_dict(self) -> dict[str, Any]:
        return {"datasetId": self.dataset_id, "recordedFingerprint": self.recorded,
                "replayedFingerprint": self.replayed, "rowsRecorded": self.rows_recorded,
                "rowsReplayed": self.rows_replayed, "reproduced": self.reproduced, "difference": self.difference}


@dataclass
class StepResult:
    index: int
    run_id: str
    pipeline_id: str | None
    function_id: str | None
    recorded_version: str | None
    replayed_version: str | None
    status: str
    inputs_matched: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: list[OutputResult] = field(default_factory=list)
    message: str | None = None
    output: Any = field(default=None, repr=False)  # what the step returned (step-by-step inspection)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "runId": self.run_id, "pipelineId": self.pipeline_id,
                "functionId": self.function_id, "recordedVersion": self.recorded_version,
                "replayedVersion": self.replayed_version, "status": self.status,
                "inputsMatched": self.inputs_matched, "parameters": self.parameters,
                "outputs": [o.to_dict() for o in self.outputs], "message": self.message}


@dataclass
class ReplayReport:
    run_id: str
    steps: list[StepResult]

    @property
    def reproduced(self) -> bool:
        return bool(self.steps) and all(s.status == REPRODUCED for s in self.steps)

    @property
    def first_divergence(self) -> StepResult | None:
        return next((s for s in self.steps if s.status != REPRODUCED), None)

    def to_dict(self) -> dict[str, Any]:
        first = self.first_divergence
        return {"runId": self.run_id, "reproduced": self.reproduced,
                "firstDivergence": first.index if first else None, "steps": [s.to_dict() for s in self.steps]}


class _Skip(Exception):
    pass


def _unordered(fp: str) -> bool:
    return fp.startswith("rowset")


class Replayer:
    """Replays recorded runs from the graph (a LineageStore, JanusGraphClient or
    LineageAnalysis) with the function and input stores of a replay folder."""

    def __init__(self, source: Any, replay_dir: str | None = None, *, loader: Loader | None = None,
                 settings: Settings | None = None) -> None:
        self.source = source
        self.q = records.analysis(source)
        settings = settings or getattr(source, "settings", None) or Settings.from_env()
        folder = replay_dir if replay_dir is not None else settings["LINEAGE_REPLAY_DIR"]
        if not folder:
            raise InvalidArgument("replay needs the folder capture kept functions and inputs in: set "
                                  "LINEAGE_REPLAY_DIR (or pass replay_dir=, --replay-dir)")
        self.functions = FunctionStore(folder)
        self.inputs = InputStore(folder, settings["LINEAGE_REPLAY_INPUT_MAX_BYTES"])
        self.loader = loader

    # -- the public surface --------------------------------------------------

    def replay(self, run_id: str, **options: Any) -> ReplayReport:
        """Every step of ``run_id`` (see :meth:`iter_steps` for the options)."""
        return ReplayReport(run_id, list(self.iter_steps(run_id, **options)))

    def iter_steps(self, run_id: str, *, to: str | None = None, function: Any = None, version: str | None = None,
                   step: str | None = None, params: Mapping[str, Any] | None = None, current: bool = False,
                   propagate: bool = False) -> Iterator[StepResult]:
        """Step by step: each :class:`StepResult` carries the step's replayed ``output``.
        ``run_id`` and ``to`` are run or checkpoint ids, or ``stream@sequence``."""
        start, end = resolve(self.q, run_id), resolve(self.q, to) if to is not None else None
        todo = [s for r in records.span(self.q, start, end) for s in records.steps(self.q, r["run_id"])]
        alternate = self._alternate(todo, function, version, step)
        produced: dict[str, Any] = {}
        changed: set[str] = set()
        for index, recorded in enumerate(todo):
            result = self._step(index, recorded, alternate, params or {}, step, current,
                                produced if propagate else None, changed)
            yield result

    def record(self, report: ReplayReport) -> str:
        """Store the replay as a fact of the graph (a run of ``lineage.replay``; see
        :mod:`lineage.replay.verify`), so a model's reproducibility can be ``verified``."""
        from .verify import record
        if not hasattr(self.source, "ingest") and not hasattr(getattr(self.source, "store", None), "ingest"):
            raise InvalidArgument("recording a replay needs a LineageStore or JanusGraphClient to write to")
        return record(report, self.source)

    # -- choosing functions -----------------------------------------------------

    def _alternate(self, todo: list[dict[str, Any]], function: Any, version: str | None,
                   step: str | None) -> tuple[str, Callable[..., Any], str] | None:
        """(function id of the step it replaces, the callable, its version) or None."""
        if function is None and version is None:
            return None
        if function is not None and version is not None:
            raise InvalidArgument("give either an alternate function or a version, not both")
        if version is not None:
            entry = self.functions.get(version)
            return entry.function_id, self.functions.load(version), version
        fn = load_current(function) if isinstance(function, str) else function
        fn = inspect.unwrap(fn) if callable(fn) else fn  # a replay is not captured again
        if not callable(fn):
            raise InvalidArgument(f"the alternate function must be callable or module:name; got {function!r}")
        ident = function_id(fn)
        ids = [self._function_id(r) for r in todo]
        if step is not None:
            if step not in ids and step not in [r.get("pipeline_id") for r in todo]:
                raise InvalidArgument(f"no step {step!r} in this run; its steps are {', '.join(map(str, ids))}")
            target = step
        elif ident in ids:
            target = ident
        elif len(todo) == 1:
            target = ids[0] or todo[0].get("pipeline_id")
        else:
            raise InvalidArgument(f"say which step {ident} replaces (step=, --step); the steps are "
                                  + ", ".join(map(str, ids)))
        return target, fn, code_version(fn)[0]

    def _function_id(self, recorded: dict[str, Any]) -> str | None:
        version = recorded.get("code_version")
        if version and version in self.functions:
            return self.functions.get(version).function_id
        return recorded.get("pipeline_id")

    def _function(self, recorded: dict[str, Any], alternate: Any, current: bool) -> tuple[Callable[..., Any], str]:
        ident = self._function_id(recorded)
        if alternate is not None and alternate[0] in (ident, recorded.get("pipeline_id")):
            return alternate[1], alternate[2]
        version = recorded.get("code_version")
        if current:
            if version and version in self.functions:
                entry = self.functions.get(version)
                fn = load_current(f"{entry.module}:{entry.qualname}")
            else:
                fn = load_current(str(ident))
            fn = inspect.unwrap(fn)  # a replay is not captured again
            return fn, code_version(fn)[0]
        if not version:
            raise _Skip("the run recorded no code version")
        try:
            return self.functions.load(version), version
        except NotFound as exc:
            raise _Skip(exc.message) from None
        except InvalidArgument as exc:
            raise _Skip(exc.message) from None

    # -- data -----------------------------------------------------------------

    def _data(self, item: dict[str, Any], produced: dict[str, Any] | None) -> Any:
        fp = item["fingerprint"]
        if produced is not None and fp in produced:
            return produced[fp]
        if fp in self.inputs:
            return self.inputs.get(fp)
        if self.loader is not None:
            value = self.loader(item.get("datasetId", ""), fp)
            if value is not None:
                return value
        raise _Skip(f"input {item.get('datasetId')} ({fp[:24]}) is neither in the input store nor returned by "
                    "the loader; keep inputs with LINEAGE_REPLAY_DIR or pass loader=")

    def _arguments(self, fn: Callable[..., Any], recorded: dict[str, Any], data: list[Any],
                   overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Keyword arguments for ``fn``: overrides, then recorded parameters, then the
        data inputs in the order they were recorded; and the parameters used."""
        params = dict(recorded.get("parameters") or {})
        kwargs: dict[str, Any] = {}
        used: dict[str, Any] = {}
        pending = list(data)
        sig = inspect.signature(fn)
        for name, p in sig.parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if name in overrides or name in params:
                value = overrides[name] if name in overrides else params[name]
                if value == "***" and name not in overrides:
                    raise _Skip(f"parameter {name} was redacted when captured; pass it (--param {name}=...)")
                kwargs[name] = used[name] = value
            elif pending:
                kwargs[name] = pending.pop(0)
            elif p.default is p.empty:
                raise _Skip(f"no recorded value for the argument {name} of {function_id(fn)}")
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            for name, value in {**params, **overrides}.items():
                if name not in kwargs:
                    kwargs[name] = used[name] = value
        return kwargs, used

    # -- one step ---------------------------------------------------------------

    def _step(self, index: int, recorded: dict[str, Any], alternate: Any, params: Mapping[str, Any],
              step: str | None, current: bool, produced: dict[str, Any] | None, changed: set[str]) -> StepResult:
        result = StepResult(index, recorded["run_id"], recorded.get("pipeline_id"), self._function_id(recorded),
                            recorded.get("code_version"), None, SKIPPED)
        overrides = params if step is None or step in (result.function_id, result.pipeline_id) else {}
        try:
            fn, result.replayed_version = self._function(recorded, alternate, current)
            ins = [i for i in recorded["inputs"] if i.get("fingerprint")]
            data = [self._data(i, produced) for i in ins]
            result.inputs_matched = not any(i["fingerprint"] in changed for i in ins)
            kwargs, result.parameters = self._arguments(fn, recorded, data, overrides)
        except _Skip as exc:
            result.message = str(exc)
            return result
        except LineageError as exc:
            result.message = exc.message
            return result
        try:
            value = fn(**kwargs)
        except Exception as exc:  # the replayed code's own failure is a finding, not ours
            result.status, result.message = FAILED, f"{type(exc).__name__}: {exc}"
            return result
        result.output = value
        outs = [o for o in recorded["outputs"] if o.get("fingerprint")]
        values = list(value) if isinstance(value, tuple) and len(outs) > 1 and len(value) == len(outs) else [value]
        for item, produced_value in zip(outs, values):
            rec_fp = item["fingerprint"]
            new_fp = fingerprint(produced_value, order_independent=_unordered(rec_fp)) \
                if can_fingerprint(produced_value) else None
            out = OutputResult(item.get("datasetId", ""), rec_fp, new_fp.value if new_fp else None,
                               item.get("rows"), new_fp.rows if new_fp else None)
            if not out.reproduced:
                kept = self.inputs.get(rec_fp) if rec_fp in self.inputs else None
                out.difference = summarise(kept, produced_value)
                changed.add(rec_fp)
            if produced is not None:
                produced[rec_fp] = produced_value
            result.outputs.append(out)
        if not outs:
            result.message = "the run recorded no output fingerprint to compare with"
            return result
        result.status = REPRODUCED if all(o.reproduced for o in result.outputs) else DIVERGED
        if result.status == DIVERGED:
            why = "its inputs already differed" if not result.inputs_matched else (
                "code version differs" if result.replayed_version != result.recorded_version
                else "same code and inputs (non-deterministic, or parameters changed)")
            result.message = f"output differs from the recorded one: {why}"
        return result
