"""Reference numbers of applications (registration and admission numbers): the next serial after a prefix,
counting the demo's synthetic numbers (`SYN-` + the same number) as well as the real ones, so that a second
number of either kind never repeats the first."""

from __future__ import annotations

from django.db.models import Q

from gaoqi.workflow.models import Application

SYNTHETIC = "SYN-"  # prefix of the demo's numbers (synthetic data)


def next_serial(*, programme: str, prefix: str) -> int:
    """1 + the largest serial after `prefix` among the programme's numbers, real or synthetic (1 when none).

    Call it inside the transaction that writes the number: the matching rows are locked (select_for_update)."""
    taken = (
        Application.objects.select_for_update()
        .filter(programme=programme)
        .filter(Q(reference_no__startswith=prefix) | Q(reference_no__startswith=SYNTHETIC + prefix))
        .values_list("reference_no", flat=True)
    )
    tails = (ref.removeprefix(SYNTHETIC)[len(prefix) :] for ref in taken)
    return max((int(t) for t in tails if t.isdigit()), default=0) + 1


def mark(number: str, *, synthetic: bool) -> str:
    """The number as stored: synthetic (demo) numbers carry the SYN- prefix."""
    return SYNTHETIC + number if synthetic else number
