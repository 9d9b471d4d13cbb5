"""An emotion trace written out: a tokens x emotions heatmap at one block, a blocks x tokens
view of one emotion, and the numbers as CSV (the shown block) and JSON (every block).

Colours are centred at 0 (red: along the emotion, blue: against it). The first position
carries the attention sink's huge norm on most models; the colour scale is set by the
other positions (the first is clipped to it) so that it does not wash out the text.
Long texts wrap into rows of ``TOKENS_PER_ROW`` tokens.
"""

from __future__ import annotations

import csv
import hashlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import torch

from harness.cache import atomic_path
from harness.experiments.trace import EmotionTrace, check_emotion

TOKENS_PER_ROW = 32


@dataclass(frozen=True)
class TraceFiles:
    heatmap: Path
    blocks: Path | None  # the blocks x tokens view (when an emotion was chosen)
    csv: Path
    json: Path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def colour_limit(values: torch.Tensor) -> float:
    """The symmetric colour limit: the largest magnitude among ``values`` (1 when all are 0)."""
    v = values.abs()
    m = float(v.max()) if v.numel() else 0.0
    return m if m > 0 else 1.0


def _rows(n_tokens: int) -> list[tuple[int, int]]:
    return [(s, min(s + TOKENS_PER_ROW, n_tokens)) for s in range(0, n_tokens, TOKENS_PER_ROW)]


def per_row_scaled(values: torch.Tensor) -> torch.Tensor:
    """Each row divided by its own largest magnitude past the first position (the residual
    stream's norm grows with depth, so one scale for every block would show only the last)."""
    rest = values[:, 1:] if values.shape[1] > 1 else values
    peak = rest.abs().amax(dim=1, keepdim=True)
    return values / torch.where(peak > 0, peak, torch.ones_like(peak))


def _grid(values: torch.Tensor, tokens: tuple[str, ...], ylabels: list[str], title: str, path: Path,
          cbar: str) -> Path:
    """``values [rows_y, T]`` drawn as wrapped heatmap rows, tokens along x."""
    plt = _plt()
    from matplotlib.colors import TwoSlopeNorm

    n = len(tokens)
    limit = colour_limit(values[:, 1:] if n > 1 else values)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    parts = _rows(n)
    width = min(n, TOKENS_PER_ROW)  # a short text is not stretched over a full row
    height = 0.22 * len(ylabels) + 1.0
    fig, axes = plt.subplots(len(parts), 1, figsize=(0.32 * width + 3.5, height * len(parts) + 0.6), squeeze=False)
    image = None
    for ax, (s, e) in zip(axes[:, 0], parts, strict=True):
        image = ax.imshow(values[:, s:e].clamp(-limit, limit).numpy(), cmap="RdBu_r", norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.set_xticks(range(e - s))
        ax.set_xticklabels([repr(t)[1:-1] for t in tokens[s:e]], rotation=90, fontsize=7)
        ax.set_yticks(range(len(ylabels)))
        ax.set_yticklabels(ylabels, fontsize=7)
        ax.set_xlim(-0.5, width - 0.5)
    axes[0, 0].set_title(textwrap.fill(title, 110), fontsize=9, loc="left")
    fig.colorbar(image, ax=axes[:, 0].tolist(), shrink=0.8, label=cbar)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def stem(trace: EmotionTrace) -> str:
    digest = hashlib.sha256(trace.text.encode()).hexdigest()[:8]
    return f"trace_{trace.model.replace('/', '_')}_{trace.method}_{trace.baseline}_{digest}"


def write_trace(trace: EmotionTrace, out: Path, emotion: str | None = None) -> TraceFiles:
    """Write the trace's PNGs, CSV and JSON under ``out``; returns their paths."""
    name = stem(trace)
    at = trace.at()  # [T, E]
    what = f"{trace.model}, {trace.method} vectors, {trace.baseline} baseline"
    heat = _grid(at.T, trace.tokens, list(trace.emotions),
                 f"Emotion trace at block {trace.layer}: {what} (first position clipped to the others' scale)",
                 out / f"{name}_L{trace.layer}.png", "projection on the emotion vector")
    blocks = None
    if emotion is not None:
        check_emotion(emotion, trace.emotions)
        blocks = _grid(per_row_scaled(trace.emotion(emotion)), trace.tokens,
                       [str(b) for b in range(trace.projections.shape[0])],
                       f"'{emotion}' at every block (rows, 0 = first; each block scaled to its largest value past "
                       f"the first position): {what}", out / f"{name}_{emotion}_blocks.png",
                       f"projection on '{emotion}' / the block's largest")
    table = out / f"{name}_L{trace.layer}.csv"
    with atomic_path(table) as tmp, tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["position", "token", *trace.emotions])
        for t, tok in enumerate(trace.tokens):
            w.writerow([t, tok, *(f"{x:.6g}" for x in at[t].tolist())])
    data = out / f"{name}.json"
    with atomic_path(data) as tmp:
        tmp.write_text(json.dumps({
            "model": trace.model, "text": trace.text, "method": trace.method, "baseline": trace.baseline,
            "layer": trace.layer, "tokens": list(trace.tokens), "emotions": list(trace.emotions),
            "projections": "[block][position][emotion]: (h - reference) . v_hat",
            "values": [[[round(x, 6) for x in row] for row in block] for block in trace.projections.tolist()],
        }, ensure_ascii=False, indent=1) + "\n")
    return TraceFiles(heat, blocks, table, data)
