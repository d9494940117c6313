"""Evaluating groups of columns once per distinct combination of their inputs.

A :class:`MetricGroup` declares the input columns it reads and the columns it writes;
:func:`evaluate` runs it once per unique combination of its inputs and broadcasts the result
to every row. The unique combinations come from integer codes per column (:class:`Codes`,
mixed-radix and relabelled through a lookup table, not sorted), shared by every group of one
table, so a sweep over request rate does not recompute availability. The metrics table
(:mod:`haplan.table`) declares the groups; this module is the mechanism.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan._numeric import rarely_repeated

__all__ = ["Columns", "MetricGroup", "Codes", "evaluate"]

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class MetricGroup:
    """A model family's contribution to the metrics table.

    ``compute`` takes a dict of input arrays (one element per unique combination of
    ``inputs``, plus earlier groups' outputs named in ``inputs``) and returns a dict of
    output arrays of the same length.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute: Callable[[Columns], Columns]
    deduplicate: bool = True
    #: Rows the group must evaluate (others get 0), e.g. only rows with planned rollouts.
    rows: Callable[[Columns], np.ndarray] | None = None


class Codes:
    """Integer codes of columns, shared by every group of one ``metrics`` call.

    A group's unique input combinations come from combining per-column codes (mixed-radix
    integers, relabelled through a lookup table), not from sorting rows, so large sweeps stay
    linear. Columns may come with their codes already (a sweep's grid positions, a
    categorical's codes, a deduplicated group's outputs): those are never hashed.
    """

    def __init__(self, columns: Columns, rows: int):
        self._data = columns
        self._rows = rows
        self._columns: dict[str, tuple[np.ndarray, int]] = {}
        self._distinct: set[str] = set()  # columns counted as all distinct
        self._sources: dict[str, tuple[str, ...]] = {}  # derived column -> what it depends on

    def set(self, name: str, codes: np.ndarray, size: int) -> None:
        """Declare ``codes`` (0 … size − 1; equal codes ⇒ equal values) for column ``name``."""
        self._columns[name] = (codes, size)

    def column(self, name: str) -> tuple[np.ndarray, int]:
        if name not in self._columns:
            values = self._data[name]
            if isinstance(values, pd.Categorical):
                codes = values.codes.astype(np.int64)
                self._columns[name] = (codes, max(len(values.categories), 1))
            elif len(values) and (values.strides == (0,) or _constant(values)):
                self._columns[name] = (np.zeros(len(values), dtype=np.int64), 1)  # one value
            elif (dense := _whole_number_codes(values, self._rows)) is not None:
                self._columns[name] = dense
            elif rarely_repeated(values):  # counted as all distinct: no group deduplicates
                self._columns[name] = (np.arange(self._rows), self._rows)
                self._distinct.add(name)
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=False)
                self._columns[name] = (codes.astype(np.int64, copy=False), max(len(uniques), 1))
                if len(uniques) == self._rows:
                    self._distinct.add(name)
        return self._columns[name]

    def derive(self, name: str, sources: tuple[str, ...]) -> None:
        """Declare column ``name`` a function of the columns ``sources``."""
        self._sources[name] = sources

    def _expand(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """``names`` with derived columns replaced by their sources where that adds fewer
        combinations than the derived column's own values (C = N × R next to N: R's values
        instead of C's). Rows equal on the result are equal on ``names``."""
        kept = [name for name in names if name not in self._sources]
        for name in names:
            if name not in self._sources:
                continue
            sources = self._expand(self._sources[name])
            extra = [source for source in sources if source not in kept]
            cost = math.prod(self.column(source)[1] for source in extra)
            if cost > 1 and self.column(name)[1] <= cost:
                kept.append(name)
            else:
                kept.extend(extra)
        return tuple(dict.fromkeys(kept))

    def group(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Codes mapping each row to its unique combination of ``names``, and one row per code."""
        combined, span = None, 1
        names = self._expand(names)
        for name in names:
            codes, size = self.column(name)
            if size == self._rows and name in self._distinct:  # every row differs
                return np.arange(self._rows), np.arange(self._rows)
            if size == 1:
                continue
            if combined is None:
                combined, span = codes, size
                continue
            if span * size >= 2**62:  # keep the mixed-radix code inside int64
                combined, uniques = pd.factorize(combined)
                span = len(uniques)
            combined = combined * size + codes
            span *= size
        if combined is None:  # every column holds one value
            return np.zeros(self._rows, dtype=np.int64), np.zeros(1, dtype=np.int64)
        if span <= 4 * self._rows:  # dense codes: relabel with a lookup table, no hashing
            present = np.bincount(combined, minlength=span) > 0
            if present.all():
                codes, count = combined, span
            else:
                label = np.cumsum(present) - 1
                codes, count = label.take(combined), int(label[-1]) + 1
        else:
            codes, uniques = pd.factorize(combined)
            count = len(uniques)
        first_rows = np.empty(count, dtype=np.int64)
        first_rows[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first row of each code
        return codes.astype(np.int64, copy=False), first_rows


def _whole_number_codes(values: np.ndarray, rows: int) -> tuple[np.ndarray, int] | None:
    """(value − smallest, the span) for whole numbers spanning fewer than 4 × ``rows`` values
    (counts such as nodes and instances): codes without hashing, some perhaps unused; else
    None."""
    if values.dtype.kind not in "fiu":
        return None
    low, high = values.min(), values.max()
    if not (np.isfinite(low) and np.isfinite(high)) or high - low >= 4 * rows:
        return None
    if values.dtype.kind == "f" and not np.array_equal(values, np.floor(values)):
        return None
    return (values - low).astype(np.int64), int(high - low) + 1


def _constant(values: np.ndarray) -> bool:
    """True when every element equals the first (NaN counts as equal to NaN)."""
    if values.dtype == object:
        return False
    first = values[0]
    if values.dtype.kind == "f" and np.isnan(first):
        return bool(np.isnan(values).all())
    return bool((values == first).all())


def _take(values, codes: np.ndarray):
    """``values[codes]`` for the per-row broadcast of a deduplicated result."""
    if isinstance(values, pd.Categorical):
        return pd.Categorical.from_codes(values.codes.take(codes), dtype=values.dtype)
    values = np.asarray(values)
    if len(values) == 1:
        return np.broadcast_to(values, codes.shape)  # one value for every row: no copy
    return values.take(codes)


def evaluate(group: MetricGroup, data: Columns, codes: Codes, rows: int) -> Columns:
    columns = {name: data[name] for name in group.inputs}
    for name in group.outputs:  # an output is a function of the group's inputs
        codes.derive(name, group.inputs)
    if group.rows is not None:
        return _evaluate_rows(group, columns, rows)
    if not group.deduplicate:
        return group.compute(columns)
    row_codes, first_rows = codes.group(group.inputs)
    if len(first_rows) == rows:
        return group.compute(columns)
    unique = {name: _subset(values, first_rows) for name, values in columns.items()}
    result = group.compute(unique)
    for name in group.outputs:  # an output is a function of the group's inputs
        codes.set(name, row_codes, len(first_rows))
    return {name: _take(values, row_codes) for name, values in result.items()}


def _subset(values, rows: np.ndarray):
    if isinstance(values, pd.Categorical):
        return values.take(rows)
    return np.asarray(values).take(rows)


def _evaluate_rows(group: MetricGroup, columns: Columns, rows: int) -> Columns:
    """A group that only some rows need: 0 elsewhere, the needed rows deduplicated."""
    needed = group.rows(columns)
    out = {name: np.zeros(rows) for name in group.outputs}
    if needed.size == 0:
        return out
    part = {name: _subset(values, needed) for name, values in columns.items()}
    result = evaluate(
        MetricGroup(group.name, group.inputs, group.outputs, group.compute),
        part,
        Codes(part, needed.size),
        needed.size,
    )
    for name in group.outputs:
        out[name][needed] = result[name]
    return out
