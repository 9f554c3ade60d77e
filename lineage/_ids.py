"""Identity as values: the one rule between the short ids users type and
OpenLineage's (namespace, name) pairs.

The rule, both ways:

* ``render(namespace, name)`` is ``name`` alone when the namespace is the
  default namespace (``LINEAGE_DEFAULT_NAMESPACE``) and the name holds no ``/``;
  otherwise ``namespace + "/" + name``.
* ``parse(text)``: text without ``/`` is ``(default namespace, text)``. Text
  that starts with a URI scheme (``s3://bucket/key``) keeps ``scheme://authority``
  as the namespace and the rest as the name. Otherwise the namespace is the text
  before the first ``/`` and the name the rest: ``gold/customers`` is namespace
  ``gold``, name ``customers``; ``food_delivery/public.orders`` is namespace
  ``food_delivery``, name ``public.orders``.

``parse(render(ns, name)) == (ns, name)`` for every namespace that is a plain
word or ``scheme://authority``, which covers the OpenLineage naming spec.
Model versions ride on the id after ``@``: ``churn_predictor@3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import InvalidArgument

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/]*)(?:/(.*))?$")
LAYERS = ("bronze", "silver", "gold")
_LAYER_SPLIT = re.compile(r"[/.:]")


@dataclass(frozen=True, order=True)
class NodeKey:
    """An OpenLineage (namespace, name) pair: a dataset, a job, a model, a feature view."""

    namespace: str
    name: str

    def render(self, default_namespace: str) -> str:
        if self.namespace == default_namespace and "/" not in self.name:
            return self.name
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, text: str, default_namespace: str) -> "NodeKey":
        text = (text or "").strip()
        if not text:
            raise InvalidArgument("an id must not be empty; pass e.g. 'gold/customers'")
        match = _SCHEME.match(text)
        if match:
            namespace, name = match.group(1), match.group(2) or ""
            if not name:
                raise InvalidArgument(
                    f"id {text!r} names a namespace but no dataset; append '/<name>'")
            return cls(namespace, name)
        if "/" not in text:
            return cls(default_namespace, text)
        namespace, _, name = text.partition("/")
        if not namespace or not name:
            raise InvalidArgument(
                f"id {text!r} has an empty namespace or name; write 'namespace/name'")
        return cls(namespace, name)


def model_id(model_name: str, version: str | None) -> str:
    """The identity of one version of a model: ``name@version`` (``name`` when unversioned)."""
    return f"{model_name}@{version}" if version not in (None, "") else model_name


def split_model_id(text: str) -> tuple[str, str | None]:
    name, sep, version = text.rpartition("@")
    if not sep or not name:
        return text, None
    return name, version


def infer_layer(key: NodeKey) -> str:
    """A medallion layer from the first word of the namespace or name, else ''."""
    for part in (key.namespace, *_LAYER_SPLIT.split(key.name)[:1]):
        word = part.lower()
        if word in LAYERS:
            return word
    return ""


# How each kind of node is named, for messages that say how to write an id.
ID_FORMS = {
    "Dataset": "dataset ids are 'namespace/name', e.g. 'gold/customers' or 's3://bucket/key'",
    "Pipeline": "pipeline ids are the OpenLineage job as 'namespace/name' "
                "(the name alone in the default namespace), e.g. 'airflow/daily_load' or 'spark_aggregate_sales'",
    "Model": "model ids are 'name@version', e.g. 'churn_predictor@3'",
    "Feature": "feature view ids are 'namespace/name', e.g. 'features/customer_features'",
    "Run": "run ids are the OpenLineage runId, a UUID",
}


def id_hint(label: str | None, text: str) -> str:
    """How ids of ``label`` are written; with no label, guessed from the shape of ``text``."""
    if label in ID_FORMS:
        return ID_FORMS[label]
    if "@" in text and "://" not in text:
        return ID_FORMS["Model"]
    return ("ids are 'namespace/name' for datasets, pipelines and feature views "
            "(e.g. 'gold/customers') and 'name@version' for models (e.g. 'churn_predictor@3')")
