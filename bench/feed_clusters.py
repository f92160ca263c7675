"""Clusters at 500,000 events: the numpy grid index beside a plain-Python grid (baseline).

    uv run python bench/feed_clusters.py [--points 500000]

Prints, per zoom, the time to compute a level after a change (cold), a viewport query
once it is cached (warm), and the plain-Python dict grid doing the same clustering.
"""

from __future__ import annotations

import argparse
import random
import time

from map_feed.clusters import CELLS_PER_TILE, GridIndex, mercator


def viewport(zoom: int, lon: float = 2.35, lat: float = 48.85) -> tuple[float, float, float, float]:
    """A 1280 x 800 px map view centred on Paris (longitude span; latitude roughly)."""
    width = 360 / (1 << zoom) * 1280 / 256
    height = min(170.0, width * 800 / 1280 * 0.66)
    return (
        max(-180, lon - width / 2),
        max(-85, lat - height / 2),
        min(180, lon + width / 2),
        min(85, lat + height / 2),
    )


def python_grid(points, zoom: int) -> int:
    """The obvious implementation: one dict of cells, one Python step per point."""
    n = CELLS_PER_TILE * (1 << zoom)
    cells: dict[int, list[float]] = {}
    for x, y, lon, lat in points:
        key = min(int(x * n), n - 1) * n + min(int(y * n), n - 1)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [1, lon, lat]
        else:
            cell[0] += 1
            cell[1] += lon
            cell[2] += lat
    return len(cells)


def main(count: int) -> None:
    rng = random.Random(5)
    grid = GridIndex()
    points = []
    t0 = time.perf_counter()
    for i in range(count):
        lon, lat = rng.uniform(-4.5, 7.8), rng.uniform(42.5, 51.0)
        grid.put(f"e{i}", lon, lat)
        points.append((*mercator(lon, lat), lon, lat))
    load = time.perf_counter() - t0
    print(f"{count} points indexed in {load:.1f} s")
    print(
        f"{'zoom':>4} {'cells':>8} {'cold ms':>8} {'view query ms':>14} {'python ms':>10} {'speed-up':>9}"
    )
    for zoom in (0, 4, 6, 8, 10, 12, 14, 16):
        grid.put("e0", 2.35, 48.85)  # a change: levels are recomputed
        t0 = time.perf_counter()
        level = grid.level(zoom)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(20):
            grid.query(viewport(zoom), zoom)
        warm = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        python_grid(points, zoom)
        py = time.perf_counter() - t0
        print(
            f"{zoom:>4} {len(level.count):>8} {cold * 1e3:>8.0f} {warm * 1e3:>14.1f} {py * 1e3:>10.0f} "
            f"{py / cold:>8.1f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=500_000)
    main(parser.parse_args().points)
