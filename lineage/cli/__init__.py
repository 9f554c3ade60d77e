"""The ``lineage`` command's query and Gremlin commands, one module per command group.

* :mod:`.query`: ``upstream``, ``downstream``, ``impact``, ``search``, ``model``, ``runs``;
* :mod:`.ops`: ``backup``, ``restore`` and ``healthcheck`` (operating a deployment);
* :mod:`.gremlin`: the Gremlin shell (``lineage gremlin``), which reads Groovy
  spellings (:mod:`.groovy`) and explains what the embedded engine cannot run
  (:mod:`.compat`).

Each module has ``register(subparsers)``, called from ``lineage._cli.build_parser``.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

FORMATTER = argparse.RawDescriptionHelpFormatter


def add_command(sub: Any, name: str, help: str, examples: list[str],
                func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A subcommand whose help page says what it does and shows how to call it.
    Every argument added to it should carry help with an example too (a test checks)."""
    p = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                       epilog=("examples:\n" if len(examples) > 1 else "example:\n")
                       + "\n".join(f"  {e}" for e in examples), formatter_class=FORMATTER)
    p.set_defaults(func=func)
    return p
