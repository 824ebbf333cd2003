#!/usr/bin/env python
"""Benchmark: the costliest diagram expressions that still pass validation, on the largest form data.

    .venv/bin/python bench/expressions.py [--runs 20]

Each expression below is first checked with `check_expression` (the validation of `spro process
validate` and of every upload): the script stops if one is refused, since only accepted
expressions matter here. Each is then evaluated through the engine's own `SafeEnvironment`
(`evaluate_bounded`), `--runs` times (median and max printed), over data shaped like the forms allow: free texts of
5 000 characters (the forms' largest maxLength), ASCII and non-Latin, and lists of 50 such texts
(beyond the largest enum, 7 values). Printed per expression: the outcome (a value, or « arrêtée »
when the run-time budget stopped it with an EngineError), the median and max wall time in ms, and the
peak memory the evaluation allocated (tracemalloc, one separate run). Targets: ≤ 10 ms, ≤ 1 MB.
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from webapp.workflow.errors import EngineError  # noqa: E402
from webapp.workflow.expressions import MAX_NODES, check_expression, evaluate_bounded  # noqa: E402

TARGET_MS, TARGET_BYTES = 10.0, 1_000_000


def _terms(term: str, joiner: str) -> str:
    """As many copies of `term` as the node limit allows, joined by `joiner`."""
    count = 1
    while check_expression(joiner.join([term] * (count + 1))) is None:
        count += 1
        if count > MAX_NODES:
            break
    return joiner.join([term] * count)


def data() -> dict:
    """The largest values a form lets a person enter (5 000-character texts, lists of 50)."""
    ascii_text, wide_text = "x" * 4_999 + "a", "€" * 4_999 + "a"
    return {
        "texte": ascii_text, "texte_large": wide_text,
        "liste": [ascii_text[:-1] + str(i % 10) for i in range(50)],
        "liste_large": [wide_text[:-1] + str(i % 10) for i in range(50)],
        "nombre": 999_999_999_999_999,
    }


def worst_expressions() -> dict:
    """Label -> expression: each builds or scans as much as the validation rules let it."""
    return {
        "répétition maximale d'un texte": "texte * 100",
        "concaténations de textes répétés": _terms("texte * 20", " + "),
        "appartenance à une liste répétée": _terms("texte_large + 'b' in liste_large * 100", " or "),
        "plus grand élément d'une liste répétée": _terms("max(liste_large * 100)", " + "),
        "plus petit caractère d'un long texte": _terms("min(texte_large)", " + "),
        "plus petit caractère d'un texte répété": _terms("min(texte_large * 20)", " + "),
        "texte d'une liste répétée": "str(liste_large * 100)",
        "liste de textes répétés": "[" + _terms("texte_large * 20", ", ") + "]",
        "format large sur le texte": _terms('"%100s" % texte_large', " + "),
        "recherche dans un texte répété": _terms("texte_large + 'b' in texte_large * 20", " or "),
        "comparaisons de longs textes": _terms("texte_large + 'b' < texte_large + 'c'", " and "),
        "grands nombres": _terms("(nombre + 999999999999999) * 100", " + "),
        "conditions imbriquées": "texte_large * 20 if texte else " * 9 + "1",
        "liste littérale maximale": "[" + ", ".join(['"' + "y" * 30 + '"'] * 50) + "] * 100",
    }


def _run(expression: str, names: dict):
    try:
        return evaluate_bounded(expression, names), None
    except EngineError as exc:
        return None, str(exc)


def measure(expression: str, names: dict, runs: int) -> tuple[float, float, int, str]:
    """(median ms, max ms over `runs`, peak bytes allocated, outcome) of one accepted expression."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        value, stopped = _run(expression, names)
        times.append((time.perf_counter() - start) * 1000)
    tracemalloc.start()
    _run(expression, names)
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outcome = f"arrêtée : {stopped}" if stopped else f"valeur {type(value).__name__}"
    return statistics.median(times), max(times), peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    names = data()
    cases = worst_expressions()
    for label, expression in cases.items():
        reason = check_expression(expression)
        if reason:
            print(f"Refusée à la validation (à retirer du banc) : {label} : {reason}")
            return 2
    print(f"Cibles : ≤ {TARGET_MS:g} ms (médiane de {args.runs} exécutions) et ≤ {TARGET_BYTES // 1_000_000} Mo "
          f"par évaluation. Charge de la machine : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} processeur(s).")
    print(f"{'expression':<42} {'car.':>5} {'médiane':>8} {'max':>7} {'Ko':>6}  résultat")
    missed = 0
    for label, expression in cases.items():
        median, worst, peak, outcome = measure(expression, names, args.runs)
        ok = median <= TARGET_MS and peak <= TARGET_BYTES
        missed += not ok
        print(f"{label:<42} {len(expression):>5} {median:>8.2f} {worst:>7.2f} {peak / 1000:>6.0f}  "
              f"{'' if ok else 'HORS CIBLE '}{outcome[:60]}")
    print("Toutes dans la cible." if not missed else f"{missed} expression(s) hors cible.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
