"""Names in pinyin order (Chinese officers expect 拼音排序): a sort key per character from pypinyin's
character dictionary (first reading, tone number), fast enough for 300,000 names in a bulk pass.

Heteronyms take their first listed reading, except the readings company names use (长 chang2 as in 长江、长城,
行 hang2 as in 银行, 重庆 chong2 qing4): a phrase-aware conversion costs ~0.5 ms a name (150 s for 300,000), too
slow for every re-evaluation; the full name breaks ties.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import polars as pl
from pypinyin.pinyin_dict import pinyin_dict

_TONES = {"\u0304": "1", "\u0301": "2", "\u030c": "3", "\u0300": "4"}
_CHARS = {"长": "chang2", "行": "hang2"}
_PHRASES = {"重庆": "chong2 qing4"}


@lru_cache(maxsize=65536)
def _char_key(ch: str) -> str:
    if ch in _CHARS:
        return _CHARS[ch]
    reading = pinyin_dict.get(ord(ch))
    if reading is None:
        return ch.lower()
    first = unicodedata.normalize("NFD", reading.split(",")[0])
    tone = next((_TONES[c] for c in first if c in _TONES), "5")
    letters = "".join(c for c in first if c.isascii())
    return f"{letters}{tone}"


def sort_key(name: str) -> str:
    """'苏州恒瑞' -> 'su1 zhou1 heng2 rui4'; ASCII and digits sort before letters of pinyin by code point."""
    keys = [_char_key(ch) for ch in name]
    for phrase, reading in _PHRASES.items():
        start = name.find(phrase)
        while start >= 0:
            keys[start : start + len(phrase)] = [reading] + [""] * (len(phrase) - 1)
            start = name.find(phrase, start + len(phrase))
    return " ".join(k for k in keys if k)[:200]


def sort_keys(names: pl.Series) -> pl.Series:
    """`sort_key` of every name, vectorised: each distinct character's key looked up once, then one
    multi-pattern replace over the column (Aho-Corasick). 4 million names in seconds instead of a Python
    call per name. Names holding a phrase with its own reading, or the separator, take the per-name path.
    Nulls give ""."""
    names = names.cast(pl.String).fill_null("")
    distinct = names.str.split("").explode().drop_nulls().unique().to_list()
    sep = "\x1f"
    keys = {ch: _char_key(ch) for ch in distinct}
    keys = (
        names.str.replace_many(list(keys), [f"{k}{sep}" if k else "" for k in keys.values()])
        .str.strip_suffix(sep)
        .str.replace_all(sep, " ", literal=True)
        .str.slice(0, 200)
    )
    odd = names.str.contains("|".join([*_PHRASES, sep]))
    if odd.any():
        keys = keys.scatter(odd.arg_true(), names.filter(odd).map_elements(sort_key, return_dtype=pl.String))
    return keys.alias("name_pinyin")
