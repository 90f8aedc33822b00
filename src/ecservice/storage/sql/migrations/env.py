"""Alembic's environment script for the ecservice schema (Alembic runs it; it is no API).

Alembic loads this file by its path, as a top-level module, while one of its commands runs; the
work is in :func:`ecservice.storage.sql.migrations._environment.run_migrations`. Imported as a
module of the package (by documentation or test tools that import every module) it does nothing.
"""

from __future__ import annotations

from ecservice.storage.sql.migrations._environment import run_migrations

__all__: list[str] = []

if __name__ != "ecservice.storage.sql.migrations.env":
    run_migrations()
