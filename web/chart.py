"""The report's chart: searches per day (bars) and the share of them that
found nothing (a line), drawn on the server as SVG by `_chart.html` (no
script; colours come from style.css, so dark mode applies). Here only the
geometry is computed; the template escapes every text."""

from __future__ import annotations

from typing import Any, Sequence

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 12, 28


def nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at least `value` (the bar axis' top)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def daily_chart(days: Sequence[Any]) -> dict[str, Any] | None:
    """Geometry for `days` (objects with `day`, `searches`, `zero_share`), or None without days."""
    if not days:
        return None
    top = nice_max(max(d.searches for d in days) or 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)
    bar = max(slot * 0.7, 1.0)
    grid = [{"y": round(TOP + plot_h * (1 - f), 1), "count": round(top * f), "percent": round(f * 100)}
            for f in (0, 0.5, 1)]
    bars, points = [], []
    for i, d in enumerate(days):
        h = plot_h * d.searches / top
        bars.append({"x": round(LEFT + slot * i + (slot - bar) / 2, 1), "y": round(TOP + plot_h - h, 1),
                     "width": round(bar, 1), "height": round(h, 1), "day": d.day,
                     "searches": d.searches, "zero_percent": round(d.zero_share * 100)})
        if d.searches:
            points.append((round(LEFT + slot * (i + 0.5), 1), round(TOP + plot_h * (1 - d.zero_share), 1)))
    ends = [{"x": round(LEFT + slot * (i + 0.5), 1), "day": days[i].day,
             "anchor": "middle" if len(days) == 1 else ("start" if i == 0 else "end")}
            for i in sorted({0, len(days) - 1})]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "label_y": HEIGHT - 8, "grid": grid, "bars": bars, "points": points,
            "line": " ".join(f"{x},{y}" for x, y in points), "ends": ends}
