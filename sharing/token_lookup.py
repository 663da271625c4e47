"""The per-request token check, compiled to SQL once instead of on every request.

Every API answer and share page view looks its token up. Building and compiling that
queryset costs about 1 ms of Python, several times the indexed query itself, so the
statement is compiled once per database alias from the very queryset that
`ShareToken.objects.active` defines, with marker values standing where `now` and the
digest go. Each call then only swaps in the real values, runs the SQL and turns the row
into a token with its site, through the same converters the ORM would apply.
"""

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import Expression, QuerySet

from analytics.models import Site
from sharing.models import ShareToken

NOW_MARK = dt.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
DIGEST_MARK = "digest-mark:" + "f" * 52
TOKEN_FIELDS = tuple(field.attname for field in ShareToken._meta.concrete_fields)
SITE_FIELDS = tuple(field.attname for field in Site._meta.concrete_fields)


@dataclass(frozen=True)
class CompiledLookup:
    sql: str
    slots: tuple[str, ...]  # what each parameter takes: "digest" or "now"
    converters: dict[int, tuple[list, Expression]]


def active_token_rows(*, digest: str, now: dt.datetime) -> QuerySet:
    """The token matching `digest` if active at `now`, with its site's columns, as one row."""
    return (
        ShareToken.objects.active(now)
        .filter(digest=digest)
        .order_by()
        .values_list(*TOKEN_FIELDS, *(f"site__{name}" for name in SITE_FIELDS))
    )


@functools.cache
def compiled_lookup(alias: str) -> CompiledLookup:
    connection = connections[alias]
    compiler = active_token_rows(digest=DIGEST_MARK, now=NOW_MARK).query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    now_mark = connection.ops.adapt_datetimefield_value(NOW_MARK)
    slots = tuple("digest" if param == DIGEST_MARK else "now" if param == now_mark else None for param in params)
    if None in slots or "digest" not in slots:
        raise RuntimeError(f"Cannot compile the token lookup: unexpected parameters {params!r} in {sql}")
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return CompiledLookup(sql=sql, slots=slots, converters=converters)


def run_active_token_lookup(*, digest: str, now: dt.datetime, alias: str = "default") -> ShareToken | None:
    lookup = compiled_lookup(alias)
    connection = connections[alias]
    values_for = {"digest": digest, "now": connection.ops.adapt_datetimefield_value(now)}
    params = [values_for[slot] for slot in lookup.slots]
    with preparable_cursor(connection) as cursor:
        cursor.execute(lookup.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, (functions, expression) in lookup.converters.items():
        for convert in functions:
            values[position] = convert(values[position], expression, connection)
    share_token = ShareToken.from_db(alias, TOKEN_FIELDS, values[: len(TOKEN_FIELDS)])
    share_token.site = Site.from_db(alias, SITE_FIELDS, values[len(TOKEN_FIELDS) :])
    return share_token


def preparable_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """On PostgreSQL, a cursor whose statements the server prepares once they repeat (`prepare_threshold`).

    Django's own cursors bind parameters client-side, which never prepares a statement,
    so the rest of the app is unaffected. Parsing and planning this join cost about as
    much as running it; prepared, each call is one cheap EXECUTE. With
    `DATABASE_PREPARE_THRESHOLD` empty (behind a transaction-pooling PgBouncer before
    1.21) nothing is prepared and this is an ordinary cursor.
    """
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection.cursor()
    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
