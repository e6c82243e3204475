"""The Jiangsu city outlines for server-side maps (bulletins): ECharts 4.9.0's `map/json/province/jiangsu.json`
(Apache-2.0), fetched by `make vendor` into static/vendor/echarts-map/. The browser registers the same file with
the current ECharts (`echarts.registerMap`); here it is decoded and projected to SVG paths.

ECharts 4 ships its maps compressed (`UTF8Encoding`): each ring is a string of zigzag-encoded deltas from
`encodeOffsets`, scaled by 1024. `decode` is the inverse, as ECharts' own `decodePolygon`.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

MAP_STATIC = "vendor/echarts-map/jiangsu.json"


def map_path() -> Path | None:
    from django.contrib.staticfiles import finders

    found = finders.find(MAP_STATIC)
    return Path(found) if found else None


def _decode_ring(text: str, offset, scale: float) -> list[tuple[float, float]]:
    x_prev, y_prev = offset
    out = []
    for i in range(0, len(text) - 1, 2):
        x = ord(text[i]) - 64
        y = ord(text[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x += x_prev
        y += y_prev
        x_prev, y_prev = x, y
        out.append((x / scale, y / scale))
    return out


def decode(data: dict) -> dict:
    """Plain GeoJSON from an ECharts-compressed map (returned unchanged when not compressed)."""
    if not data.get("UTF8Encoding"):
        return data
    scale = data.get("UTF8Scale") or 1024
    features = []
    for f in data["features"]:
        g = f["geometry"]
        offsets = g.get("encodeOffsets")
        if g["type"] == "Polygon":
            coords = [_decode_ring(r, offsets[i], scale) for i, r in enumerate(g["coordinates"])]
        elif g["type"] == "MultiPolygon":
            coords = [
                [_decode_ring(r, offsets[p][i], scale) for i, r in enumerate(poly)]
                for p, poly in enumerate(g["coordinates"])
            ]
        else:
            continue
        features.append({**f, "geometry": {"type": g["type"], "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=1)
def city_shapes() -> tuple[float, tuple[tuple[str, str, tuple[float, float]], ...]] | None:
    """(height, ((city name, SVG path d, label point), ...)) in a 1000-wide box; None without the map file."""
    path = map_path()
    if path is None:
        return None
    geo = decode(json.loads(path.read_text(encoding="utf-8")))
    polys = []
    for f in geo["features"]:
        g = f["geometry"]
        rings = g["coordinates"] if g["type"] == "Polygon" else [r for p in g["coordinates"] for r in p]
        polys.append((f["properties"]["name"], rings, f["properties"].get("cp")))
    xs = [x for _n, rings, _c in polys for r in rings for x, _y in r]
    ys = [y for _n, rings, _c in polys for r in rings for _x, y in r]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))  # equirectangular, true to scale at mid-latitude
    scale = 1000 / ((max(xs) - min(xs)) * kx)
    x0, y1 = min(xs), max(ys)

    def project(x, y):
        return ((x - x0) * kx * scale, (y1 - y) * scale)

    out = []
    for name, rings, cp in polys:
        d = " ".join(
            "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in (project(x, y) for x, y in ring)) + " Z"
            for ring in rings
        )
        label = project(*cp) if cp else project(*rings[0][0])
        out.append((name, d, label))
    return (max(ys) - min(ys)) * scale, tuple(out)
