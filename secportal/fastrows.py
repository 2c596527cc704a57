"""One row read on every signed-in request (the session and its user), with its SQL built once.

The ORM compiles a query afresh for every `.get()`; for the row each signed-in page reads before
it does anything else, compiling costs more than the database does. `RowReader` writes its
statement once per database (from the models' own metadata), sends the parameters as the ORM
would (each field's `get_db_prep_value`) and converts the values as the ORM would (the backend's
and the field's converters), so it returns what `.get()` would. Nothing is cached but the
statement: every call reads the row.
"""

import contextlib
import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, models
from django.db.backends.signals import connection_created
from django.dispatch import receiver


class _Statement:
    """One statement, and what preparing it on PostgreSQL takes (worked out once)."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        pieces = sql.split("%s")  # the statement is built here: every %s is a parameter
        self.count = len(pieces) - 1
        self.name = "secportal_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
        numbered = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], start=1))
        self.prepare = f"PREPARE {self.name} AS {numbered}"
        self.execute = f"EXECUTE {self.name}({', '.join(['%s'] * self.count)})"


# What the server says when it no longer has, or can no longer use, a prepared statement (a pooler,
# DISCARD ALL, a column's type changed by a migration) or already has one of that name.
_PREPARED_LOST = {"26000", "0A000", "42P05"}


def _run(connection, cursor, statement: _Statement, params: list) -> None:
    """Run the statement, prepared once on this connection where it can be (PostgreSQL keeps a
    prepared statement for the connection's life, transactions or not): the server then parses
    and plans it once, not on every request. A new connection (`connection_created`) prepares it
    again; one whose prepared statement was lost or cannot be used runs it plainly and prepares
    it afresh next time."""
    if connection.vendor != "postgresql" or not settings.SECPORTAL_DB_PREPARED_STATEMENTS:
        cursor.execute(statement.sql, params)
        return
    if len(params) != statement.count:
        raise ValueError(f"{statement.count} parameters expected, {len(params)} given")
    prepared = connection.__dict__.setdefault("secportal_prepared", set())
    try:
        if statement.name not in prepared:
            cursor.execute(statement.prepare)
            prepared.add(statement.name)
        cursor.execute(statement.execute, params)
    except DatabaseError as exc:
        prepared.discard(statement.name)
        if getattr(exc.__cause__, "pgcode", None) not in _PREPARED_LOST or connection.in_atomic_block:
            raise
        with contextlib.suppress(DatabaseError):  # it may not be there at all
            cursor.execute(f"DEALLOCATE {statement.name}")
        cursor.execute(statement.sql, params)


@receiver(connection_created)
def _new_connection(sender, connection, **kwargs) -> None:
    connection.__dict__.pop("secportal_prepared", None)  # nothing is prepared on a new connection


def _converters(connection, fields: Sequence[models.Field], table: str, offset: int) -> list:
    found = []
    for index, field in enumerate(fields, start=offset):
        column = field.get_col(table)
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            found.append((index, converter, column))
    return found


class RowReader:
    """`SELECT <fields> FROM <model's table> WHERE <lookup> AND ...` (lookups `exact` and `gt`).

    fields=None reads every concrete field and returns an instance; otherwise a tuple of values.
    join=<a foreign key's name> also reads the row it points to (LEFT JOIN): `get()` then returns
    (what it would return, the related instance or None). If the related model has a classmethod
    `read_with_session(connection, id_sql)`, the expressions it returns, (cached property, SQL
    expression on the related row's id, conversion), are read in the same statement and set on
    the related instance, as if the property had been asked for."""

    _OPERATORS = {"exact": "=", "gt": ">"}

    def __init__(
        self,
        model: type[models.Model],
        where: Sequence[str],
        fields: Sequence[str] | None = None,
        join: str | None = None,
    ) -> None:
        meta = model._meta
        if meta.parents:
            raise ValueError(f"{model.__name__} inherits a table: a RowReader reads one table (and one joined).")
        self.model = model
        self.fields = list(meta.concrete_fields) if fields is None else [meta.get_field(name) for name in fields]
        self.instance = fields is None
        self.where = []
        for lookup in where:
            name, _, operator = lookup.partition("__")
            field = meta.pk if name == "pk" else meta.get_field(name)
            self.where.append((field, self._OPERATORS[operator or "exact"]))
        self.join = meta.get_field(join) if join else None
        self.related = self.join.related_model if self.join else None
        self._prepared: dict[str, tuple[_Statement, list, list]] = {}

    def _prepare(self, using: str) -> tuple[_Statement, list, list]:
        connection = connections[using]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = [f"{table}.{quote(field.column)}" for field in self.fields]
        source = table
        converters = _converters(connection, self.fields, self.model._meta.db_table, 0)
        if self.join:
            related_meta = self.related._meta
            other = quote(related_meta.db_table)
            columns += [f"{other}.{quote(field.column)}" for field in related_meta.concrete_fields]
            source += (
                f" LEFT OUTER JOIN {other} ON ({other}.{quote(self.join.target_field.column)}"
                f" = {table}.{quote(self.join.column)})"
            )
            converters += _converters(connection, related_meta.concrete_fields, related_meta.db_table, len(self.fields))
            related_id = f"{other}.{quote(related_meta.pk.column)}"
            reads = getattr(self.related, "read_with_session", None)
            extras = reads(connection, related_id) if reads else []
            columns += [f"({sql})" for _, sql, _ in extras]
        else:
            extras = []
        conditions = " AND ".join(f"{table}.{quote(field.column)} {op} %s" for field, op in self.where)
        # Names from the models' metadata, quoted; values only ever as parameters.
        sql = f"SELECT {', '.join(columns)} FROM {source} WHERE {conditions}"  # noqa: S608
        return _Statement(sql), converters, [(name, convert) for name, _, convert in extras]

    def get(self, *values: Any, using: str = "default") -> Any:
        """What `.get()` would return for the one row matching `values` (None when there is none)."""
        if using not in self._prepared:
            self._prepared[using] = self._prepare(using)
        statement, converters, extras = self._prepared[using]
        connection = connections[using]
        fields = [field for field, _ in self.where]
        params = [field.get_db_prep_value(value, connection) for field, value in zip(fields, values, strict=True)]
        with connection.cursor() as cursor:
            _run(connection, cursor, statement, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = list(row)
            for index, converter, column in converters:
                row[index] = converter(row[index], column, connection)
        own, rest = row[: len(self.fields)], row[len(self.fields) :]
        if self.instance:
            found = self.model.from_db(using, [field.attname for field in self.fields], own)
        else:
            found = tuple(own)
        if not self.join:
            return found
        related_fields = self.related._meta.concrete_fields
        row, extra_values = rest[: len(related_fields)], rest[len(related_fields) :]
        # A LEFT JOIN that found nothing gives NULL in the related row's primary key.
        pk_index = next(i for i, field in enumerate(related_fields) if field.primary_key)
        if row[pk_index] is None:
            return found, None
        related = self.related.from_db(using, [field.attname for field in related_fields], row)
        for (name, convert), value in zip(extras, extra_values, strict=True):
            related.__dict__[name] = convert(value)  # what the cached property would have read
        return found, related
