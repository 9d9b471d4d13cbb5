"""Geometry statistics on disk: the label-shuffle nulls, bootstraps and jackknives of one
extraction are computed once, like the extraction itself, so a warm rerun only reads them.

The key holds everything :func:`analyse` reads (the states it is given, the stimuli, the
profile, the seed) and a fingerprint of the source of the code that computes it, so an edit
to the statistics recomputes them instead of serving numbers the new code would not give.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch

from harness import progress, thresholds
from harness.cache import entry_key, hash_tensors, load_entry, save_entry
from harness.experiments import geometry_run
from harness.experiments.extraction import Extraction
from harness.experiments.geometry_run import BlockReading, Geometry, analyse
from harness.metrics import geometry as geometry_metrics
from harness.metrics import resampling, vectors
from harness.metrics.resampling import PermutationTest
from harness.protocol import PROTOCOL_VERSION, Profile
from harness.stimuli.loading import Stimuli

_CODE = (geometry_run, geometry_metrics, resampling, vectors, thresholds)  # and this module (code_fingerprint)
_TENSORS = ("vectors", "neutral_mean")


def code_fingerprint() -> str:
    """sha256 over the source files of the modules the statistics come from."""
    h = hashlib.sha256()
    for path in [*(m.__file__ for m in _CODE), __file__]:
        h.update(Path(path).read_bytes())  # type: ignore[arg-type]
    return h.hexdigest()


def _inputs_digest(*extractions: Extraction) -> str:
    h = hashlib.sha256()
    for i, ex in enumerate(extractions):
        hash_tensors(h, [(f"{i}.states", ex.data.states), (f"{i}.post_norm", ex.post_norm)])
        h.update(json.dumps([ex.method, list(ex.data.labels)]).encode())
    return h.hexdigest()


def cached_analyse(ex: Extraction, held: Extraction, neutral: Extraction, stimuli: Stimuli, profile: Profile,
                   stimulus_set: str = "default", seed: int = thresholds.SEED, model: str = "",
                   method: str = "") -> Geometry:
    """:func:`analyse`, read from the cache when these exact inputs were analysed before
    (``model`` and ``method`` name the progress phase of a computation)."""
    key = entry_key(kind="geometry", inputs=_inputs_digest(ex, held, neutral), stimuli=stimuli.content_hash(),
                    profile=asdict(profile), stimulus_set=stimulus_set, seed=seed, code=code_fingerprint(),
                    protocol=PROTOCOL_VERSION)
    hit = load_entry("geometry", key)
    if hit is not None:
        return from_entry(*hit)
    with progress.phase(model, f"geometry statistics: {method or ex.method} ({stimulus_set}), {profile.n_permutations} "
                        f"permutations, {profile.n_bootstrap} bootstraps"):
        geo = analyse(ex, held, neutral, stimuli, profile, stimulus_set=stimulus_set, seed=seed)
    save_entry("geometry", key, *to_entry(geo))
    return geo


def to_entry(geo: Geometry) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {f"vectors.{b}": v for b, v in geo.vectors.items()}
    if geo.neutral_mean is not None:
        tensors["neutral_mean"] = geo.neutral_mean
    data = {f.name: getattr(geo, f.name) for f in fields(Geometry) if f.name not in _TENSORS}
    data["blocks"] = {str(b): asdict(r) for b, r in geo.blocks.items()}
    data["vector_order"] = list(geo.vectors)
    # One JSON string: the entry's header sorts its keys, and the order of these dicts (the
    # opposite pairs, the baselines) is the order the claims write them in.
    return tensors, {"geometry": json.dumps(data)}


def from_entry(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Geometry:
    """The Geometry :func:`to_entry` wrote (JSON lists back to the tuples the fields hold)."""
    meta = json.loads(meta["geometry"])
    blocks = {}
    for b, r in meta["blocks"].items():
        r = dict(r)
        r["null"] = PermutationTest(**r["null"])
        for name in ("separation_ci", "specific_ci", "min_opposite_ci", "valence_ci", "gap_ci",
                     "separation_replicates", "heldout_hits"):
            r[name] = tuple(r[name])
        r["opposite_minus_s_ci"] = {k: tuple(v) for k, v in r["opposite_minus_s_ci"].items()}
        blocks[int(b)] = BlockReading(**r)
    kept = {k: v for k, v in meta.items() if k not in ("blocks", "vector_order")}
    kept["separation_ci"] = [tuple(x) for x in kept["separation_ci"]]
    kept["gap_to_best_ci"] = [tuple(x) for x in kept["gap_to_best_ci"]]
    return Geometry(**kept, blocks=blocks, vectors={b: tensors[f"vectors.{b}"] for b in meta["vector_order"]},
                    neutral_mean=tensors.get("neutral_mean"))
