"""Name-fragment search off an index of the names' characters and character pairs (bigrams).

A name fragment ("恒瑞", "智能装备") is searched with `LIKE '%…%'`, which no B-tree serves: a rare fragment
read every name (120-260 ms at 300,000 firms). pg_trgm needs three characters, and most Chinese searches are
two. So the index holds each name's *grams* — every character and every pair of adjacent characters, ASCII
letters lowered — and a fragment's grams (its pairs; a one-character fragment: the character) must all be
among a name's for the name to contain it. The index narrows, `contains` decides: results are exactly
those of `name__contains` on each backend (case-sensitive on PostgreSQL, ASCII case-insensitive on SQLite,
as before).

- PostgreSQL: a GIN index on the expression `gaoqi_name_grams(name)` (an IMMUTABLE SQL function, migration
  0010). Nothing to maintain: every write path (services, intake's bulk writes, the demo loader's COPY)
  keeps an expression index right by construction. The planner knows from the index's statistics which grams
  are common (公司, 科技: then it walks the name-order index instead) and which rare.
- SQLite (the embedded demo): a table `gaoqi_name_gram (gram, enterprise_id)` kept by triggers on the
  enterprise table (insert, update of the name, delete), so again every write path keeps it. SQLite has no
  statistics of it: the search first counts the fragment's grams (one index range each) and narrows by the
  rarest only when it is rare enough (GRAM_DRIVE_MAX firms); a common fragment is found quickly by walking
  the list's name order anyway.

One-character fragments use the same index (the character is a gram): a rare character is an index lookup,
a common one ("司") a walk of the name order that stops at the page's rows.

Two tables hold names searched this way (`Names`): the register (`REGISTER`) and the ledger entries, which
keep their firm's name so that the ledger's search reads one table (`gaoqi.ledger.names.LEDGER`: its own GIN
index on PostgreSQL; on SQLite the register's gram table, joined on the firm's id, as the two names are equal).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.db import DatabaseError
from django.db import connection as default_connection
from django.db.models import BooleanField, Expression, F, Q
from django.db.models.expressions import RawSQL

GRAM_FUNCTION = "gaoqi_name_grams"
PG_INDEX = "enterprise_name_grams"
SQLITE_TABLE = "gaoqi_name_gram"
SQLITE_POSITIONS = "gaoqi_name_gram_position"
# On SQLite, a gram held by more firms than this does not drive the search (the name-order walk finds the
# matches of a common fragment sooner than reading that many ids).
GRAM_DRIVE_MAX = 20_000
NAME_MAX = 120  # Enterprise.name's max_length: the positions table covers it


@dataclass(frozen=True)
class Names:
    """A table whose `name` column is searched by fragment: its model, the field holding the firm's id (the
    SQLite gram table is keyed by it) and its GIN index on `gaoqi_name_grams(name)` (PostgreSQL: the index's
    statistics say which grams are common)."""

    model: str  # "app_label.Model"
    firm: str  # "pk" for the register itself, "enterprise_id" for a table of one row per firm
    pg_index: str


REGISTER = Names("registry.Enterprise", "pk", PG_INDEX)

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalise(text: str) -> str:
    """What the index sees of a name: ASCII letters lowered, everything else as it is (the SQL function's and
    the SQLite triggers' `translate`/`lower` do the same)."""
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def name_grams(name: str) -> set[str]:
    """Every character and every pair of adjacent characters of the normalised name."""
    text = normalise(name)
    return set(text) | {text[i : i + 2] for i in range(len(text) - 1)}


def fragment_grams(fragment: str) -> list[str]:
    """The grams a name containing `fragment` must hold: its pairs (its character when it has one)."""
    text = normalise(fragment)
    if len(text) == 1:
        return [text]
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


class _GramsContain(Expression):
    """PostgreSQL: `gaoqi_name_grams(<name column>) @> ARRAY[grams]`, the indexed expression's own form."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, grams: list[str]):
        super().__init__()
        self.column = column
        self.grams = list(grams)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        c = self.copy()
        c.column = self.column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return c

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{GRAM_FUNCTION}({sql}) @> %s::text[]", [*params, self.grams]


PG_COMMON_GRAM = 0.05  # the share of names holding a gram above which the gram index is not used
_PG_STATS_SECONDS = 600
_pg_stats: dict[str, tuple[float, dict[str, float]]] = {}  # per index: (read at, frequencies)


def pg_gram_frequencies(index: str = PG_INDEX) -> dict[str, float]:
    """{gram: share of names holding it} for the common grams, from PostgreSQL's statistics of the indexed
    expression of `index` (ANALYZE keeps its most common elements); read at most every ten minutes per
    process."""
    import time

    now = time.monotonic()
    if index in _pg_stats and now - _pg_stats[index][0] < _PG_STATS_SECONDS:
        return _pg_stats[index][1]
    with default_connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s",
            [index],
        )
        row = cursor.fetchone()
    freqs = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _pg_stats[index] = (now, freqs)
    return freqs


def _sqlite_gram_counts(grams: list[str], limit: int = GRAM_DRIVE_MAX) -> dict[str, int]:
    """How many firms hold each gram, up to `limit` + 1 (one index range count each)."""
    counts = {}
    with default_connection.cursor() as cursor:
        for gram in grams:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {SQLITE_TABLE} WHERE gram = %s LIMIT %s)",
                [gram, limit + 1],
            )
            counts[gram] = cursor.fetchone()[0]
    return counts


@dataclass(frozen=True)
class RarestGram:
    """SQLite: the fragment's gram held by the fewest firms, and how many hold it (counted up to a limit:
    `firms` is then limit + 1)."""

    gram: str
    firms: int


def sqlite_rarest_gram(fragment: str, limit: int = GRAM_DRIVE_MAX) -> RarestGram | None:
    """SQLite: the fragment's rarest gram with its firms counted up to `limit` + 1; None without grams."""
    grams = fragment_grams(fragment)
    if not grams:
        return None
    counts = _sqlite_gram_counts(grams, limit)
    rarest = min(grams, key=lambda g: counts[g])
    return RarestGram(rarest, counts[rarest])


def exact_by_grams(fragment: str) -> bool:
    """Whether holding the fragment's grams is containing it: one gram is the whole fragment (one or two
    characters) and no ASCII letter is in it (the grams are lowered, PostgreSQL's `contains` is not)."""
    return 0 < len(fragment) <= 2 and not any(c.isascii() and c.isalpha() for c in fragment)


def sqlite_gram_q(gram: str, names: Names = REGISTER) -> Q:
    """SQLite: the rows of `names` whose firm's name holds `gram` (the gram table, read by the gram)."""
    ids = RawSQL(f"SELECT enterprise_id FROM {SQLITE_TABLE} WHERE gram = %s", [gram])
    return Q(**{f"{names.firm}__in": ids})


class Unindexed(Expression):
    """A condition the SQLite planner cannot read off an index (`+(…)`: the same truth, SQLite's way of
    saying "not this index"); as it is elsewhere. For plans SQLite's planner gets wrong without statistics
    (ledger.selectors): the page walks a name-order index and tests the other conditions on each row, or
    the gram table drives and the scope is tested on each match."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, condition: Q):
        super().__init__()
        self.condition = condition

    def get_source_expressions(self):
        return [self.condition]

    def set_source_expressions(self, exprs):
        (self.condition,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        c = self.copy()
        c.condition = self.condition.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return c

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.condition)
        return (f"+({sql})" if connection.vendor == "sqlite" else f"({sql})"), params


def name_contains_q(
    fragment: str,
    *,
    names: Names = REGISTER,
    common: float = PG_COMMON_GRAM,
    sqlite_rarest: RarestGram | None = None,
) -> Q:
    """A filter of the rows of `names` (the register, or a table of one row per firm holding its name) whose
    name contains `fragment`, served by the gram index. Same rows as `name__contains`. `common` (PostgreSQL):
    the share of names from which a gram counts as common (a plain LIKE then); a count of every match in a
    scope may pass a higher one than a page walking the name order (ledger.selectors). `sqlite_rarest`: the
    fragment's rarest gram as `sqlite_rarest_gram` counted it (with a limit of at least GRAM_DRIVE_MAX), when
    the caller has it: not counted again."""
    contains = Q(name__contains=fragment)
    grams = fragment_grams(fragment)
    if not grams:
        return contains
    in_ids = f"{names.firm}__in"
    vendor = default_connection.vendor
    if vendor == "postgresql":
        frequencies = pg_gram_frequencies(names.pg_index)
        rarest = min(frequencies.get(g, 0.0) for g in grams)
        if rarest >= common:
            # Every gram is common: the name-order walk finds a page's rows at once and the capped count
            # stops early, where reading the index would collect all of them first (a measured 114 ms
            # against 83 ms for 智能 at 1,000,000 firms, and growing with the register).
            return contains
        by_grams = Q(_GramsContain(F("name"), grams))
        if rarest == 0.0:
            # A gram too rare for the statistics' common elements: the planner guesses its rows (3,000 of
            # 4,000,000 for 恒瑞, 228 in fact) and walks the name-order index filtering every row (7.9 s for a
            # province officer at 4M). Its firms are read off the gram index first, then the page is theirs.
            ids = list(
                apps.get_model(names.model)
                .objects.filter(_GramsContain(F("name"), grams))
                .values_list(names.firm, flat=True)[: GRAM_DRIVE_MAX + 1]
            )
            if len(ids) <= GRAM_DRIVE_MAX:
                return Q(**{in_ids: ids}) & contains
        if exact_by_grams(fragment):
            # Exact without the LIKE (no letter whose case the grams ignore, one gram is the whole fragment),
            # and the planner estimates the rows from the grams' statistics alone: with the LIKE beside them
            # it multiplied the two (as if independent), took a common fragment for a rare one and counted
            # its matches off the index instead of stopping a scan at the count's cap.
            return by_grams
        return by_grams & contains
    if vendor == "sqlite":
        if sqlite_rarest is None:
            counts = _sqlite_gram_counts(grams)
            rarest = min(grams, key=lambda g: counts[g])
            sqlite_rarest = RarestGram(rarest, counts[rarest])
        rarest = sqlite_rarest.gram
        if sqlite_rarest.firms == 0:
            return Q(pk__in=[])  # no name holds it
        if sqlite_rarest.firms > GRAM_DRIVE_MAX:
            return contains
        # The register's grams: a table of `names` holds its firm's name, so the firm's grams are its own.
        return sqlite_gram_q(rarest, names) & contains
    return contains


# --- schema (migration registry 0010) and bulk loaders ------------------------------------------------------

_TRANSLATE = f"translate({{}}, '{_UPPER}', '{_UPPER.lower()}')"

# PL/pgSQL: 14 µs a name where the same in one SQL statement (generate_series, array_agg) took 260 µs, which
# made building the index over 4 million names take a quarter of an hour. Duplicates are left in: GIN and
# `@>` ignore them.
PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {GRAM_FUNCTION}(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    t text := {_TRANSLATE.format("name")};
    grams text[] := string_to_array(t, NULL);
BEGIN
    FOR i IN 1 .. char_length(t) - 1 LOOP
        grams := grams || substr(t, i, 2);
    END LOOP;
    RETURN coalesce(grams, '{{}}');
END
$$
"""
# Building a GIN index sorts every (gram, row) pair: with the default 64 MB it spills; 512 MB is for the build
# only (measured: 85 s for 1,000,000 names on a loaded 2-CPU machine with the default).
PG_BUILD_MEMORY = "512MB"


def pg_create_gram_index(cursor, table: str, index: str) -> None:
    """PostgreSQL: the GIN index `index` on `gaoqi_name_grams(name)` of `table` (the function exists: registry
    migration 0010)."""
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [PG_BUILD_MEMORY])
    try:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ({GRAM_FUNCTION}(name))")
    finally:
        cursor.execute("RESET maintenance_work_mem")


def _pg_create_index(cursor) -> None:
    pg_create_gram_index(cursor, "registry_enterprise", PG_INDEX)


def _sqlite_insert_grams(name: str, eid: str, source: str = "") -> str:
    """INSERT of the grams of `name` (an expression) for firm `eid`; `source` adds a table to read them from."""
    lowered = f"lower({name})"  # SQLite's lower() changes ASCII letters only (no ICU), like normalise()
    tables = f"{source}{SQLITE_POSITIONS}"
    return (
        f"INSERT OR IGNORE INTO {SQLITE_TABLE} (gram, enterprise_id) "
        f"SELECT substr({lowered}, n, 1), {eid} FROM {tables} WHERE n <= length({name}) "
        f"UNION SELECT substr({lowered}, n, 2), {eid} FROM {tables} WHERE n < length({name})"
    )


SQLITE_TRIGGERS = {
    "gaoqi_name_gram_insert": (
        "AFTER INSERT ON registry_enterprise BEGIN " + _sqlite_insert_grams("NEW.name", "NEW.id") + "; END"
    ),
    "gaoqi_name_gram_update": (
        "AFTER UPDATE OF name, id ON registry_enterprise BEGIN "
        f"DELETE FROM {SQLITE_TABLE} WHERE enterprise_id = OLD.id; "
        + _sqlite_insert_grams("NEW.name", "NEW.id")
        + "; END"
    ),
    "gaoqi_name_gram_delete": (
        f"AFTER DELETE ON registry_enterprise BEGIN DELETE FROM {SQLITE_TABLE} WHERE enterprise_id = OLD.id; END"
    ),
}


def install(connection) -> None:
    """Create the index of the names' grams (and fill it from the names already there)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION_SQL)
            _pg_create_index(cursor)
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} (gram TEXT NOT NULL, enterprise_id INTEGER NOT NULL,"
                " PRIMARY KEY (gram, enterprise_id)) WITHOUT ROWID"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {SQLITE_TABLE}_enterprise ON {SQLITE_TABLE} (enterprise_id)"
            )
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {SQLITE_POSITIONS} (n INTEGER PRIMARY KEY)")
            cursor.execute(
                f"INSERT OR IGNORE INTO {SQLITE_POSITIONS} (n) WITH RECURSIVE s(n) AS "
                f"(SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {NAME_MAX}) SELECT n FROM s"
            )
            _sqlite_create_triggers(cursor)
            rebuild(connection)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {GRAM_FUNCTION}(text)")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_POSITIONS}")


def _sqlite_create_triggers(cursor) -> None:
    for name, body in SQLITE_TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def rebuild(connection=None) -> None:
    """Fill the SQLite gram table from the names (after a bulk load with the index deferred); a no-op on
    PostgreSQL, whose expression index needs no filling."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SQLITE_TABLE}")
        cursor.execute(_sqlite_insert_grams("e.name", "e.id", "registry_enterprise AS e, "))


@contextmanager
def deferred(connection=None):
    """For bulk loaders (the demo loader's COPY of millions of firms): the index is dropped for the block and
    built once after it, which is much faster than maintaining it row by row. Inside the loader's
    transaction is fine. Without the block the index is still kept right, only more slowly."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS gaoqi_name_gram_insert")
    try:
        yield
    except BaseException:
        # Inside a transaction the rollback restores the index; outside one, put it back as it was.
        try:
            _restore(connection)
        except DatabaseError:
            pass
        raise
    _restore(connection)


def _restore(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                # CREATE INDEX refuses a table with pending (deferred) foreign-key checks: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                _pg_create_index(cursor)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                return
            _pg_create_index(cursor)
        elif connection.vendor == "sqlite":
            _sqlite_create_triggers(cursor)
            rebuild(connection)
