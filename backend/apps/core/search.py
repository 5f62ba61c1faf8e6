"""Substring search over Chinese names and codes without extensions (docs/decisions/0002-cjk-search.md).

Each searchable row stores every 1- and 2-character piece of its text in a generated `text[]`
column with a GIN index. A query's pieces must all be present (`@>`, served by the index), then
the real substring test rechecks the few candidates. Unlike pg_trgm this works for one- and
two-character Chinese queries, and needs nothing beyond core PostgreSQL (the embedded server
has no contrib extensions).
"""

from __future__ import annotations

import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.db.models import Func, TextField

GRAMS_SQL = r"""
CREATE OR REPLACE FUNCTION public.seedbed_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT COALESCE(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(lower(t), i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(lower(t), i, 2) FROM generate_series(1, length(t) - 1) AS i
    ) AS pieces
    WHERE g !~ '\s'
$$;

CREATE OR REPLACE FUNCTION public.seedbed_firm_grams(name text, uscc text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT public.seedbed_grams(COALESCE(name, '') || ' ' || COALESCE(uscc, ''))
$$;
"""

DROP_GRAMS_SQL = "DROP FUNCTION IF EXISTS seedbed_firm_grams(text, text); DROP FUNCTION IF EXISTS seedbed_grams(text);"


class FirmGrams(Func):
    function = "seedbed_firm_grams"
    output_field = ArrayField(TextField())


def normalise_query(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def query_grams(text: str) -> list[str]:
    """The pieces a row must contain to possibly contain `text` (bigrams, or the character itself)."""
    # Row grams never span white space, so neither may the query's: each word gives its own pieces.
    grams: set[str] = set()
    for word in normalise_query(text).split():
        if len(word) == 1:
            grams.add(word)
        else:
            grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return sorted(grams)


def grams_are_exact(text: str) -> bool:
    """Whether containing `query_grams(text)` already means containing `text` itself.

    True for one or two characters without spaces: the only gram is the query. (Grams never span the
    space between name and USCC, and are compared lower-cased, as the case-insensitive substring test is.)
    """
    text = normalise_query(text)
    return 0 < len(text) <= 2 and not any(ch.isspace() for ch in text)
