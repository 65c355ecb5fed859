"""Run every benchmark: each ``bench/*.py`` module with a ``main()``, in name order."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    folder = Path(__file__).parent
    for found in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if found.name.startswith("_"):
            continue
        run = getattr(importlib.import_module(f"bench.{found.name}"), "main", None)
        if callable(run):
            print(f"== bench.{found.name}", flush=True)
            run()


if __name__ == "__main__":
    main()
