"""Bounds on what untrusted input may cost.

* :mod:`.jsonbounds`: JSON decoded with caps on nesting, number and string
  length and item counts, non-finite numbers refused, each problem named by
  its JSON path;
* :mod:`.sqlparse`: SQL facets parsed in a worker process with a size cap and
  a time limit, so a query the parser cannot handle costs one worker, never
  the server;
* :mod:`.deadline`: a per-request deadline that interrupts SQLite statements
  and graph traversals once it passes (or the client has gone).
"""

from .jsonbounds import LIMITS, JsonLimits, check_tree, decode, decode_array
from .sqlparse import SqlParse, SqlParser

__all__ = ["LIMITS", "JsonLimits", "SqlParse", "SqlParser", "check_tree", "decode", "decode_array"]
