"""Server-side clustering on a Web Mercator grid, fast at 500,000 points.

Points live in flat numpy arrays (one slot per event, updated in place by the feed
store). A zoom level is computed on demand with a few vectorised passes — sort the
points by grid cell, reduce per cell — and cached until the next change. At zoom ``z``
the world is ``CELLS_PER_TILE * 2**z`` cells wide, i.e. cells of 64 px on 256 px tiles.
Cells nest from one zoom to the next, so a cluster's ``expansion_zoom`` (the first zoom
at which its points no longer share one cell) follows from its points' extent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

CELLS_PER_TILE = 4
MAX_LAT = 85.05112878


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """Normalised Web Mercator coordinates in [0, 1) (y grows southwards)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    s = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return (lon + 180.0) / 360.0, min(max(y, 0.0), 1.0 - 1e-12)


def _cells(v: np.ndarray, n: int) -> np.ndarray:
    """The cell numbers, along one axis, of normalised coordinates on a grid ``n`` wide."""
    return np.minimum((v * n).astype(np.int64), n - 1)


@dataclass(frozen=True)
class Level:
    lon: np.ndarray  # mean longitude of each cell's points
    lat: np.ndarray
    count: np.ndarray
    expansion: np.ndarray  # expansion zoom (meaningful where count > 1)
    slot: np.ndarray  # one point's slot per cell (the point itself where count == 1)
    key: np.ndarray  # cell number at this zoom


class GridIndex:
    def __init__(self, max_zoom: int = 16, capacity: int = 1024, max_age: float = 0.0) -> None:
        self.max_zoom = max_zoom
        #: a level may be served this many seconds after a change before being recomputed
        #: (under a stream of changes at 500,000 points, clusters lag by at most this)
        self.max_age = max_age
        self.version = 0
        self._slots: dict[str, int] = {}
        self._free: list[int] = []
        self._size = 0  # high-water mark of used slots
        self.ids: list[str | None] = []
        self.lon = np.zeros(capacity)
        self.lat = np.zeros(capacity)
        self.x = np.zeros(capacity)
        self.y = np.zeros(capacity)
        self.alive = np.zeros(capacity, dtype=bool)
        self._levels: dict[int, tuple[int, float, Level]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def slot_of(self, key: str) -> int | None:
        return self._slots.get(key)

    @property
    def size(self) -> int:
        return self._size

    def _grow(self) -> None:
        capacity = len(self.lon) * 2
        for name in ("lon", "lat", "x", "y", "alive"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def put(self, key: str, lon: float, lat: float) -> None:
        slot = self._slots.get(key)
        if slot is None:
            if self._free:
                slot = self._free.pop()
            else:
                if self._size == len(self.lon):
                    self._grow()
                slot = self._size
                self._size += 1
                self.ids.append(None)
            self._slots[key] = slot
            self.ids[slot] = key
        self.lon[slot], self.lat[slot] = lon, lat
        self.x[slot], self.y[slot] = mercator(lon, lat)
        self.alive[slot] = True
        self.version += 1

    def remove(self, key: str) -> None:
        slot = self._slots.pop(key, None)
        if slot is None:
            return
        self.alive[slot] = False
        self.ids[slot] = None
        self._free.append(slot)
        self.version += 1

    # ------------------------------------------------------------------ levels

    def level(self, zoom: int, mask: np.ndarray | None = None) -> Level:
        """The clusters of one zoom level (cached unless a filter ``mask`` is given)."""
        if mask is None and zoom in self._levels:
            version, made_at, level = self._levels[zoom]
            if version == self.version or time.monotonic() - made_at < self.max_age:
                return level
        level = self._compute(zoom, np.flatnonzero(self._selected(mask)))
        if mask is None:
            self._levels[zoom] = (self.version, time.monotonic(), level)
        return level

    def _selected(self, mask: np.ndarray | None) -> np.ndarray:
        """The used slots holding a point (and passing ``mask``, when given)."""
        selected = self.alive[: self._size]
        return selected if mask is None else selected & mask[: self._size]

    def _compute(self, zoom: int, slots: np.ndarray) -> Level:
        n = CELLS_PER_TILE * (1 << zoom)
        x, y = self.x[slots], self.y[slots]
        key = _cells(x, n) * n + _cells(y, n)
        order = np.argsort(key, kind="stable")
        key, slots, x, y = key[order], slots[order], x[order], y[order]
        if key.size == 0:
            empty = np.zeros(0)
            return Level(
                empty,
                empty,
                empty.astype(np.int64),
                empty.astype(np.int64),
                empty.astype(np.int64),
                empty.astype(np.int64),
            )
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        count = np.diff(np.r_[starts, key.size])
        lon = np.add.reduceat(self.lon[slots], starts) / count
        lat = np.add.reduceat(self.lat[slots], starts) / count
        min_x, max_x = np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)
        min_y, max_y = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
        expansion = np.full(starts.size, self.max_zoom + 1, dtype=np.int64)
        undecided = count > 1
        for z in range(zoom + 1, self.max_zoom + 1):
            if not undecided.any():
                break
            m = CELLS_PER_TILE * (1 << z)
            split = (_cells(min_x, m) != _cells(max_x, m)) | (_cells(min_y, m) != _cells(max_y, m))
            now = undecided & split
            expansion[now] = z
            undecided &= ~split
        return Level(lon, lat, count, expansion, slots[starts], key[starts])

    # ------------------------------------------------------------------ queries

    @staticmethod
    def _in_bbox(lon: np.ndarray, lat: np.ndarray, bbox) -> np.ndarray:
        w, s, e, n = bbox
        inside = (lat >= s) & (lat <= n)
        if w <= e:
            return inside & (lon >= w) & (lon <= e)
        return inside & ((lon >= w) | (lon <= e))

    def query(self, bbox, zoom: int, mask: np.ndarray | None = None):
        """``(clusters, point_ids)``: clusters as ``(key, lon, lat, count, expansion)``."""
        if zoom > self.max_zoom:
            inside = self._selected(mask) & self._in_bbox(
                self.lon[: self._size], self.lat[: self._size], bbox
            )
            return [], [self.ids[i] for i in np.flatnonzero(inside)]
        level = self.level(zoom, mask)
        hits = np.flatnonzero(self._in_bbox(level.lon, level.lat, bbox))
        single = level.count[hits] == 1
        points = [self.ids[i] for i in level.slot[hits[single]]]
        many = hits[~single]
        clusters = list(
            zip(
                level.key[many].tolist(),
                level.lon[many].tolist(),
                level.lat[many].tolist(),
                level.count[many].tolist(),
                level.expansion[many].tolist(),
                strict=True,
            )
        )
        return clusters, points
