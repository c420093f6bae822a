"""PostgreSQL's set-based path for a CSV of records with lines (invoices).

Python reads the CSV as ever (the same refusals for encoding, cut-off rows and column
counts) but cleans no value: each row is matched against one pattern of the columns'
formats and goes by COPY, as text, into a staging table; a few set-based queries prove
the whole chunk valid (real dates, references, keys not met before, unique numbers, a
record's rows together and alike, lines adding up), then one upsert writes the records
and their changed lines from the staging table. The proof accepts only values the Python
checks accept, and yields the same values; a chunk it cannot prove goes through the
Python path, which names each problem's row and column.

The SQL here is put together from the models' metadata (quoted) and the staging table's
own column names; every value from the file travels in the staging table or as a parameter.
"""
# ruff: noqa: S608

import re
import uuid
from dataclasses import dataclass
from operator import itemgetter

from django.core import validators
from django.db import connection, models, transaction

from . import upsert
from .columns import FALSE, TRUE
from .reading import ImportRefused

REWRITE = '"import_stage_rewritten"'
# What COPY's text format escapes (a tab is checked by counting the separators).
SPECIAL = re.compile(r"[\\\n\r\x00]")
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# A staged chunk holds about as many rows as this many chunks of records would.
STAGED_ROWS_PER_PYTHON_RECORD = 10


class Unsupported(Exception):
    """A column whose checks the set-based path does not reproduce: Python checks the file."""


@dataclass
class StagedColumn:
    """One file column: the text a valid value matches (checked in Python as the row is
    staged), a check PostgreSQL adds where a pattern cannot say it all (a day of the month,
    a range), run on the distinct values, and the SQL of the value it stands for (only
    evaluated once the proof holds). `raw` names the staged text in that SQL."""

    name: str
    field: str
    stage: str
    pattern: str
    value: str
    check: str = ""
    params: tuple = ()

    @property
    def raw(self) -> str:
        return f"s.{self.stage}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _limits(model_field, allowed: tuple) -> dict:
    """The validators of the field, each one the set-based checks reproduce, or Unsupported."""
    found = {}
    for validator in model_field.validators:
        if not isinstance(validator, allowed):
            raise Unsupported(model_field.name)
        found[type(validator)] = validator
    return found


def _any_case(word: str) -> str:
    """A pattern of `word` in any ASCII case: what .lower() turns into the word, no more."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# A valid date's day of its month; CASE keeps the order (nothing cast before it is proven).
DATE_CHECK = (
    "CASE WHEN substr(v, 1, 4) <> '0000' AND substr(v, 6, 2)::int BETWEEN 1 AND 12 "
    "THEN substr(v, 9, 2)::int BETWEEN 1 AND extract(day FROM make_date(substr(v, 1, 4)::int, "
    "substr(v, 6, 2)::int, 1) + interval '1 month - 1 day')::int ELSE FALSE END"
)
VALUE = "[^\t]"


def _staged_column(column, index: int) -> StagedColumn:
    """How one column is proven valid and what it stands for, as strict as Column.clean:
    a value the pattern and the check accept is one the Python path accepts as it is."""
    stage = f"c{index}"
    raw = f"s.{stage}"
    field = column.field or column.name

    def staged(pattern, value, check="", params=()):
        return StagedColumn(column.name, field, stage, pattern, value, check, params)

    if column.file:
        raise Unsupported(column.name)
    if column.references is not None:
        return staged(f"{VALUE}+" if column.required else f"{VALUE}*", "")
    model_field = column.model_field()
    kind = type(model_field)
    if kind is models.CharField:
        _limits(
            model_field, (validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator)
        )
        fits = f"{VALUE}{{1,{int(model_field.max_length)}}}"
        if model_field.choices:
            fits = "(?:" + "|".join(re.escape(str(c[0])) for c in model_field.choices) + ")"
        default = model_field.get_default() if model_field.has_default() else ""
        if column.required or not (default or model_field.blank):
            return staged(fits, raw)
        if default:
            return staged(f"(?:{fits})?", f"COALESCE(NULLIF({raw}, ''), %s)", params=(default,))
        if model_field.null:
            return staged(f"(?:{fits})?", f"NULLIF({raw}, '')")
        return staged(f"(?:{fits})?", raw)
    if kind is models.BooleanField:
        _limits(model_field, ())
        words = "|".join(_any_case(word) for word in sorted(TRUE | FALSE) if word)
        truths = ", ".join(_literal(word) for word in sorted(TRUE))
        words = f"(?:{words})" if column.required else f"(?:{words})?"
        return staged(words, f"lower({raw}) IN ({truths})")
    if not column.required:
        raise Unsupported(column.name)
    if kind is models.DecimalField:
        _limits(model_field, (validators.DecimalValidator,))
        places = int(model_field.decimal_places)
        whole = int(model_field.max_digits) - places
        if whole < 1 or places < 1:
            raise Unsupported(column.name)
        return staged(
            f"-?[0-9]{{1,{whole}}}(?:[.,][0-9]{{1,{places}}})?",
            f"replace({raw}, ',', '.')::numeric",
        )
    if kind is models.DateField:
        _limits(model_field, ())
        return staged("[0-9]{4}-[0-9]{2}-[0-9]{2}", f"{raw}::date", DATE_CHECK)
    if kind in (models.PositiveSmallIntegerField, models.PositiveIntegerField, models.IntegerField):
        found = _limits(model_field, (validators.MinValueValidator, validators.MaxValueValidator))
        low, high = found.get(validators.MinValueValidator), found.get(validators.MaxValueValidator)
        if model_field.choices or low is None or high is None or low.limit_value < 0:
            raise Unsupported(column.name)
        # No leading zeros: two positions differ as numbers exactly when they differ as text.
        return staged(
            "(?:0|[1-9][0-9]{0,8})",
            f"{raw}::bigint",
            f"v::bigint BETWEEN {int(low.limit_value)} AND {int(high.limit_value)}",
        )
    raise Unsupported(column.name)


def _defaults(model) -> list[tuple]:
    """What a new record gets in the columns the file does not give: (field, SQL, params)."""
    found = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if getattr(model_field, "auto_now_add", False) or getattr(model_field, "auto_now", False):
            found.append((model_field, "now()", ()))
        elif model_field.default is uuid.uuid4:
            found.append((model_field, "gen_random_uuid()", ()))
        elif model_field.has_default() and callable(model_field.default):
            raise Unsupported(model_field.name)
        else:
            value = model_field.get_db_prep_save(model_field.get_default(), connection)
            found.append((model_field, "%s", (value,)))
    return found


def _escaped(values) -> str:
    return "\t".join(value.translate(ESCAPES) for value in values)


class StagedImport:
    """One import's set-based path for a kind with lines (see the module's docstring)."""

    def __init__(self, spec, columns: list[str]):
        if len(set(columns)) != len(columns) or spec.children_key in columns:
            raise Unsupported("columns")
        self.spec = spec
        self.columns = columns
        self.key_index = columns.index("external_id")
        position = {name: index for index, name in enumerate(columns)}
        self.header = [
            _staged_column(column, position[column.name])
            for column in spec.columns
            if column.name in position
        ]
        self.lines = [
            _staged_column(column, position[column.name]) for column in spec.child_columns
        ]
        self.by_name = {c.name: c for c in self.header + self.lines}
        self.references = [
            c for c in spec.columns if c.references is not None and c.name in position
        ]
        self.stage_names = [f"c{index}" for index in range(len(columns))]
        self.stage = f'"import_stage_rows_{len(columns)}"'
        by_index = {position[c.name]: c for c in self.header + self.lines}
        if sorted(by_index) != list(range(len(columns))):
            raise Unsupported("columns")
        # One pattern for a whole row (its values joined by tabs): valid rows match it.
        self.row_pattern = re.compile("\t".join(by_index[i].pattern for i in range(len(columns))))
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} (ord bigint, row bigint, "
                "first boolean, "
                + ", ".join(f"{name} text" for name in self.stage_names)
                + ") ON COMMIT DROP"
            )
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {REWRITE} "
                "(invoice_id bigint PRIMARY KEY, external_id text) ON COMMIT DROP"
            )
        self.header_indexes = [position[c.name] for c in self.header]
        self.unprovable = False
        self.keys: list[str] = []
        self.quote = quote
        self.defaults = _defaults(spec.model)
        self.originals: dict[int, list[str]] = {}

    # -- staging --
    def copy_chunk(self, rows, size: int, pending):
        """COPY rows until `size` rows are staged and the next one starts a record.

        Returns (rows staged, last row number, the row read ahead, refusal): a refusal of
        the reader ends the chunk, to be raised once COPY is done. Checks a row needs of its
        neighbours only (a record's rows repeat its first row's record columns, no line
        position twice) are made here, on the way."""
        self.originals.clear()
        self.unprovable = False
        self.keys = []
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.stage}")
        count, last_number, last_key, refusal = 0, 0, None, None
        key_index = self.key_index
        record_columns = itemgetter(*self.header_indexes, self.key_index)
        # Positions have no leading zeros (the pattern): a repeat is a repeat of the text.
        position = self.columns.index(self.by_name["line_position"].name)
        first_values, positions = None, set()
        tabs = len(self.columns) - 1
        matches = self.row_pattern.fullmatch
        names = ", ".join(self.stage_names)
        batch = []
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.stage} (ord, row, first, {names}) FROM STDIN") as copy,
        ):
            while True:
                if pending is not None:
                    row, pending = pending, None
                else:
                    try:
                        row = next(rows, None)
                    except ImportRefused as error:
                        refusal = error
                        row = None
                if row is None:
                    break
                number, values = row
                key = values[key_index]
                if key != last_key:
                    if count >= size:
                        pending = row
                        break
                    first = "t"
                    first_values = record_columns(values)
                    positions = {values[position]}
                    self.keys.append(key)
                else:
                    first = "f"
                    if record_columns(values) != first_values or values[position] in positions:
                        self.unprovable = True
                    positions.add(values[position])
                line = "\t".join(values)
                if not matches(line):
                    self.unprovable = True
                if line.count("\t") != tabs or SPECIAL.search(line):
                    if "\x00" in line:
                        self.originals[count] = values
                        self.unprovable = True
                        values = [value.replace("\x00", "\ufffd") for value in values]
                    line = _escaped(values)
                batch.append(f"{count}\t{number}\t{first}\t{line}\n")
                if len(batch) >= 1000:
                    copy.write("".join(batch))
                    batch.clear()
                count += 1
                last_number, last_key = number, key
            if batch:
                copy.write("".join(batch))
        return count, last_number, pending, refusal

    def staged_rows(self):
        """The staged rows again, as the reader gave them: for the Python path."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ord, row, {', '.join(self.stage_names)} FROM {self.stage} ORDER BY ord"
            )
            fetched = cursor.fetchall()
        for ordinal, number, *values in fetched:
            values = self.originals.get(ordinal, values)
            yield number, dict(zip(self.columns, values, strict=True))

    # -- the proof --
    def proven(self, seen_table: str) -> bool:
        """Does every staged row pass every check the Python path makes? If so, the
        chunk's records are noted as seen (a later record with one of their keys repeats it).
        """
        if self.unprovable:
            return False
        key = self._key()
        with connection.cursor() as cursor:
            cursor.execute(self._format_proof())
            if cursor.fetchone()[0]:
                return False
            savepoint = transaction.savepoint()
            # A key met before, in this chunk or an earlier one: the record appears twice.
            cursor.execute(
                f"INSERT INTO {seen_table} (external_id) "
                f"SELECT {key} FROM {self.stage} s WHERE s.first ON CONFLICT DO NOTHING"
            )
            if cursor.rowcount != self.records:  # a key twice in the chunk, or seen before
                transaction.savepoint_rollback(savepoint)
                return False
            cursor.execute(self._group_proof())
            if cursor.fetchone()[0]:
                transaction.savepoint_rollback(savepoint)
                return False
            transaction.savepoint_commit(savepoint)
        return True

    @property
    def records(self) -> int:
        return len(self.keys)

    def _value(self, name: str) -> str:
        return self.by_name[name].value

    def _key(self) -> str:
        return self.by_name["external_id"].raw

    def _format_proof(self) -> str:
        """Values the patterns let through that are still invalid (a 31 February): each
        distinct value checked once. Record columns are alike on a record's rows, so its
        first row speaks for them."""
        proofs = []
        for column in self.header + self.lines:
            if column.check:
                rows = "WHERE s.first" if column in self.header else ""
                proofs.append(
                    f"SELECT 1 FROM (SELECT DISTINCT {column.raw} AS v FROM {self.stage} s {rows}) d "
                    f"WHERE NOT ({column.check})"
                )
        return "SELECT " + (" OR ".join(f"EXISTS ({proof})" for proof in proofs) or "FALSE")

    def _group_proof(self) -> str:
        """Violations of the checks across rows and against the database (values cast)."""
        quote = self.quote
        key = self._key()
        net, vat, gross = (self._value(f"line_{name}") for name in ("net", "vat", "gross"))
        totals = [self.by_name[f"{name}_total"] for name in ("net", "vat", "gross")]
        differs = " OR ".join(
            f"sum(s.{name}) <> {total.value}"
            for name, total in zip(("net", "vat", "gross"), totals, strict=True)
        )
        totals_raw = ", ".join(total.raw for total in totals)
        # Each amount cast once (OFFSET 0 keeps the subquery from being folded in).
        amounts = (
            f"(SELECT {key}, {totals_raw}, {net} AS net, {vat} AS vat, {gross} AS gross "
            f"FROM {self.stage} s OFFSET 0) s"
        )
        number = self.by_name["number"].raw
        model = self.spec.model._meta
        table = quote(model.db_table)
        number_column = quote(model.get_field("number").column)
        key_column = quote(model.get_field("external_id").column)
        proofs = [
            # The lines add up to the record's totals (alike on its rows), each line too.
            f"SELECT 1 FROM {amounts} GROUP BY {key}, {totals_raw} "
            f"HAVING {differs} OR bool_or(s.net + s.vat <> s.gross)",
            # A number shared by two records of the file, or taken by a stored one.
            f"SELECT 1 FROM {self.stage} s WHERE s.first GROUP BY {number} HAVING count(*) > 1",
            f"SELECT 1 FROM {self.stage} s JOIN {table} t ON t.{number_column} = {number} "
            f"WHERE s.first AND t.{key_column} IS DISTINCT FROM {key}",
        ]
        for column in self.references:
            staged = self.by_name[column.name]
            target = column.references._meta
            proofs.append(
                f"SELECT 1 FROM {self.stage} s WHERE s.first AND s.{staged.stage} <> '' AND NOT EXISTS "
                f"(SELECT 1 FROM {quote(target.db_table)} r WHERE "
                f"r.{quote(target.get_field('external_id').column)} = s.{staged.stage})"
            )
        return "SELECT " + " OR ".join(f"EXISTS ({proof})" for proof in proofs)

    # -- writing --
    def write(self) -> tuple[int, int, int, set[int]]:
        """Upsert the proven chunk: (created, updated, unchanged, customers of new records)."""
        quote = self.quote
        meta = self.spec.model._meta
        given, selected, params, joins = [], [], [], []
        references = {c.name for c in self.references}
        for column in self.header:
            model_field = meta.get_field(column.field)
            given.append(model_field)
            if column.name in references:
                target = model_field.related_model._meta
                alias = f"r_{column.stage}"
                joins.append(
                    f"LEFT JOIN {quote(target.db_table)} {alias} ON "
                    f"{alias}.{quote(target.get_field('external_id').column)} = s.{column.stage} "
                    f"AND s.{column.stage} <> ''"
                )
                selected.append(f"{alias}.{quote(target.pk.column)}")
            else:
                selected.append(column.value)
                params.extend(column.params)
        inserted = list(given)
        for model_field, sql, default in self.defaults:
            if model_field not in given:
                inserted.append(model_field)
                selected.append(sql)
                params.extend(default)
        names = ", ".join(quote(f.column) for f in inserted)
        target = quote(meta.db_table)
        key_column = quote(meta.get_field("external_id").column)
        updated_columns = [quote(f.column) for f in given if f.name != "external_id"]
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated_columns)
        differs = " OR ".join(
            f"{target}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in updated_columns
        )
        customer = quote(meta.get_field("customer").column)
        # Every name comes from the model's metadata, quoted; values are parameters.
        sql = (
            f"WITH written AS (INSERT INTO {target} ({names}) SELECT {', '.join(selected)} "
            f"FROM {self.stage} s {' '.join(joins)} WHERE s.first "
            f"ON CONFLICT ({key_column}) DO UPDATE SET {assignments} WHERE {differs} "
            f"RETURNING {quote(meta.pk.column)} AS id, {key_column} AS external_id, "
            f"{customer} AS customer_id, (xmax = 0) AS is_new), "
            f"new AS (INSERT INTO {REWRITE} (invoice_id, external_id) "
            f"SELECT id, external_id FROM written WHERE is_new) "
            f"SELECT external_id, customer_id, is_new FROM written"
        )
        created, updated, settle = set(), set(), set()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {REWRITE}")
            cursor.execute(sql, params)
            for external_id, customer_id, is_new in cursor.fetchall():
                if is_new:
                    created.add(external_id)
                    settle.add(customer_id)
                else:
                    updated.add(external_id)
            stored = [key for key in self.keys if key not in created]
            lines_changed = self._rewrite_lines(cursor, stored, bool(created))
        changed = updated | lines_changed
        return len(created), len(changed), self.records - len(created) - len(changed), settle

    def _rewrite_lines(self, cursor, stored: list[str], any_created: bool) -> set[str]:
        """Replace the lines of new records and of stored ones whose lines differ (by
        position); the keys of the latter."""
        quote = self.quote
        key = self._key()
        child = self.spec.child_model._meta
        fields = [child.get_field(c.field or c.name) for c in self.spec.child_columns]
        staged = ", ".join(
            f"{self._value(c.name)} AS {quote(f.column)}"
            for c, f in zip(self.spec.child_columns, fields, strict=True)
        )
        names = [quote(f.column) for f in fields]
        parent = quote(self.spec.model._meta.db_table)
        parent_key = quote(self.spec.model._meta.get_field("external_id").column)
        lines = quote(child.db_table)
        link = quote(child.get_field("invoice").column)
        position = quote(child.get_field("position").column)
        differs = " OR ".join(f"a.{n} IS DISTINCT FROM b.{n}" for n in names)
        changed = []
        if stored:
            cursor.execute(
                # One index look-up per key (LIMIT keeps the planner from scanning the table).
                f"WITH old AS (SELECT p.id AS invoice_id, k.key AS external_id "
                f"FROM unnest(%s::text[]) k(key) CROSS JOIN LATERAL (SELECT p.id FROM {parent} p "
                f"WHERE p.{parent_key} = k.key LIMIT 1) p), "
                f"a AS (SELECT old.invoice_id, old.external_id, {staged} "
                f"FROM {self.stage} s JOIN old ON old.external_id = {key}), "
                f"b AS (SELECT old.external_id, l.* FROM old JOIN {lines} l "
                f"ON l.{link} = old.invoice_id) "
                f"INSERT INTO {REWRITE} (invoice_id, external_id) "
                f"SELECT DISTINCT COALESCE(a.invoice_id, b.{link}), "
                f"COALESCE(a.external_id, b.external_id) "
                f"FROM a FULL JOIN b ON a.invoice_id = b.{link} AND a.{position} = b.{position} "
                f"WHERE a.invoice_id IS NULL OR b.{link} IS NULL OR {differs} "
                f"RETURNING invoice_id, external_id",
                [stored],
            )
            changed = cursor.fetchall()
        if changed:
            cursor.execute(
                f"DELETE FROM {lines} WHERE {link} = ANY(%s)",
                [[invoice_id for invoice_id, _key in changed]],
            )
        if changed or any_created:
            values = ", ".join(self._value(c.name) for c in self.spec.child_columns)
            cursor.execute(
                f"INSERT INTO {lines} ({link}, {', '.join(names)}) "
                f"SELECT r.invoice_id, {values} FROM {self.stage} s "
                f"JOIN {REWRITE} r ON r.external_id = {key}"
            )
        return {external_id for _id, external_id in changed}


def for_kind(spec, columns: list[str]) -> "StagedImport | None":
    """The set-based path for this file, or None where only the Python path applies."""
    if not upsert.available() or not getattr(spec, "staged_path", False):
        return None
    try:
        return StagedImport(spec, columns)
    except Unsupported:
        return None
