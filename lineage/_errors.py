"""The one error hierarchy of the package.

Every error a caller can provoke derives from :class:`LineageError`, carries the
HTTP status an API would answer with, and says in its message how to fix the
problem::

    LineageError                  (500)
    ├── ConfigurationError        (500)  a LINEAGE_* setting is wrong
    ├── InvalidEvent              (400)  an OpenLineage event cannot be accepted
    ├── InvalidArgument           (400)  a query or client argument is out of range
    ├── Unauthorized              (401)  no usable bearer token was sent
    ├── Forbidden                 (403)  the token is not one of LINEAGE_API_TOKENS
    ├── NotFound                  (404)  no node with that id
    ├── Ambiguous                 (409)  a short id matches several nodes
    ├── PayloadTooLarge           (413)  the body is over LINEAGE_MAX_BODY_BYTES
    ├── UnsupportedMediaType      (415)  a write whose body is not declared JSON
    ├── BackendError              (503)  the graph store failed or is unreachable
    └── QueryTimeout              (503)  a request ran past its time limit or its client left
"""

from __future__ import annotations

from typing import Any


class LineageError(Exception):
    """Root of every error raised on purpose by this package."""

    status = 500
    code = "internal"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by every API surface."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ConfigurationError(LineageError):
    """A setting has a value the program cannot use."""

    code = "configuration"


class InvalidEvent(LineageError):
    """An OpenLineage event is malformed; ``field`` names the offending path."""

    status = 400
    code = "invalid_event"

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}. {fix}", field=field)
        self.field = field


class InvalidArgument(LineageError):
    """A query or client call was given a value outside what it accepts."""

    status = 400
    code = "invalid_argument"


class Unauthorized(LineageError):
    """A write (or a protected read) came without a usable bearer token."""

    status = 401
    code = "unauthorized"


class Forbidden(LineageError):
    """The bearer token sent is not one the server accepts."""

    status = 403
    code = "forbidden"


class PayloadTooLarge(LineageError):
    """A request body is larger than the server accepts."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(LineageError):
    """A write came without ``Content-Type: application/json``. Requiring it keeps a
    web page on another site from posting through a browser (a JSON content type
    needs a CORS preflight; ``text/plain`` and form posts do not)."""

    status = 415
    code = "unsupported_media_type"


class NotFound(LineageError):
    """No node matches the id that was asked for."""

    status = 404
    code = "not_found"


class Ambiguous(LineageError):
    """A short id matches more than one node; the caller must qualify it."""

    status = 409
    code = "ambiguous"


class BackendError(LineageError):
    """The graph store failed or could not be reached. ``retry_after`` (seconds), when
    set, says the failure is transient: the API sends it as ``Retry-After``."""

    status = 503
    code = "backend"

    def __init__(self, message: str, retry_after: int | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class QueryTimeout(LineageError):
    """A request's reads were stopped: past ``LINEAGE_QUERY_TIMEOUT``, or the client left."""

    status = 503
    code = "timeout"
