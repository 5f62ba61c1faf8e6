"""Small PostgreSQL helpers shared by the set-based code paths."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def local_settings(cursor: Any, **values: str) -> Iterator[None]:
    """Planner or memory settings for the statements of the block only (`set_config(…, true)`), put back
    to what they were when the block ends. If the block raises they are not touched: the transaction (or
    savepoint) being rolled back undoes them, and a statement in a failed transaction would only hide
    the error."""
    names = list(values)
    cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
    before = cursor.fetchone()
    pairs = "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names)
    cursor.execute(pairs, [x for name in names for x in (name, values[name])])
    yield
    cursor.execute(pairs, [x for name, old in zip(names, before, strict=True) for x in (name, old)])


# The columns of a user a list shows next to a record (who is assigned, who wrote it): a user's
# name, never the rest of the row (password hash, e-mail, flags). `str(user)` reads these only.
USER_COLUMNS_SHOWN = ("id", "username", "display_name")


def user_columns_shown(relation: str) -> list[str]:
    """Arguments for `.defer()` leaving only `USER_COLUMNS_SHOWN` of a `select_related` user."""
    from django.contrib.auth import get_user_model

    return [
        f"{relation}__{field.attname}"
        for field in get_user_model()._meta.concrete_fields
        if field.attname not in USER_COLUMNS_SHOWN
    ]
