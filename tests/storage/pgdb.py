"""A fresh PostgreSQL database per test, on the server named by ``ECSERVICE_TEST_PG_URL``.

Without the variable, or when the server does not answer, the test is skipped; when ``CI=true``
it fails instead (CI must run the PostgreSQL tests: ``eval "$(.ci/postgres)"`` provides one).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
import sqlalchemy as sa

__all__ = ["fresh_pg_database", "skip_or_fail"]


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards); yields its URL."""
    server = os.environ.get("ECSERVICE_TEST_PG_URL")
    if not server:
        skip_or_fail("ECSERVICE_TEST_PG_URL is not set")
    url = sa.make_url(server)
    admin = sa.create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 5},
    )
    name = f"ecs_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {url.render_as_string()} does not answer: {exc.orig}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
