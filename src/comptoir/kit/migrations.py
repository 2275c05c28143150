"""Alembic, driven from code: upgrade to head and tell which revisions are pending."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import comptoir


def migrations_dir() -> Path:
    """``migrations/`` of a source checkout, or the copy packed into the wheel."""
    package = Path(comptoir.__file__).resolve().parent
    for candidate in (package.parents[1] / "migrations", package / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("Comptoir's migrations directory is missing")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions this code expects; read once, the scripts do not change while running."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def pending_revisions(engine: Engine) -> list[str]:
    return sorted(head_revisions() - current_revisions(engine))
