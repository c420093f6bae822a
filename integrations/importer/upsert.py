"""PostgreSQL's fast path: COPY a chunk into a staging table, then one INSERT … ON CONFLICT.

The ORM path loads every existing record to compare it; here PostgreSQL compares (an
update only where a value IS DISTINCT FROM the stored one) and says what it did.
"""

import hashlib

from django.db import connection, models
from django.utils import timezone


def available() -> bool:
    return connection.vendor == "postgresql"


def _insert_fields(model, given: set[str]) -> list[models.Field]:
    """Every column but the generated key: a new row gets its defaults from Python."""
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.attname not in given)
    ]


# Values psycopg writes in COPY as they are; others go through the field's own preparation.
NATIVE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
    "UUIDField",
}


def preparer(field):
    """How one field's Python value becomes what COPY writes."""
    if field.get_internal_type() in NATIVE:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _value(field, values: dict, now):
    if field.attname in values:
        return values[field.attname]
    if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
        return now
    return field.get_default()


def copy_rows(table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples of database values) into `table`."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def upsert(
    model, rows: list[dict], *, key: str = "external_id", touch: tuple[str, ...] = ()
) -> tuple[dict, set]:
    """Insert new rows and update changed ones; ({created key: pk}, {updated keys}).

    `rows` are dicts of attnames (`customer_id`) to Python values, all with the same keys.
    Columns a row does not give keep their stored value on update and get their default
    on insert; `touch` fields are set to now on update.
    """
    if not rows:
        return {}, set()
    given = set(rows[0])
    meta = model._meta
    quote = connection.ops.quote_name
    fields = _insert_fields(model, given)
    columns = [field.column for field in fields]
    now = timezone.now()
    shape = hashlib.sha256(",".join(columns).encode()).hexdigest()[:8]
    stage = f"import_stage_{meta.db_table}_{shape}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {quote(stage)} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(meta.db_table)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {quote(stage)}")
    prepare = [preparer(field) for field in fields]
    copy_rows(
        stage,
        columns,
        (
            tuple(
                value if prep is None or value is None else prep(value)
                for prep, value in zip(prepare, (_value(f, row, now) for f in fields), strict=True)
            )
            for row in rows
        ),
    )
    updated_columns = [f.column for f in fields if f.attname in given and f.attname != key]
    touched = [meta.get_field(name).column for name in touch]
    assignments = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}" for column in updated_columns + touched
    )
    target = quote(meta.db_table)
    differs = " OR ".join(
        f"{target}.{quote(column)} IS DISTINCT FROM EXCLUDED.{quote(column)}"
        for column in updated_columns
    )
    key_column = quote(meta.get_field(key).column)
    names = ", ".join(quote(c) for c in columns)
    # Every name below comes from the model's metadata, quoted; no value is spliced in.
    sql = f"INSERT INTO {target} ({names}) SELECT {names} FROM {quote(stage)} "  # noqa: S608
    if updated_columns:
        sql += f"ON CONFLICT ({key_column}) DO UPDATE SET {assignments} WHERE {differs} "
    else:
        sql += f"ON CONFLICT ({key_column}) DO NOTHING "
    sql += f"RETURNING {key_column}, {quote(meta.pk.column)}, (xmax = 0)"
    created, updated = {}, set()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for external_id, pk, inserted in cursor.fetchall():
            if inserted:
                created[external_id] = pk
            else:
                updated.add(external_id)
    return created, updated
