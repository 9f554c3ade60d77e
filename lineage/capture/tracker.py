"""The tracker: operations, their inputs and outputs, and where events go.

    tracker = LineageTracker()                    # OpenLineage transport if configured, else the local store
    set_global_tracker(tracker)

    with tracker.operation("nightly_orders", OperationType.TRANSFORM) as op:
        op.add_input("bronze/orders", data=orders_df)
        result = clean(orders_df)
        op.add_output("silver/orders", data=result)

Each operation is one OpenLineage run: START when it begins, COMPLETE or FAIL
when it ends. Operations nest: an operation begun inside another names it in
its ``parent`` facet. Nothing here raises into the caller's code: a failure to
fingerprint or emit is logged and counted in :attr:`LineageTracker.stats`.
"""

from __future__ import annotations

import contextvars
import copy
import inspect
import logging
import os
import random
import time
import traceback
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable


from .._builders import DatasetSpec, now_iso
from .._errors import InvalidArgument
from .._ids import NodeKey
from .._settings import Settings
from . import record as rec
from .codeversion import code_version, function_id
from .emit import ClientSink, Emitter, StoreSink, openlineage_configured
from .fingerprint import Fingerprint, can_fingerprint, fingerprint, volume
from .params import capture_parameters
from .points import CapturePoints
from .record import DataRecord, OperationType, StepRecord

logger = logging.getLogger("lineage.capture")
_CURRENT: contextvars.ContextVar["Operation | None"] = contextvars.ContextVar("lineage_operation", default=None)
_MAX_TRACE = 20000


@dataclass
class CaptureStats:
    operations: int = 0
    capture_errors: int = 0


_random = random.Random()  # seeded once from the OS; os.urandom per run id can cost milliseconds


def new_run_id() -> str:
    """A UUIDv7 (time-ordered, as OpenLineage recommends for run ids)."""
    ms = time.time_ns() // 1_000_000
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _random.getrandbits(12) << 64 \
        | 0b10 << 62 | _random.getrandbits(62)
    return str(uuid.UUID(int=value))


def coerce_operation_type(value: OperationType | str) -> OperationType:
    """``OperationType.READ``, ``"read"`` or ``"READ"``."""
    if isinstance(value, OperationType):
        return value
    try:
        return OperationType(str(value).lower())
    except ValueError:
        raise InvalidArgument(f"operation_type must be one of {', '.join(t.name for t in OperationType)}; "
                              f"got {value!r}") from None


class Operation:
    """One step being captured; use as a context manager (or :meth:`start` / :meth:`finish`)."""

    def __init__(self, tracker: "LineageTracker", name: str, operation_type: OperationType | str, *,
                 namespace: str | None = None, function: Callable[..., Any] | None = None,
                 sql: str | None = None, version: str | None = None, integration: str = "PYTHON",
                 description: str | None = None) -> None:
        self.tracker = tracker
        op_type = coerce_operation_type(operation_type)
        self.record = StepRecord(run_id=new_run_id(), job_namespace=namespace or tracker.namespace,
                                 job_name=name, operation_type=op_type.value, integration=integration,
                                 sql=sql, description=description)
        self.order_independent: bool | None = None
        self.fingerprint_data: bool | None = None
        self._perf = 0.0
        self._token: contextvars.Token | None = None
        self._started = False
        self._finished = False
        self.tracker._guard(self._describe_code, function, version)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    def _describe_code(self, function: Callable[..., Any] | None, version: str | None) -> None:
        r = self.record
        if function is not None:
            r.function_id = function_id(function)
            r.code_version, r.callees = self.tracker.code_version_of(function)
            if self.tracker.function_store is not None:
                self.tracker._guard(self.tracker.function_store.put, function, r.code_version)
            source = self.tracker.source_of(function)
            r.source, r.source_path = source
        if version is not None:
            r.code_version = version

    # -- inputs, outputs and parameters ----------------------------------------

    def add_input(self, dataset: Any = None, data: Any = None, *, version: str | None = None,
                  hint: str = "input") -> DataRecord | None:
        """An input: a dataset id (``'bronze/orders'``, ``'gold/customers@snap_1'``), its data
        (fingerprinted now, before the step can change it), or both."""
        found = self.tracker._guard(self.tracker._data_record, self, dataset, data, version, hint, False)
        if found is not None:
            _put(self.record.inputs, found)
        return found

    def add_output(self, dataset: Any = None, data: Any = None, *, version: str | None = None,
                   hint: str = "output", model_name: str | None = None,
                   framework: str | None = None) -> DataRecord | None:
        """An output: its id and/or its data (fingerprinted now). ``model_name`` makes it a
        model version (``version`` is the model's version)."""
        found = self.tracker._guard(self.tracker._data_record, self, dataset, data, version, hint, True)
        if found is not None:
            if model_name is not None:
                found.model_name, found.framework = model_name, framework
            _put(self.record.outputs, found)
        return found

    def set_parameters(self, values: dict[str, Any], *, allow: Iterable[str] | None = None,
                       redact: Iterable[str] = ()) -> None:
        def run() -> None:
            params = capture_parameters(values, allow=allow, deny=(*self.tracker.redact, *redact),
                                        max_bytes=self.tracker.max_parameter_bytes)
            self.record.parameters.update(params.values)
            self.record.redacted.extend(params.redacted)
            self.record.parameters_truncated |= params.truncated
        self.tracker._guard(run)

    # -- life cycle --------------------------------------------------------------

    def start(self) -> "Operation":
        if self._started:
            return self
        self._started = True
        parent = _CURRENT.get()
        r = self.record
        if parent is not None:
            r.parent_run_id, r.parent_job = parent.run_id, (parent.record.job_namespace, parent.record.job_name)
            r.root_run_id = parent.record.root_run_id or parent.run_id
            r.root_job = parent.record.root_job or r.parent_job
        r.started_at = now_iso()
        self._perf = time.perf_counter()
        self._token = _CURRENT.set(self)
        self.tracker._emit(rec.start_event, r)
        return self

    def finish(self, error: BaseException | None = None) -> StepRecord:
        """End the step (starting it first if it was not): COMPLETE, or FAIL with ``error``."""
        if self._finished:
            return self.record
        self.start()
        self._finished = True
        r = self.record
        r.ended_at = now_iso()
        r.duration_ms = (time.perf_counter() - self._perf) * 1000
        if error is not None:
            r.state = "FAIL"
            r.error_type = type(error).__name__
            r.error_message = str(error)
            r.stack_trace = "".join(traceback.format_exception(error))[-_MAX_TRACE:]
        else:
            r.state = "COMPLETE"
        self.tracker._guard(self.tracker._audit, r)
        if self._token is not None:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # finished in another context than it started in
                _CURRENT.set(None)
        if _CURRENT.get() is not None and _CURRENT.get().record.checkpoint is not None:
            from ..replay.checkpoints import collect
            self.tracker._guard(collect, _CURRENT.get(), r)
        self.tracker._emit(rec.final_event, r)
        self.tracker._remember(r)
        return r

    def __enter__(self) -> "Operation":
        return self.start()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        self.finish(exc)
        return False


def _source(fn: Callable[..., Any]) -> tuple[str | None, str | None]:
    """The function's source text and file, when Python can find them."""
    target = inspect.unwrap(fn)
    try:
        source: str | None = inspect.getsource(target)
    except (OSError, TypeError):
        source = None
    try:
        path: str | None = inspect.getsourcefile(target)
    except TypeError:
        path = None
    return source, path


def _put(items: list[DataRecord], found: DataRecord) -> None:
    """Add a dataset, or fill in one declared earlier under the same name."""
    for i, existing in enumerate(items):
        if (existing.namespace, existing.name) == (found.namespace, found.name):
            if found.model_name is None:
                found.model_name, found.framework = existing.model_name, existing.framework
            found.version = found.version or existing.version
            items[i] = found
            return
    items.append(found)


class LineageTracker(CapturePoints):
    """Captures operations and emits them as OpenLineage runs.

    Where events go: ``client`` (an ``OpenLineageClient``), else ``storage_backend`` /
    ``store`` (a :class:`~lineage.LineageStore`), else the OpenLineage client when
    the environment configures a transport (``OPENLINEAGE_URL``, ``openlineage.yml``),
    else the local store named by the ``LINEAGE_*`` settings.
    """

    def __init__(self, storage_backend: Any = None, *, client: Any = None, store: Any = None,
                 settings: Settings | None = None, namespace: str | None = None, enabled: bool | None = None,
                 background: bool = True, order_independent: bool | None = None, fingerprint_data: bool = True,
                 keep: int = 1000, replay_dir: str | os.PathLike[str] | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._replay_stores(replay_dir)
        self.namespace = namespace or self.settings.default_namespace
        self.enabled = self.settings["LINEAGE_CAPTURE_ENABLED"] if enabled is None else enabled
        self.order_independent = (self.settings["LINEAGE_CAPTURE_ORDER_INDEPENDENT"]
                                  if order_independent is None else order_independent)
        self.fingerprint_data = fingerprint_data
        self.max_parameter_bytes = self.settings["LINEAGE_CAPTURE_MAX_PARAMETER_BYTES"]
        self.redact = tuple(w.strip() for w in str(self.settings["LINEAGE_CAPTURE_REDACT"]).split(",") if w.strip())
        store = store if store is not None else storage_backend
        if client is not None:
            sink: Any = ClientSink(client)
        elif store is not None:
            sink = StoreSink(store.settings) if hasattr(store, "ingest") else ClientSink(store)
        elif openlineage_configured():
            sink = ClientSink()
        else:
            sink = StoreSink(settings=self.settings)
        self.emitter = Emitter(sink, background=background)
        self.stats = CaptureStats()
        self.operations: OrderedDict[str, StepRecord] = OrderedDict()
        self._keep = keep
        self._known: OrderedDict[str, NodeKey] = OrderedDict()
        self._written: OrderedDict[str, str] = OrderedDict()   # dataset -> request id of its last write
        self._code_cache: weakref.WeakKeyDictionary[Any, tuple[str, list[str]]] = weakref.WeakKeyDictionary()
        self._source_cache: weakref.WeakKeyDictionary[Any, tuple[str | None, str | None]] = \
            weakref.WeakKeyDictionary()

    def _replay_stores(self, replay_dir: str | os.PathLike[str] | None) -> None:
        """With a replay folder, each function version and the data steps see are kept
        (see :mod:`lineage.replay`)."""
        folder = replay_dir if replay_dir is not None else self.settings["LINEAGE_REPLAY_DIR"]
        self.function_store: Any = None
        self.input_store: Any = None
        if folder:
            from ..replay.functions import FunctionStore
            from ..replay.inputs import InputStore
            self.function_store = FunctionStore(folder)
            self.input_store = InputStore(folder, self.settings["LINEAGE_REPLAY_INPUT_MAX_BYTES"])

    # -- the public surface ------------------------------------------------------

    def operation(self, name: str, operation_type: OperationType | str = OperationType.TRANSFORM, *,
                  inputs: Iterable[Any] = (), outputs: Iterable[Any] = (), parameters: dict[str, Any] | None = None,
                  namespace: str | None = None, function: Callable[..., Any] | None = None,
                  version: str | None = None, description: str | None = None) -> Operation:
        """An operation for code that is not one function. ``inputs`` / ``outputs`` are dataset
        ids or ``(id, data)`` pairs; more can be added on the operation. ``version`` is the
        code version when there is no function to hash."""
        op = Operation(self, name, operation_type, namespace=namespace, function=function, version=version,
                       description=description)
        for item in inputs:
            dataset, data = item if isinstance(item, tuple) else (item, None)
            op.add_input(dataset, data)
        if parameters:
            op.set_parameters(parameters)
        for item in outputs:
            dataset, data = item if isinstance(item, tuple) else (item, None)
            op.add_output(dataset, data)
        return op

    def checkpoint(self, stream: str, **where: Any) -> Operation:
        """A checkpoint of a stream (``sequence``, ``offset``, ``end_offset``, ``partition``,
        ``snapshot``, ``checkpoint_id``): see :mod:`lineage.replay.checkpoints`."""
        from ..replay.checkpoints import begin
        return begin(self, stream, **where)

    def current(self) -> Operation | None:
        """The operation running in this context, if any."""
        return _CURRENT.get()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every event so far is delivered (or has failed)."""
        return self.emitter.flush(timeout)

    def close(self) -> None:
        self.emitter.close()

    def __enter__(self) -> "LineageTracker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def fingerprint(self, data: Any) -> Fingerprint:
        return fingerprint(data, order_independent=self.order_independent)

    # -- helpers used by operations ----------------------------------------------

    def _guard(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run capture work; on any failure log it, count it and carry on."""
        try:
            return fn(*args)
        except Exception as exc:
            self.stats.capture_errors += 1
            logger.warning("lineage capture failed in %s: %s: %s", getattr(fn, "__name__", fn),
                           type(exc).__name__, exc)
            return None

    def _emit(self, build: Callable[[StepRecord], Any], record: StepRecord) -> None:
        """Queue the event ``build`` makes of a snapshot of ``record``; it is built on the
        sending thread."""
        snapshot = copy.copy(record)
        snapshot.inputs, snapshot.outputs = list(record.inputs), list(record.outputs)
        snapshot.parameters, snapshot.redacted = dict(record.parameters), list(record.redacted)
        snapshot.checkpoint = copy.deepcopy(record.checkpoint)
        self.emitter.submit(lambda: [build(snapshot)])

    def _audit(self, record: StepRecord) -> None:
        """Give a finished step's record a request id (``<first output>:<uuid>``) and the ids of
        the records this tracker last wrote to its inputs, so a record traces back through them."""
        target = record.outputs[0] if record.outputs else None
        label = f"{target.namespace}/{target.name}" if target else record.job_name
        record.request_id = f"{label}:{uuid.uuid4()}"
        record.input_request_ids = [self._written[key] for key in
                                    (f"{d.namespace}/{d.name}" for d in record.inputs) if key in self._written]
        for d in record.outputs:
            self._written[f"{d.namespace}/{d.name}"] = record.request_id
            self._written.move_to_end(f"{d.namespace}/{d.name}")
        while len(self._written) > self._keep:
            self._written.popitem(last=False)

    def _remember(self, record: StepRecord) -> None:
        self.stats.operations += 1
        self.operations[record.run_id] = record
        while len(self.operations) > self._keep:
            self.operations.popitem(last=False)

    def _cached(self, cache: "weakref.WeakKeyDictionary[Any, Any]", fn: Callable[..., Any],
                compute: Callable[[Callable[..., Any]], Any]) -> Any:
        """Per function object (code objects compare by value, and two functions that differ
        only in their defaults share one): computed once while the function lives."""
        target = getattr(fn, "__func__", fn)
        try:
            found = cache.get(target)
        except TypeError:  # not weak-referenceable: compute every time
            return compute(fn)
        if found is None:
            found = cache[target] = compute(fn)
        return found

    def code_version_of(self, fn: Callable[..., Any]) -> tuple[str, list[str]]:
        return self._cached(self._code_cache, fn, code_version)

    def source_of(self, fn: Callable[..., Any]) -> tuple[str | None, str | None]:
        return self._cached(self._source_cache, fn, _source)

    def _key(self, dataset: Any) -> tuple[NodeKey, str | None]:
        if isinstance(dataset, NodeKey):
            return dataset, None
        spec = DatasetSpec.coerce(dataset)
        return NodeKey.parse(spec.dataset_id, self.namespace), spec.version

    def _data_record(self, op: Operation, dataset: Any, data: Any, version: str | None, hint: str,
                     output: bool) -> DataRecord:
        key: NodeKey | None = None
        if dataset is not None:
            key, spec_version = self._key(dataset)
            version = version or spec_version
        fp: Fingerprint | None = None
        if data is not None and can_fingerprint(data):
            hashing = self.fingerprint_data if op.fingerprint_data is None else op.fingerprint_data
            if hashing:
                unordered = self.order_independent if op.order_independent is None else op.order_independent
                fp = fingerprint(data, order_independent=unordered)
            else:
                rows, size = volume(data)
                fp = Fingerprint("", rows, size)
        if fp is not None and fp.value and self.input_store is not None:
            self._guard(self.input_store.put, fp.value, data)
        if key is None and isinstance(data, (str, os.PathLike)):
            key = NodeKey("file", os.path.abspath(os.fspath(data)))
        if key is None and fp is not None and fp.value and not output:
            key = self._known.get(fp.value)
        if key is None:
            key = NodeKey(op.record.job_namespace, f"{op.record.job_name}.{hint}")
        if fp is not None and fp.value and output:
            self._known[fp.value] = key
            self._known.move_to_end(fp.value)
            while len(self._known) > 10000:
                self._known.popitem(last=False)
        return DataRecord(namespace=key.namespace, name=key.name, dataset_id=key.render(self.settings.default_namespace),
                          fingerprint=fp.value if fp and fp.value else None, rows=fp.rows if fp else None,
                          bytes=fp.bytes if fp else None,
                          order_independent=fp.order_independent if fp and fp.value else None,
                          version=version, columns=list(fp.columns) if fp and fp.columns else None)


_GLOBAL: LineageTracker | None = None


def set_global_tracker(tracker: LineageTracker | None) -> None:
    """The tracker that ``@track_lineage`` and the capture helpers use when not given one."""
    global _GLOBAL
    _GLOBAL = tracker


def get_global_tracker() -> LineageTracker:
    """The global tracker, created from the environment on first use."""
    global _GLOBAL
    if _GLOBAL is None:
        _GLOBAL = LineageTracker()
    return _GLOBAL
