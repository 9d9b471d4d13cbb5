"""Export an emotion's vectors for other tools: safetensors (all layers + metadata) and a
llama.cpp control-vector GGUF.

What is exported is the evals' steering recipe, ``h_l <- h_l + alpha * s_l * v_hat`` after
every block l (see :mod:`harness.runtime.steering`), with everything but alpha fixed:

- ``v_hat``: the emotion's unit vector at the middle block (comprehension extraction,
  neutral baseline unless asked otherwise), the direction the evals add at every block;
- ``s_l``: the mean over the steering scenarios' raw prompts (tokenised as the evals'
  raw-continuation prompting does) of the per-prompt scale the steering hooks measure at
  the prefill, under one scale rule (``"paper"``: every prompt position, the first one, an
  attention sink, included; ``"sink-robust"``: all but the first). The evals measure
  ``s_l`` on each prompt; one fixed vector can only carry an average, and the metadata
  ``scale_spread_middle`` gives the per-prompt range at the middle block so a user sees how
  much that average approximates.

So ``steering[l] = s_l * v_hat`` is what the evals add at block l per unit strength.
llama.cpp's ``--control-vector-scaled FILE ALPHA`` adds ``ALPHA * steering[l]``, i.e. the
evals' steering at strength ALPHA; a bare ``--control-vector FILE`` means strength 1, far
outside any usable range. Two ranges from a run of the evals go into the metadata:
``readable_range`` (the sweep strengths, from the smallest up, at which at least
READABLE_SHARE of the raw prompts with healthy unsteered text stay healthy; rule "paper"
only, the rule the sweep runs under) and ``strength_range`` (claim C13's ``safe_range``:
the swept strengths at which raw continuations did not collapse, a wider bound). The
suggested strength comes from the readable range where one was measured.

The GGUF follows the control-vector layout llama.cpp reads: architecture
``controlvector``, ``controlvector.model_hint`` / ``controlvector.layer_count``, and one
float32 tensor ``direction.N`` per block. llama.cpp adds ``direction.N`` to the output of
(0-based) block N and has no slot for block 0, so block 0 is left out.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

import numpy as np
import torch

import harness
from harness import thresholds as th
from harness.cache import atomic_path
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract, supports
from harness.metrics.vectors import Baseline, vectors_from_states
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION, Profile
from harness.report.readable import span, sweep_counts
from harness.runtime.generate import plain_ids
from harness.runtime.steering import SCALE_RULES, ScaleRule, prompt_scales
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import load_scenarios
from harness.version import __version__

Format = Literal["safetensors", "gguf"]
FORMATS: tuple[Format, ...] = ("safetensors", "gguf")
# llama.cpp architecture names where they differ from the HF model_type.
_LLAMA_CPP_ARCH = {"gemma3_text": "gemma3", "mistral": "llama"}
# The evals' results, newest first: the first that exists is the default of `export --results`.
RESULTS_CANDIDATES = ("reports/latest/results.json", "reports/reference/results.json")
# The claim whose details hold the sweep's usable strengths, per scale rule.
STRENGTH_CLAIM = "C13"


def default_results() -> Path | None:
    """The first of :data:`RESULTS_CANDIDATES` that exists under the working folder, else under
    the checkout the package runs from (an installed wheel has none)."""
    roots = (Path.cwd(), Path(harness.__file__).resolve().parents[1])
    return next((root / c for root in roots for c in RESULTS_CANDIDATES if (root / c).is_file()), None)


def _bad(path: Path, what: str) -> HarnessError:
    return HarnessError(f"{path}: not a usable harness results file ({what})")


def _results_doc(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise HarnessError(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise _bad(path, f"not valid JSON: {e.msg} at line {e.lineno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise _bad(path, "needs a JSON object with a 'records' list")
    return doc


def read_readable_range(results: Path, model: str) -> tuple[float, float | None] | None:
    """(the smallest strength of the sweep, the top of ``model``'s readable range on raw prompts or
    None when even the smallest breaks too many texts), read off the run's steered texts; None
    when the run has none for the model."""
    path = Path(results)
    excerpts = _results_doc(path).get("excerpts") or []
    try:
        counts = sweep_counts([e for e in excerpts if isinstance(e, dict) and e.get("model") == model])
    except (KeyError, TypeError) as e:
        raise _bad(path, f"an excerpt lacks a field the readable range reads: {e}") from None
    got = counts.get((model, "raw"))
    if got is None or not got[1]:
        return None
    smallest, top = span(got[1])
    return (smallest, top) if smallest is not None else None


def format_readable(rng: tuple[float, float | None]) -> str:
    lo, top = rng
    if top is None:
        return (f"below {lo:g}: every strength of the sweep breaks more than {1 - th.READABLE_SHARE:.0%} of the "
                "raw texts that are healthy unsteered")
    return format_range((lo, top))


def read_strength_range(results: Path, model: str, rule: str) -> tuple[float, float] | None:
    """The strengths of the evals' sweep at which ``model``'s raw continuations did not collapse
    under scale rule ``rule`` (claim C13's ``details["safe_range"][rule]``), or None if that run
    did not measure it."""
    path = Path(results)
    doc = _results_doc(path)
    for i, rec in enumerate(doc["records"]):
        if not isinstance(rec, dict):
            raise _bad(path, f"records[{i}] is not an object")
        if rec.get("claim") != STRENGTH_CLAIM or rec.get("model") != model:
            continue
        details = rec.get("details")
        if details is None:
            return None
        if not isinstance(details, dict):
            raise _bad(path, f"records[{i}].details is not an object")
        ranges = details.get("safe_range")
        if ranges is None:
            return None
        if not isinstance(ranges, dict):
            raise _bad(path, f"records[{i}].details.safe_range is not an object keyed by scale rule")
        got = ranges.get(rule)
        if got is None:
            return None
        if (not isinstance(got, list) or len(got) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in got)):
            raise _bad(path, f"records[{i}].details.safe_range[{rule!r}] is not a [lo, hi] pair of numbers")
        lo, hi = (float(x) for x in got)
        return lo, hi
    return None


def format_range(rng: tuple[float, float]) -> str:
    return f"{rng[0]:g}..{rng[1]:g}"


def suggested_strength(rng: tuple[float, float]) -> float:
    """A strength inside ``rng``: the geometric middle (the sweep's strengths are roughly
    log-spaced), the arithmetic one where the range starts at 0 or below."""
    lo, hi = rng
    mid = math.sqrt(lo * hi) if lo > 0 and hi > 0 else (lo + hi) / 2
    return float(f"{mid:.2g}")


def raw_scenario_prompts(handle: ModelHandle) -> list[list[int]]:
    """The steering scenarios' prompts as the evals' raw-continuation prompting tokenises them."""
    return [plain_ids(handle, p) for s in load_scenarios() for p in s.prompts]


def emotion_export(handle: ModelHandle, stimuli: Stimuli, profile: Profile, emotion: str,
                   method: Method = "comprehension", baseline: Baseline = "neutral",
                   rule: ScaleRule = "paper", results: Path | None = None
                   ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and (string) metadata of an export; ``results``: the evals' results.json
    that supplies the usable strength range (None: no range known)."""
    if emotion not in stimuli.names:
        raise HarnessError(f"unknown --emotion '{emotion}'; use one of {', '.join(stimuli.names)}")
    if rule not in SCALE_RULES:
        raise HarnessError(f"unknown --scale-rule '{rule}'; use {' or '.join(SCALE_RULES)}")
    reason = supports(handle, method)
    if reason:
        raise HarnessError(reason)
    rng = read_strength_range(results, handle.key, rule) if results is not None else None  # fail before the work
    readable = read_readable_range(results, handle.key) if results is not None and rule == "paper" else None
    ex = extract(handle, method, stimuli, profile)
    vecs = vectors_from_states(ex.data, stimuli.names, baseline)[:, stimuli.names.index(emotion)].float()
    per_prompt = prompt_scales(handle, raw_scenario_prompts(handle), rule, batch_size=profile.gen_batch_size)  # [n, L] float64
    scales = per_prompt.mean(0).float()
    steering = scales[:, None] * vecs[handle.middle_layer][None, :]
    mid = per_prompt[:, handle.middle_layer]
    n = per_prompt.shape[0]
    tensors = {"vectors": vecs.contiguous(), "steering": steering.contiguous(), "scales": scales.contiguous()}
    meta = {"model": handle.key, "fingerprint": handle.fingerprint, "emotion": emotion, "method": method,
            "baseline": baseline, "middle_layer": str(handle.middle_layer), "n_layers": str(handle.n_layers),
            "stimuli": stimuli.content_hash(), "profile": profile.name, "harness_version": __version__,
            "protocol_version": str(PROTOCOL_VERSION),
            "scale_rule": rule,
            "scale_source": f"mean of s_l over the {n} raw scenario prompts, measured as the evals' steering "
                            f"hooks measure it at the prefill (rule '{rule}': "
                            + ("every prompt position, the first included)" if rule == "paper"
                               else "every prompt position but the first)"),
            "scale_spread_middle": f"{float(mid.min()):.6g}..{float(mid.max()):.6g}",
            "readable_range": (format_readable(readable) if readable
                               else "measured under the paper's scale rule only" if rule != "paper"
                               else f"not measured: run `pytest evals -k {handle.key}` first"),
            "strength_range": format_range(rng) if rng else f"not measured: run `pytest evals -k {handle.key}` first",
            "strength_range_source": str(results) if results is not None else "no results.json found",
            "readable_range_rule": f"raw prompts healthy unsteered; at least {th.READABLE_SHARE:.0%} of them stay "
                                   "healthy at every strength up to the top (scale mode prefill)",
            "layout": "vectors[l]: unit emotion vector at block l; scales[l]: s_l, the evals' steering scale at "
                      "block l averaged over the raw scenario prompts (scale_source, scale_rule; "
                      "scale_spread_middle: min..max over those prompts at the middle block); "
                      "steering[l] = scales[l] * vectors[middle_layer]: what the evals add after block l per "
                      "unit strength. llama.cpp's --control-vector-scaled FILE ALPHA adds ALPHA * steering[l] "
                      "after block l (block 0 has no slot), the evals' steering at strength ALPHA; a bare "
                      "--control-vector FILE is strength 1, far outside any usable range (readable_range, strength_range)"}
    return tensors, meta


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> Path:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def write_control_vector(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str],
                         model_type: str) -> Path:
    import gguf

    steering = tensors["steering"].numpy().astype(np.float32)
    with atomic_path(path) as tmp:
        w = gguf.GGUFWriter(str(tmp), "controlvector")
        w.add_string("controlvector.model_hint", _LLAMA_CPP_ARCH.get(model_type, model_type))
        w.add_uint32("controlvector.layer_count", steering.shape[0] - 1)
        w.add_string("emotion_harness.metadata", json.dumps(meta, sort_keys=True))
        for layer in range(1, steering.shape[0]):
            w.add_tensor(f"direction.{layer}", steering[layer])
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
    return path


def export(handle: ModelHandle, stimuli: Stimuli, profile: Profile, emotion: str, fmt: Format, out: Path,
           method: Method = "comprehension", baseline: Baseline = "neutral", rule: ScaleRule = "paper",
           results: Path | None = None) -> Path:
    if fmt not in FORMATS:
        raise HarnessError(f"unknown --format '{fmt}'; use safetensors or gguf")
    tensors, meta = emotion_export(handle, stimuli, profile, emotion, method, baseline, rule, results)
    if fmt == "safetensors":
        return write_safetensors(out, tensors, meta)
    return write_control_vector(out, tensors, meta, handle.model.config.model_type)
