"""``@track_lineage``: capture a plain Python function as an OpenLineage run.

    @track_lineage(operation_type=OperationType.TRANSFORM, input_sources=['input_data'])
    def process_data(input_data, multiplier=2):
        return input_data * multiplier

Each call is one run of the job ``module.qualname`` (or ``name=``) with:

* **inputs**: ``input_sources`` lists parameter names, whose values are
  fingerprinted before the call, and dataset ids (``'bronze/orders'``) for
  data the function reads by itself; a dict maps a parameter to the dataset
  id its value is. A parameter holding a string that is not an existing file
  is taken as the id of the dataset it names (``'s3://bucket/key'``).
  Without ``input_sources``, every argument that is data (a DataFrame, an
  Arrow table, a DuckDB relation, bytes, an existing path) is an input.
* **outputs**: ``outputs`` lists dataset ids for the return value (a tuple
  return is matched element by element) or names parameters (a path the
  function writes); a dict maps ``'return'`` or a parameter to an id. Without
  it, a returned DataFrame/table/bytes/path is the output, and for ``WRITE``
  operations so is each path argument.
* **parameters**: the other arguments, JSON-safe and redacted (see
  :mod:`lineage.capture.params`); ``parameters=[...]`` records only those.
* code identity and version, start and end, and the error on failure.

``fingerprint=False`` (or ``LineageTracker(fingerprint_data=False)``) skips
hashing the data and records only what is cheap: rows and bytes of frames,
tables and files.

The function's result and exceptions are never changed; capture problems are
logged and counted on the tracker.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .fingerprint import _exists, is_tabular
from .record import OperationType
from .tracker import LineageTracker, Operation, coerce_operation_type, get_global_tracker

_SKIP = ("self", "cls")
logger = logging.getLogger("lineage.capture")


@dataclass(frozen=True)
class _Config:
    operation_type: OperationType | str
    input_sources: Iterable[str] | Mapping[str, str] | None
    outputs: Iterable[str] | Mapping[str, str] | None
    name: str | None
    namespace: str | None
    parameters: Iterable[str] | None
    redact: tuple[str, ...]
    tracker: LineageTracker | None
    fingerprint: bool | None


def _is_data(value: Any) -> bool:
    return is_tabular(value) or isinstance(value, (bytes, bytearray, memoryview))


def _is_path(value: Any) -> bool:
    """An argument that names an existing file. Directories count only when declared in
    ``input_sources`` / ``outputs``: hashing ``"."`` by accident could read a whole tree."""
    if not isinstance(value, (str, os.PathLike)):
        return False
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):
        return False


def _declared_data(value: Any) -> bool:
    """Data worth fingerprinting among declared outputs (directories included)."""
    return _is_data(value) or (isinstance(value, (str, os.PathLike)) and _exists(value))


def _is_write(cfg: _Config) -> bool:
    return cfg.operation_type is OperationType.WRITE


def _arguments(sig: inspect.Signature, args: tuple, kwargs: dict) -> dict[str, Any]:
    bound = sig.bind_partial(*args, **kwargs)
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            out.update({f"{name}[{i}]": v for i, v in enumerate(value)})
        else:
            out[name] = value
    return out


def _begin(tracker: LineageTracker, fn: Callable[..., Any], sig: inspect.Signature, cfg: _Config,
           args: tuple, kwargs: dict) -> tuple[Operation, dict[str, Any], list[str]]:
    op = Operation(tracker, cfg.name or _job_name(fn), cfg.operation_type, namespace=cfg.namespace, function=fn)
    op.fingerprint_data = cfg.fingerprint
    arguments = _arguments(sig, args, kwargs)
    used: set[str] = set(_SKIP)
    written: list[str] = []
    if cfg.input_sources is not None:
        pairs = cfg.input_sources.items() if isinstance(cfg.input_sources, Mapping) \
            else ((s, None) for s in cfg.input_sources)
        for source, target in pairs:
            if source not in arguments:
                op.add_input(target or source)
                continue
            used.add(source)
            value = arguments[source]
            names_dataset = isinstance(value, str) and not _exists(value)
            op.add_input(target or (value if names_dataset else None), None if names_dataset else value, hint=source)
    else:
        for pname, value in arguments.items():
            if pname in _SKIP:
                continue
            if _is_data(value):
                used.add(pname)
                op.add_input(None, value, hint=pname)
            elif _is_write(cfg) and isinstance(value, (str, os.PathLike)):
                written.append(pname)  # an output if it is a file once the call returns
            elif _is_path(value):
                op.add_input(None, value, hint=pname)
    if cfg.outputs is not None:
        targets = cfg.outputs.keys() if isinstance(cfg.outputs, Mapping) else cfg.outputs
        used.update(t for t in targets if t in arguments)
    op.set_parameters({k: v for k, v in arguments.items() if k not in used and not _is_data(v)},
                      allow=cfg.parameters, redact=cfg.redact)
    op.start()
    return op, arguments, written


def _end(op: Operation, cfg: _Config, result: Any, arguments: dict[str, Any], written: list[str]) -> None:
    if cfg.outputs is None:
        for pname in written:
            if _is_path(arguments[pname]):
                op.add_output(None, arguments[pname], hint=pname)
        if _is_data(result) or isinstance(result, os.PathLike):
            op.add_output(None, result, hint="output")
        return
    if isinstance(cfg.outputs, Mapping):
        for key, dataset in cfg.outputs.items():
            value = result if key == "return" else arguments.get(key)
            op.add_output(dataset, value if _declared_data(value) else None, hint=key)
        return
    ids = list(cfg.outputs)
    returned = [i for i in ids if i not in arguments]
    values: list[Any]
    if isinstance(result, tuple) and len(returned) == len(result) and len(returned) > 1:
        values = list(result)
    else:
        values = [result] + [None] * (len(returned) - 1) if returned else []
    for dataset, value in zip(returned, values):
        op.add_output(dataset, value if _declared_data(value) else None)
    for pname in (i for i in ids if i in arguments):
        value = arguments[pname]
        if isinstance(value, str) and not _exists(value):
            op.add_output(value, hint=pname)
        else:
            op.add_output(None, value, hint=pname)


def _job_name(fn: Callable[..., Any]) -> str:
    from .codeversion import function_id
    return function_id(fn)


def track_lineage(func: Callable[..., Any] | None = None, *,
                  operation_type: OperationType | str = OperationType.TRANSFORM,
                  input_sources: Iterable[str] | Mapping[str, str] | None = None,
                  outputs: Iterable[str] | Mapping[str, str] | None = None,
                  name: str | None = None, namespace: str | None = None,
                  parameters: Iterable[str] | None = None, redact: Iterable[str] = (),
                  tracker: LineageTracker | None = None, fingerprint: bool | None = None) -> Any:
    """Decorate a function (or coroutine function) so each call is captured; see the module doc."""
    operation_type = coerce_operation_type(operation_type)  # a typo fails here, at definition
    cfg = _Config(operation_type, input_sources, outputs, name, namespace,
                  None if parameters is None else tuple(parameters), tuple(redact), tracker, fingerprint)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)

        def begin(args: tuple, kwargs: dict) -> tuple[Operation, dict[str, Any], list[str]] | None:
            try:
                t = cfg.tracker or get_global_tracker()
            except Exception as exc:  # a bad setting must not stop the user's code
                logger.warning("lineage capture is off for this call: %s", exc)
                return None
            if not t.enabled:
                return None
            return t._guard(_begin, t, fn, sig, cfg, args, kwargs)

        def end(state: tuple[Operation, dict[str, Any], list[str]] | None, result: Any,
                error: BaseException | None) -> None:
            if state is None:
                return
            op, arguments, written = state
            if error is None:
                op.tracker._guard(_end, op, cfg, result, arguments, written)
            op.tracker._guard(op.finish, error)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                state = begin(args, kwargs)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    end(state, None, exc)
                    raise
                end(state, result, None)
                return result
            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            state = begin(args, kwargs)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                end(state, None, exc)
                raise
            end(state, result, None)
            return result
        return wrapper

    return decorate(func) if func is not None else decorate
