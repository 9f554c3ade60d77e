"""Operating a deployment: online backup and restore of the SQLite files, and the
container's health check.

* :func:`backup` copies the embedded graph (or, beside a remote graph, the event
  log) with SQLite's online backup API while the server keeps writing;
* :func:`restore` puts a backup back, and rebuilds the graph when the backup holds
  the event log alone.

The ``lineage backup``, ``lineage restore`` and ``lineage healthcheck`` commands
live in :mod:`lineage.cli.ops`.
"""

from .backup import BackupReport, backup, restore

__all__ = ["BackupReport", "backup", "restore"]
