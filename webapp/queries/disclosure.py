"""Statistical disclosure control for the indicators: small counts hidden, and never recomputable.

A set of published counts is a list of named cells and of additive relations between them
(« this total is the sum of those cells »), possibly spanning several tables that share totals.
Primary suppression hides every count from 1 to threshold - 1 (0 is shown: it identifies nobody).
Secondary suppression then hides more cells until no hidden count is determined by the counts shown
and the relations: a hidden cell is determined when the unit vector of that cell lies in the row
space of the relations restricted to the hidden cells (checked on the reduced row echelon form,
with exact fractions). That covers « total minus the other cells » and any combination of totals
across rows, columns and linked tables. Bounds (a count is never negative) are not modelled.
"""
from dataclasses import dataclass, field
from fractions import Fraction

HIDDEN = None  # how a suppressed count is represented in the published figures


@dataclass
class Grid:
    """Cells {key: count} and relations [(total key, [part keys])], shared totals allowed."""
    values: dict = field(default_factory=dict)
    relations: list = field(default_factory=list)

    def add(self, key, value: int) -> None:
        self.values[key] = self.values.get(key, 0) + int(value or 0)

    def relate(self, total, parts) -> None:
        """`total` is the sum of `parts` (computed from them when not yet known)."""
        parts = [p for p in parts if p != total]
        for key in parts:
            self.values.setdefault(key, 0)
        self.values.setdefault(total, sum(self.values[p] for p in parts))
        self.relations.append((total, parts))


def _rref_rows(matrix: list[dict]) -> list[dict]:
    """Reduced row echelon form of sparse rows {column: Fraction} (columns in sorted order)."""
    rows = [dict(r) for r in matrix if r]
    result = []
    columns = sorted({c for r in rows for c in r})
    for column in columns:
        pivot = next((r for r in rows if r.get(column)), None)
        if pivot is None:
            continue
        rows.remove(pivot)
        factor = pivot[column]
        pivot = {c: v / factor for c, v in pivot.items() if v}
        for group in (rows, result):
            for i, other in enumerate(group):
                coefficient = other.get(column)
                if coefficient:
                    merged = dict(other)
                    for c, v in pivot.items():
                        merged[c] = merged.get(c, 0) - coefficient * v
                    group[i] = {c: v for c, v in merged.items() if v}
        rows = [r for r in rows if r]
        result.append(pivot)
    return result


def determined(grid: Grid, hidden: set) -> set:
    """The hidden keys whose value follows from the shown ones through the relations."""
    index = {key: i for i, key in enumerate(sorted(hidden, key=repr))}
    matrix = []
    for total, parts in grid.relations:
        row: dict = {}
        for key, sign in [(total, Fraction(-1)), *((p, Fraction(1)) for p in parts)]:
            if key in index:
                row[index[key]] = row.get(index[key], 0) + sign
        row = {c: v for c, v in row.items() if v}
        if row:
            matrix.append(row)
    keys = {i: key for key, i in index.items()}
    return {keys[next(iter(r))] for r in _rref_rows(matrix) if len(r) == 1}


def _shown_beside(grid: Grid, keys: set, hidden: set) -> set:
    """The shown members of the relations that involve any of `keys`."""
    found = set()
    for total, parts in grid.relations:
        members = [total, *parts]
        if any(m in keys for m in members):
            found |= {m for m in members if m not in hidden}
    return found


def suppress(grid: Grid, threshold: int) -> dict:
    """{key: count or HIDDEN}: primary then secondary suppression (see the module's docstring)."""
    hidden = {k for k, v in grid.values.items() if 0 < v < threshold}
    totals = {total for total, _parts in grid.relations}
    while True:
        # a relation with one hidden count gives it away (cheap); otherwise the exact test
        exposed = {inside[0] for inside in ([m for m in [total, *parts] if m in hidden]
                                            for total, parts in grid.relations) if len(inside) == 1}
        exposed = exposed or determined(grid, hidden)
        if not exposed:
            break
        # first the relations where one count alone is hidden (« total minus the others »)
        candidates = set()
        for total, parts in grid.relations:
            members = [total, *parts]
            inside = [m for m in members if m in hidden]
            if len(inside) == 1 and inside[0] in exposed:
                candidates |= {m for m in members if m not in hidden}
        candidates = candidates or _shown_beside(grid, exposed, hidden) or _shown_beside(grid, hidden, hidden)
        if not candidates:  # everything related is hidden already
            break
        # Prefer a count already tied to a hidden one by another relation (hiding it loses little: e.g. a
        # département's cell that one hidden structure makes up), then inner cells before totals, the smallest.
        touching = {}
        for total, parts in grid.relations:
            members = [total, *parts]
            if any(m in hidden for m in members):
                for m in members:
                    touching[m] = touching.get(m, 0) + 1
        hidden.add(min(candidates, key=lambda m: (grid.values[m] == 0, touching.get(m, 0) < 2, m in totals,
                                                  grid.values[m], repr(m))))
    return {k: (HIDDEN if k in hidden else v) for k, v in grid.values.items()}
