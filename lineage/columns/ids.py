"""A field's identity: the id of the artifact it belongs to and the field's name.

``field_id("gold/customers", "email")`` is ``gold/customers#email``. A ``#`` (and
``%``) in the artifact id is percent-encoded first, so the first ``#`` always ends
the artifact id and no two (artifact, field) pairs share an id.
"""

from __future__ import annotations


def field_id(owner: str, field: str) -> str:
    """The identity of ``field`` of the artifact whose id is ``owner``."""
    return owner.replace("%", "%25").replace("#", "%23") + "#" + field


def split_field_id(value: str) -> tuple[str, str]:
    """(artifact id, field name) of a field id."""
    owner, _, field = value.partition("#")
    return owner.replace("%23", "#").replace("%25", "%"), field
