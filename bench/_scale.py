"""What the benches at 10k, 100k and 1M journeys share: their options and their PostgreSQL database."""
import argparse
import os


def scale_arguments(description: str, runs: int, warmup: int) -> tuple[argparse.Namespace, list[int]]:
    """(--sizes --runs --warmup parsed, the sizes in growing order, each once)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], nargs="+",
                        default=[[10_000, 100_000, 1_000_000]], help="journeys, growing (10000 100000 or 10000,100000)")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--warmup", type=int, default=warmup)
    args = parser.parse_args()
    return args, sorted({size for group in args.sizes for size in group})


def upgraded_postgres(script: str) -> str | None:
    """The PostgreSQL URL given by scripts/with_postgres.sh, its schema upgraded; None (with how to
    run the bench printed) when the database is not PostgreSQL."""
    url = os.environ.get("SPRO_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print(f"Run on PostgreSQL: bash scripts/with_postgres.sh .venv/bin/python bench/{script}")
        return None
    os.environ.setdefault("SPRO_SECRET_KEY", os.urandom(24).hex())
    from _load_setup import run_cli
    run_cli("db", "upgrade", env=dict(os.environ))
    return url
