"""Bearer tokens: what the OpenLineage client's ``api_key`` auth sends.

No ``LINEAGE_API_TOKENS``: everything is open. With tokens: writes need one
(401 when none is sent, 403 when it is wrong); reads need one only when
``LINEAGE_PROTECT_READS`` is true.
"""

from __future__ import annotations

import hmac
import re

from .._errors import Forbidden, Unauthorized
from .._settings import Settings


_PRINTABLE = re.compile(r"[\x21-\x7e]+")


def check(settings: Settings, authorization: str | None, *, write: bool) -> None:
    tokens = settings.api_tokens
    if not tokens or (not write and not settings["LINEAGE_PROTECT_READS"]):
        return
    if not authorization:
        raise Unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>' "
                           "(the OpenLineage client sends it when transport auth is api_key)")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or not _PRINTABLE.fullmatch(token):
        raise Unauthorized("the Authorization header must be 'Bearer <token>', the token printable ASCII")
    sent = token.encode("ascii")
    if not any(hmac.compare_digest(sent, t.encode("utf-8")) for t in tokens):
        raise Forbidden("that token is not one of LINEAGE_API_TOKENS")
