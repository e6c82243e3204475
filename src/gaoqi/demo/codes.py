"""Vectorised credit codes (GB 32100-2015) and company names for the synthetic data set."""

from __future__ import annotations

import numpy as np

from gaoqi.demo.calibration import INDUSTRY_WORDS, NAME_SYLLABLES

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), dtype=np.int64)
ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)  # GB 11714 organisation code
_ALPHABET_BYTES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_ORG_SPACE = 10**8


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) decimal digits of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def credit_codes(county_codes: np.ndarray, rng: np.random.Generator, start: int = 0) -> np.ndarray:
    """Unique, valid 18-character codes: "91" + county code + organisation code (8 digits + GB 11714
    check character) + GB 32100 check character (ISO 7064 MOD 31-3, as stdnum.cn.uscc computes it).

    Uniqueness: the 8-digit organisation bodies are an affine permutation of start..start+n-1 modulo 10^8 (the
    parts of a large set draw the same permutation from the same `rng` state and take successive `start`s).
    """
    n = len(county_codes)
    if start + n > _ORG_SPACE:
        raise ValueError("too many enterprises for the organisation-code space")
    mult = int(rng.integers(10**6, 10**7)) * 10 + int(rng.choice([1, 3, 7, 9]))  # coprime to 10^8
    offset = int(rng.integers(0, _ORG_SPACE))
    body = (np.arange(start, start + n, dtype=np.int64) * mult + offset) % _ORG_SPACE
    org_digits = _digits(body, 8)
    org_check = (11 - (org_digits * ORG_WEIGHTS).sum(axis=1) % 11) % 11  # 10 → "X"
    county_digits = _digits(county_codes.astype(np.int64), 6)
    values = np.empty((n, 17), dtype=np.int64)
    values[:, 0], values[:, 1] = 9, 1
    values[:, 2:8] = county_digits
    values[:, 8:16] = org_digits
    values[:, 16] = np.where(org_check == 10, USCC_ALPHABET.index("X"), org_check)
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = _ALPHABET_BYTES[values]
    chars[:, 17] = _ALPHABET_BYTES[check]
    return chars.view("S18").ravel().astype("U18")


def valid_credit_codes(codes: np.ndarray) -> np.ndarray:
    """Which codes are valid unified social credit codes, as `stdnum.cn.uscc.validate` (and so the registry's
    `credit_code_errors`) decides, vectorised — stricter only in refusing what stdnum would first compact
    (spaces, dashes, lower case): 18 characters, the first 8 digits, the rest from the code alphabet, the last
    the GB 32100 check character of the first 17. The tests hold it equal to `credit_code_errors`."""
    codes = np.asarray(codes, dtype=str)
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=bool)
    width = codes.dtype.itemsize // 4
    if width < 18:
        return np.zeros(n, dtype=bool)
    points = codes.view(np.uint32).reshape(n, width)  # code points, 0 after a shorter string's end
    ok = (points[:, :18] != 0).all(axis=1) & (points[:, 18:] == 0).all(axis=1)
    table = np.full(128, -1, dtype=np.int64)
    table[_ALPHABET_BYTES] = np.arange(len(USCC_ALPHABET))
    head = points[:, :18]
    values = np.where(head < 128, table[np.minimum(head, 127)], -1)
    ok &= (values >= 0).all(axis=1) & (values[:, :8] < 10).all(axis=1)
    check = (31 - (values[:, :17] * USCC_WEIGHTS).sum(axis=1)) % 31
    return ok & (check == values[:, 17])


def company_names(
    places: np.ndarray, place_idx: np.ndarray, field_tops: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Names like 苏州恒瑞智能装备有限公司: place + 2–3 syllable brand + industry word + suffix.

    Each name is drawn as integer parts; duplicates (same parts) are redrawn, vectorised on the
    duplicates only, so names are unique in practice (uniqueness is not a rule of the registry).
    """
    n = len(place_idx)
    syl = np.array(NAME_SYLLABLES)
    n_syl = len(syl)
    tops = sorted(INDUSTRY_WORDS)
    word_lists = [INDUSTRY_WORDS[t] for t in tops]
    top_idx = np.searchsorted(np.array(tops), field_tops)
    n_words = np.array([len(w) for w in word_lists])[top_idx]
    words = np.array([w for ws in word_lists for w in ws])
    word_offset = np.concatenate([[0], np.cumsum([len(w) for w in word_lists])[:-1]])[top_idx]
    parts = np.zeros((n, 5), dtype=np.int64)  # syllable 1, 2, 3 (or n_syl = none), word, suffix
    todo = np.arange(n)
    for _round in range(10):
        m = len(todo)
        parts[todo, 0] = rng.integers(0, n_syl, m)
        parts[todo, 1] = rng.integers(0, n_syl, m)
        parts[todo, 2] = np.where(rng.random(m) < 0.35, rng.integers(0, n_syl, m), n_syl)
        parts[todo, 3] = word_offset[todo] + (rng.random(m) * n_words[todo]).astype(np.int64)
        parts[todo, 4] = rng.random(m) < 0.1
        key = place_idx.astype(np.int64)
        for col, size in zip(range(5), (n_syl, n_syl, n_syl + 1, len(words), 2), strict=True):
            key = key * size + parts[:, col]
        _, first = np.unique(key, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
        if len(todo) == 0:
            break
    syl_plus = np.append(syl, "").astype(object)
    suffix = np.array(["有限公司", "股份有限公司"], dtype=object)
    names = (
        places.astype(object)[place_idx]
        + syl_plus[parts[:, 0]]
        + syl_plus[parts[:, 1]]
        + syl_plus[parts[:, 2]]
        + words.astype(object)[parts[:, 3]]
        + suffix[parts[:, 4]]
    )
    return names.astype(str)
