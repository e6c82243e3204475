"""A firm's evaluation results of a date as one 64-bit digest, stored with its facts revision
(`EvaluatedFacts.results_digest`): a re-evaluation compares the digests (one narrow column) instead of the
stored snapshot rows, and builds, stages and compares the snapshot rows of the firms whose digest changed only.

Deterministic by construction, not by a library's hash (Polars' `hash` may change between versions): every
value the stored snapshot is made of becomes a 64-bit word (integers and booleans as they are, floats by their
bits, a string by the same fold over its byte length and its UTF-8 bytes read as 8-byte little-endian words,
vectorised over the column (a province's names and pinyin keys: no Python call per string), a null as a fixed
word), and the words are folded in a fixed order, `h = mix(h ^ word)` with `mix` the splitmix64 finaliser (a
bijection). One differing word changes the digest for certain; several differing words leave it
the same with a chance of about 2^-64.

What is digested is what `services._rows` and `_snapshots` store for each of the firm's four snapshots:
outcome, eligible, score (min, max), grade, direct-pass reason, errors, every criterion's passed flag and
points as `compact_criteria` writes them (none when the firm has errors), the engine version and the
parameter hash of each policy, in the policies' order. Equal digests mean equal stored rows: the snapshot
writer only writes rows whose content changed, so a firm whose digest is unchanged has nothing to write.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

NULL = np.uint64(0x9E3779B97F4A7C15)  # the word of a missing value
_NULL_INT = int(NULL.view(np.int64))  # NULL's bits as an Int64 value
_NULL_FLOAT = float(NULL.view(np.float64))  # and as a Float64 (a finite number, not a NaN)
_STRING_SEED = np.uint64(0x2545F4914F6CDD1D)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
RESULT_COLUMNS = (
    "outcome",
    "eligible",
    "score",
    "score_min",
    "score_max",
    "grade",
    "direct_pass_reason",
    "errors",
)


def string_word(text: str) -> np.uint64:
    return _string_words(pl.Series([text], dtype=pl.String))[0]


def _string_words(series: pl.Series) -> np.ndarray:
    """Each string's word: from a fixed seed, its length in bytes and then its UTF-8 bytes in 8-byte
    little-endian words (the last one zero-padded) folded as `h = mix(h ^ word)`; a null is NULL. Vectorised:
    one pass per word position over the strings that long."""
    array = series.cast(pl.String).to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    n = len(array)
    ends = np.frombuffer(offsets, dtype=np.int64, count=n + 1, offset=8 * array.offset)
    starts, lengths = ends[:-1], np.diff(ends)
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    raw = np.concatenate([raw, np.zeros(8, np.uint8)])  # a word read at a string's end stays inside
    # word_at[p]: the 8 bytes from byte p on, as a little-endian word (an unaligned view: no copy, and a
    # gather of one uint64 per string instead of a row of 8 bytes)
    word_at = np.ndarray(shape=(len(raw) - 7,), dtype="<u8", buffer=raw, strides=(1,))
    h = _mix(np.full(n, _STRING_SEED, dtype=np.uint64) ^ lengths.astype(np.uint64))
    shortest = int(lengths.min()) if n else 0
    for k in range(int(-(-lengths.max() // 8)) if n else 0):
        if 8 * k + 8 <= shortest:  # every string has a whole word here: no selection, no mask
            h ^= word_at[starts + 8 * k]
            _mix(h)
            continue
        at = np.flatnonzero(lengths > 8 * k)
        words = word_at[starts[at] + 8 * k]
        left = lengths[at] - 8 * k  # bytes of the string from this word on
        short = left < 8
        words[short] &= (np.uint64(1) << (8 * left[short]).astype(np.uint64)) - np.uint64(1)
        h[at] = _mix(h[at] ^ words)
    if array.null_count:
        h[np.asarray(array.is_null())] = NULL
    return h


FEW_COMPARED = 8  # up to this many distinct strings, each row's word is picked by comparisons


def _few_string_words(series: pl.Series) -> np.ndarray:
    """`_string_words`, each distinct string's word computed once where the strings are few (a grade, an
    outcome, a region code: a handful of values in 250,000 rows) and picked for the rest: by one comparison
    per distinct string (string views compare without a hash), or, beyond FEW_COMPARED, by the string's code
    in an Enum of them gathered from their words."""
    sample = series.gather_every(max(1, len(series) // 1000))  # a name column: no hashing of every name
    if 8 * sample.n_unique() >= len(sample):
        return _string_words(series)
    distinct = series.drop_nulls().unique()
    words = _string_words(distinct)
    if len(distinct) <= FEW_COMPARED:
        picked = pl.lit(_NULL_INT, pl.Int64)
        for text, word in zip(distinct, words.view(np.int64).tolist(), strict=True):
            picked = pl.when(pl.col("s") == text).then(pl.lit(word, pl.Int64)).otherwise(picked)
        return series.to_frame("s").select(picked).to_series().to_numpy().view(np.uint64)
    codes = series.cast(pl.Enum(distinct)).to_physical().fill_null(len(distinct)).to_numpy()
    return np.append(words, NULL)[codes]


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place (wrapping uint64 arithmetic)."""
    h ^= h >> np.uint64(30)
    h *= _M1
    h ^= h >> np.uint64(27)
    h *= _M2
    h ^= h >> np.uint64(31)
    return h


def _words(series: pl.Series) -> np.ndarray:
    """The column as uint64 words, a null as NULL."""
    dtype = series.dtype
    if dtype == pl.Null:
        return np.full(len(series), NULL, dtype=np.uint64)
    if dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return _few_string_words(series.cast(pl.String))
    if dtype.is_temporal():  # a date as its day number, a time as its count of units
        series = series.to_physical()
        dtype = series.dtype
    # One Polars fill and a view of its buffer (a null's word is written as a value of the column's type)
    if dtype == pl.Boolean or dtype.is_integer():  # a boolean as 0 or 1
        return series.cast(pl.Int64).fill_null(_NULL_INT).to_numpy().view(np.uint64)
    if dtype.is_float():  # by its bits
        return series.cast(pl.Float64).fill_null(_NULL_FLOAT).to_numpy().view(np.uint64)
    raise TypeError(f"no digest word for {dtype}")


def policy_columns(table: pl.DataFrame, criterion_ids: list[str]) -> list[pl.Expr]:
    """The columns of one policy's result table that its stored snapshot is made of, in a fixed order; the
    criteria masked (null) where the firm has errors (stored as `[]` then)."""
    cols = set(table.columns)
    ok = pl.col("errors").is_null()
    exprs = [pl.col(c) for c in RESULT_COLUMNS]
    for cid in criterion_ids:
        names = [f"{cid}__passed"] if f"{cid}__passed" in cols else []
        names += (
            [f"{cid}__points"]  # compact_criteria writes it twice (min and max): once is the same information
            if f"{cid}__points" in cols
            else [c for c in (f"{cid}__points_min", f"{cid}__points_max") if c in cols]
        )
        exprs += [pl.when(ok).then(pl.col(n)).alias(n) for n in names]
    return exprs


def results_digests(tables: list[tuple[pl.DataFrame, object]], engine_version: str) -> pl.DataFrame:
    """(enterprise_id, results_digest Int64) of firms evaluated under each (result table, policy) — the tables
    of one slice, with the same firms in each."""
    ids = tables[0][0].get_column("enterprise_id")
    h = np.full(len(ids), string_word(f"gaoqi-results/1 {engine_version}"), dtype=np.uint64)
    for table, policy in tables:
        aligned = table if table.get_column("enterprise_id").equals(ids) else _aligned(table, ids)
        h ^= string_word(f"{policy.name} {policy.param_hash} {list(policy.criteria)}")
        _mix(h)
        for column in aligned.select(policy_columns(aligned, list(policy.criteria))).iter_columns():
            h ^= _words(column)
            _mix(h)
    return pl.DataFrame({"enterprise_id": ids, "results_digest": pl.Series(h.view(np.int64))})


def _aligned(table: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    out = ids.to_frame().join(table, on="enterprise_id", how="left", maintain_order="left")
    if out.height != len(ids):
        raise ValueError("a result table has more than one row for a firm")
    return out


def rows_digests(frame: pl.DataFrame, columns: list[str], seed: str) -> pl.Series:
    """A digest of each row's `columns` (Int64), folded as `results_digests` folds a policy's."""
    h = np.full(frame.height, string_word(seed), dtype=np.uint64)
    for column in frame.select(columns).iter_columns():
        h ^= _words(column)
        _mix(h)
    return pl.Series("results_digest", h.view(np.int64))
