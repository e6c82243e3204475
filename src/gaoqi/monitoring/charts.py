"""Small SVG charts drawn on the server for the bulletins (WeasyPrint renders SVG; no browser needed):
horizontal bars, a line over months, and the Jiangsu choropleth by city. Labels are escaped; numbers are
formatted by the caller's `fmt`."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

FONT = "font-family='WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif'"
BLUE, GREY, LINE = "#1a4f9c", "#c9d1db", "#dde3ea"
# Light to dark blue, five classes.
SCALE = ("#e8f0fb", "#b9d0f0", "#7ea7e0", "#3d7dd8", "#1a4f9c")


def _num(v) -> float:
    return float(v) if v is not None else 0.0


def bars(rows: list[tuple[str, object]], *, width: int = 640, fmt=str, color: str = BLUE) -> str:
    """Horizontal bars, one per (label, value); None values are drawn as "—"."""
    bar_h, gap, left, right = 16, 6, 110, 70
    height = len(rows) * (bar_h + gap) + gap
    top = max((_num(v) for _l, v in rows), default=0) or 1
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' {FONT} font-size='11'>"
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = (width - left - right) * _num(value) / top
        parts.append(
            f"<text x='{left - 6}' y='{y + 12}' text-anchor='end' fill='#1f2933'>{escape(label)}</text>"
        )
        parts.append(f"<rect x='{left}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='{color}'/>")
        text = "—" if value is None else escape(fmt(value))
        parts.append(f"<text x='{left + w + 4:.1f}' y='{y + 12}' fill='#1f2933'>{text}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above


def line(points: list[tuple[str, object]], *, width: int = 640, height: int = 180, fmt=str) -> str:
    """A line over the months (label, value); gaps where the value is None."""
    left, right, top_pad, bottom = 50, 20, 16, 28
    known = [_num(v) for _l, v in points if v is not None]
    if not known:
        return ""
    hi = max(known) or 1
    n = len(points)
    step = (width - left - right) / max(n - 1, 1)

    def y_of(v) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - _num(v) / hi)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' {FONT} font-size='10'>"
    ]
    parts.append(
        f"<line x1='{left}' y1='{height - bottom}' x2='{width - right}' y2='{height - bottom}' stroke='{LINE}'/>"
    )
    parts.append(
        f"<text x='{left - 4}' y='{top_pad + 4}' text-anchor='end' fill='#6b7785'>{escape(fmt(hi))}</text>"
    )
    coords = [(left + i * step, y_of(v)) for i, (_l, v) in enumerate(points) if v is not None]
    if len(coords) > 1:
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
        parts.append(f"<path d='{d}' fill='none' stroke='{BLUE}' stroke-width='2'/>")
    for i, (label, value) in enumerate(points):
        x = left + i * step
        if value is not None:
            parts.append(f"<circle cx='{x:.1f}' cy='{y_of(value):.1f}' r='2.5' fill='{BLUE}'/>")
        if n <= 13 or i % 2 == 0:
            parts.append(
                f"<text x='{x:.1f}' y='{height - 10}' text-anchor='middle' fill='#6b7785'>{escape(label)}</text>"
            )
    if points and points[-1][1] is not None:
        x, y = coords[-1]
        parts.append(
            f"<text x='{x - 4:.1f}' y='{y - 6:.1f}' text-anchor='end' fill='{BLUE}'>{escape(fmt(points[-1][1]))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped above


def choropleth(values: dict[str, object], *, width: int = 420, highlight: str | None = None, fmt=str) -> str:
    """Jiangsu by city, shaded by value (five equal classes up to the maximum). Cities without a value are
    grey; `highlight` (a city name) is outlined. Empty string when the map file is not installed."""
    from gaoqi.monitoring.geo import city_shapes

    shapes = city_shapes()
    if not shapes:
        return ""
    box_h, cities = shapes
    known = [_num(v) for v in values.values() if v is not None]
    hi = max(known, default=0) or 1
    height = width * box_h / 1000
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height:.0f}' viewBox='-5 -5 1010 {box_h + 10:.0f}' {FONT}>"
    ]
    for name, d, _label in cities:
        v = values.get(name)
        fill = GREY if v is None else SCALE[min(4, int(_num(v) / hi * 5))]
        stroke, sw = ("#c0392b", 5) if name == highlight else ("#ffffff", 2)
        parts.append(f"<path d='{d}' fill='{fill}' stroke='{stroke}' stroke-width='{sw}'/>")
    for name, _d, (x, y) in cities:
        v = values.get(name)
        text = escape(name.removesuffix("市")) + ("" if v is None else f" {escape(fmt(v))}")
        dark = v is not None and int(_num(v) / hi * 5) >= 3  # white text on the two darkest classes
        colour = "#ffffff" if dark else "#1f2933"
        parts.append(
            f"<text x='{x:.0f}' y='{y:.0f}' text-anchor='middle' font-size='26' fill='{colour}'>{text}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped above
