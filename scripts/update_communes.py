#!/usr/bin/env python3
"""Regenerate webapp/data/communes_cvl.csv from Etalab's packaging of INSEE's COG.

Usage: python scripts/update_communes.py [VERSION]   (default 6.0.0)

Runs `npm pack @etalab/decoupage-administratif@VERSION` in a temporary folder, reads
`package/data/communes.json` from the tarball and keeps the current communes
(type "commune-actuelle") of the six départements of Centre-Val de Loire. The source has no
coordinates; none are written.
"""
import csv
import datetime
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_VERSION = "6.0.0"
DEPARTEMENTS = ("18", "28", "36", "37", "41", "45")
MEMBER = "package/data/communes.json"
OUTPUT = Path(__file__).resolve().parent.parent / "webapp" / "data" / "communes_cvl.csv"
COLUMNS = ("code", "nom", "departement", "codes_postaux", "population")


def fetch_communes(version: str) -> list[dict]:
    """Download the package tarball with npm and return the parsed communes.json."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["npm", "pack", f"{PACKAGE}@{version}", "--silent"],
                                cwd=tmp, check=True, capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise SystemExit(f"npm pack produced {tarballs!r}: {result.stdout}{result.stderr}")
        with tarfile.open(tarballs[0], "r:gz") as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{MEMBER} not found in {tarballs[0].name}")
            return json.load(member)


def select_rows(communes: list[dict]) -> list[dict]:
    rows = [{"code": c["code"], "nom": c["nom"], "departement": c["departement"],
             "codes_postaux": " ".join(c.get("codesPostaux") or []),
             "population": c.get("population", "")}
            for c in communes
            if c.get("type") == "commune-actuelle" and c.get("departement") in DEPARTEMENTS]
    rows.sort(key=lambda r: r["code"])
    return rows


def write_csv(rows: list[dict], version: str, path: Path = OUTPUT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(f"# source: {PACKAGE} {version} (INSEE COG), extracted {today}\n")
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    version = argv[1] if len(argv) > 1 else DEFAULT_VERSION
    rows = select_rows(fetch_communes(version))
    write_csv(rows, version)
    counts = {dep: sum(r["departement"] == dep for r in rows) for dep in DEPARTEMENTS}
    print(f"{len(rows)} communes written to {OUTPUT}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
