"""Finding the registered firm a row names when it carries no credit code.

Exact: the same name (ignoring spaces and full/half-width forms) within the row's county, or within the
officer's region when the row has no county, and only when exactly one firm has it. Otherwise the
closest names (character bigrams, then difflib's ratio) are offered for the officer to confirm; nothing
is matched on similarity alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from gaoqi.policy.template.cells import normalize_header

LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团", "分公司", "公司")
MIN_SCORE = 0.7
MAX_CANDIDATES = 5


def name_key(name: str) -> str:
    """The form two spellings of one name share: NFKC, no whitespace, lower case."""
    return normalize_header(name or "")


def _core(key: str, places: tuple[str, ...] = ()) -> str:
    """The distinctive part of a name: without the legal form and a leading place name (苏州, 昆山市...),
    which many firms share and which would make every local firm look alike."""
    for form in LEGAL_FORMS:
        if key.endswith(form):
            key = key[: -len(form)]
            break
    for place in places:
        if key.startswith(place) and len(key) > len(place) + 1:
            return key[len(place) :]
    return key


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


@dataclass(frozen=True, slots=True)
class Firm:
    id: int
    credit_code: str
    name: str
    county: str


class NameIndex:
    """Firms by exact name key, and a bigram index for candidates."""

    def __init__(self, firms: list[Firm], places: tuple[str, ...] = ()):
        # Longest first, so 苏州市 is stripped whole rather than as 苏州.
        self.places = tuple(sorted({name_key(p) for p in places if p}, key=len, reverse=True))
        self.by_key: dict[str, list[Firm]] = {}
        self.by_bigram: dict[str, list[int]] = {}
        self.firms = firms
        for i, firm in enumerate(firms):
            key = name_key(firm.name)
            self.by_key.setdefault(key, []).append(firm)
            for gram in _bigrams(_core(key, self.places)):
                self.by_bigram.setdefault(gram, []).append(i)

    def exact(self, name: str, county: str = "") -> list[Firm]:
        return [f for f in self.by_key.get(name_key(name), []) if not county or f.county == county]

    def candidates(self, name: str, county: str = "") -> list[dict]:
        core = _core(name_key(name), self.places)
        grams = _bigrams(core)
        hits: dict[int, int] = {}
        for gram in grams:
            for i in self.by_bigram.get(gram, ()):
                hits[i] = hits.get(i, 0) + 1
        shortlist = sorted(hits, key=lambda i: -hits[i])[:50]
        scored = []
        for i in shortlist:
            firm = self.firms[i]
            if county and firm.county != county:
                continue
            score = SequenceMatcher(None, core, _core(name_key(firm.name), self.places)).ratio()
            if score >= MIN_SCORE:
                scored.append((score, firm))
        scored.sort(key=lambda sf: (-sf[0], sf[1].name))
        return [
            {
                "id": f.id,
                "name": f.name,
                "credit_code": f.credit_code,
                "county": f.county,
                "score": round(s, 2),
            }
            for s, f in scored[:MAX_CANDIDATES]
        ]
