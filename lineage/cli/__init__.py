"""The ``lineage`` command's query and Gremlin commands, one module per command group.

* :mod:`.query`: ``upstream``, ``downstream``, ``impact``, ``search``, ``model``, ``runs``;
* :mod:`.gremlin`: the Gremlin shell (``lineage gremlin``), which reads Groovy
  spellings (:mod:`.groovy`) and explains what the embedded engine cannot run
  (:mod:`.compat`).

Each module has ``register(subparsers)``, called from ``lineage._cli.build_parser``.
"""
