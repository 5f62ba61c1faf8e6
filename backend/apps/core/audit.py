"""Change history: who changed what, when, from where and why — for every write path.

The history is written by PostgreSQL triggers (see migrations), so it catches ORM saves,
`QuerySet.update()`, bulk writes, raw SQL, jobs and management commands alike, in the same
transaction as the change. This module only tells the triggers *who* and *why*: before each
write statement, the execute wrapper installed by `install()` stores the current change context
in the session setting `seedbed.ctx`, which the trigger reads.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created

SOURCES = ("api", "admin", "web", "import", "job", "command", "shell", "system")


@dataclass(frozen=True)
class ChangeContext:
    source: str
    actor_id: int | None = None
    actor_label: str = ""
    reason: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    # Resolved at write time, because DRF authenticates (token auth) after middleware ran.
    actor_resolver: Callable[[], tuple[int | None, str]] | None = None

    def payload(self) -> str:
        actor_id, actor_label = self.actor_id, self.actor_label
        if self.actor_resolver is not None and actor_id is None:
            actor_id, actor_label = self.actor_resolver()
        return json.dumps(
            {
                "source": self.source,
                "actor_id": actor_id,
                "actor": actor_label,
                "reason": self.reason[:1000],
                "request_id": self.request_id,
            },
            ensure_ascii=False,
        )


_current: ContextVar[ChangeContext | None] = ContextVar("seedbed_change_context", default=None)
_process_default = threading.local()
_default_source = "system"


def set_process_default_source(source: str) -> None:
    """Entry points (manage.py commands, Celery workers) name the source used outside any context."""
    global _default_source
    _default_source = source


def current() -> ChangeContext:
    ctx = _current.get()
    if ctx is None:
        return ChangeContext(source=_default_source)
    return ctx


@contextmanager
def change_context(
    *,
    source: str,
    actor: Any = None,
    reason: str = "",
    actor_resolver: Callable[[], tuple[int | None, str]] | None = None,
) -> Iterator[ChangeContext]:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_label = _label(actor) if actor is not None else ""
    outer = _current.get()
    ctx = ChangeContext(
        source=source,
        actor_id=actor_id,
        actor_label=actor_label,
        reason=reason or (outer.reason if outer else ""),
        actor_resolver=actor_resolver,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def clear() -> None:
    """Forget any context set outside a `change_context` block (end of a Celery task, of a test)."""
    _current.set(None)


def set_reason(reason: str) -> None:
    """Attach a reason to every change written from now on in the current context."""
    if not reason:
        return
    _current.set(replace(current(), reason=reason))


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(getattr(user, "username", "") or user.pk)


def user_resolver(request: Any) -> Callable[[], tuple[int | None, str]]:
    def resolve() -> tuple[int | None, str]:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk, _label(user)
        return None, ""

    return resolve


_WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "WITH", "MERGE")


def _execute_wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    head = sql.lstrip()[:6].upper()
    if head.startswith(_WRITE_PREFIXES):
        raw_cursor = context["cursor"].cursor
        raw_cursor.execute("SELECT set_config('seedbed.ctx', %s, false)", [current().payload()])
    return execute(sql, params, many, context)


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_execute_wrapper)


def install() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="seedbed-audit")
    for conn in connections.all(initialized_only=True):
        _on_connection_created(None, conn)
