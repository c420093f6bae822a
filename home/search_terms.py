"""Search words quoted safely for SQLite's full-text index.

The database search backend on SQLite wraps each word in double quotes for FTS5 but does
not double a quote inside the word, so a search for ``"x`` (or one with a NUL byte) broke
the MATCH expression and answered 500, on the site search, the content API and the admin's
page search alike. Each word is quoted here as FTS5 wants it: ``"`` doubled, NUL removed.
"""

from django.db import connection


def quote_fts5_phrases() -> None:
    """Make the SQLite backend's words literal FTS5 strings (a no-op on other databases)."""
    if connection.vendor != "sqlite":
        return
    from modelsearch.backends.database.sqlite import query

    if getattr(query.Lexeme.as_sql, "quotes_phrases", False):
        return
    original = query.Lexeme.as_sql

    def as_sql(self, compiler, connection):
        template, params = original(self, compiler, connection)
        return template, [param.replace("\x00", "").replace('"', '""') for param in params]

    as_sql.quotes_phrases = True
    query.Lexeme.as_sql = as_sql
