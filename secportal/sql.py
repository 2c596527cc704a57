"""Statements the portal writes itself, once per process, for what every signed-in request asks
(the MFA rule, roles and permissions, an open committee place, the unread count): the ORM spent
more Python compiling each of them than PostgreSQL takes to answer (docs/decisions.md, "What every
signed-in request asks is cheap to ask"). Only names from the models' metadata, quoted by the
database backend, go into their text; every value is a parameter."""

from django.db import connection


def quoted(model, *fields: str) -> tuple[str, ...]:
    """The model's table and these fields' columns, quoted for the database."""
    meta, quote = model._meta, connection.ops.quote_name
    return (quote(meta.db_table), *(quote(meta.get_field(field).column) for field in fields))
