"""Reference numbers of applications (registration and admission numbers): the next serial after a prefix,
counting the demo's synthetic numbers (`SYN-` + the same number) as well as the real ones, so that a second
number of either kind never repeats the first."""

from __future__ import annotations

from datetime import date

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


def issue(app: Application, *, fmt: str, fields: dict, valid_until: date, synthetic: bool) -> str:
    """The application's reference number from the dated format `fmt` (its `{serial}` the next one after the
    prefix the other `fields` give, within the application's programme; demo numbers marked SYN-), stored on
    the application (object and row) with `valid_until` and the synthetic flag. Returns the number."""
    prefix = fmt.split("{serial")[0].format(**fields)
    serial = next_serial(programme=app.programme, prefix=prefix)  # real and synthetic (SYN-) numbers alike
    number = mark(fmt.format(serial=serial, **fields), synthetic=synthetic)
    app.reference_no, app.valid_until, app.synthetic = number, valid_until, synthetic
    Application.objects.filter(pk=app.pk).update(
        reference_no=number, valid_until=valid_until, synthetic=synthetic
    )
    return number
