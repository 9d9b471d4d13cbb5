"""Figures for the report, drawn from claim records only (so `harness report` can redraw them).

Each function takes records and an output directory, writes PNGs and returns their paths
relative to that directory. PNG metadata carries no version or date, so redrawing the
same records with the same matplotlib gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from harness import thresholds as th
from harness.cache import atomic_path
from harness.claims.base import Claim
from harness.claims.geometry import C1, C3, C11, OppositePairsDetails, UCurveCurves, ValenceDetails
from harness.claims.record import ClaimRecord
from harness.claims.steering import C7, C8, DoseDetails
from harness.stimuli.loading import EMOTION_ORDER, paper_values

PLOT_DIR = "plots"
D = TypeVar("D")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, name: str) -> str:
    rel = f"{PLOT_DIR}/{name}"
    with atomic_path(out / rel) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return rel


def u_curves(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """S vs depth per model, one line per method with its bootstrap band, the label-shuffled
    null's mean, and the depth of the lowest S with its bootstrap interval."""
    plt = _plt()
    by_model: dict[str, list[tuple[ClaimRecord, UCurveCurves]]] = {}
    for r, d in C1.read(records):
        by_model.setdefault(r.model, []).append((r, d))
    paths = {}
    t1 = paper_values()["table1_layer_sweep"]
    for model, recs in sorted(by_model.items()):
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for r, c in recs:
            s = c.separation_per_block["neutral"]
            n = len(s)
            d = [(i + 1) / n for i in range(n)]
            line, = ax.plot(d, s, marker=".", label=f"S, {r.method} ({r.verdict})")
            color = line.get_color()
            ax.fill_between(d, [lo for lo, _ in c.separation_ci_per_block], [hi for _, hi in c.separation_ci_per_block],
                            color=color, alpha=0.12, lw=0)
            ax.plot(d, c.null_mean_per_block, ls=":", color=color, label=f"shuffled null mean, {r.method}")
            lo, hi = c.best_depth_ci
            ax.errorbar([r.value], [c.best_value], xerr=[[r.value - lo], [hi - r.value]], fmt="v", color=color,
                        capsize=3, ms=6, label=f"lowest S: depth {r.value:.2f} [{lo:.2f}, {hi:.2f}]")
        n_paper = 24
        ax.plot([int(k) / n_paper for k in t1["layers"]], list(t1["layers"].values()), "k--", marker="s",
                label=f"paper, {t1['model']}")
        ax.axvspan(*th.UCURVE_BEST_DEPTH, color="grey", alpha=0.08, lw=0)
        ax.set(xlabel="depth (l+1)/L", ylabel="mean pairwise cosine S (lower = better)",
               title=f"{model}: separation by depth (neutral baseline)", xlim=(0, 1.02))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: the curves stay visible
        paths[model] = _save(fig, out, f"ucurve_{model}.png")
    return paths


def _per_record(records: list[ClaimRecord], claim: Claim[D], prefix: str, out: Path,
                draw: Callable[[ClaimRecord, D], Any]) -> dict[str, str]:
    """One figure per (model, method) record of ``claim``."""
    paths = {}
    for r, d in claim.read(records):
        key = f"{r.model}_{r.method}"
        paths[key] = _save(draw(r, d), out, f"{prefix}_{key}.png")
    return paths


def heatmaps(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """The 20x20 cosine matrix of the emotion vectors at the middle block."""

    def draw(r: ClaimRecord, d: OppositePairsDetails):
        m = d.cosine_matrix
        fig, ax = _plt().subplots(figsize=(6.2, 5.4))
        im = ax.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(len(m)), EMOTION_ORDER[:len(m)], rotation=90, fontsize=7)
        ax.set_yticks(range(len(m)), EMOTION_ORDER[:len(m)], fontsize=7)
        fig.colorbar(im, ax=ax, shrink=0.8, label="cosine")
        ax.set_title(f"{r.model}, {r.method}: block {d.layer}, neutral baseline",
                     fontsize=9)
        return fig

    return _per_record(records, C3, "heatmap", out, draw)


def pc_scatter(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """PC1/PC2 of the 20 vectors (middle block), coloured by valence."""

    def draw(r: ClaimRecord, d: ValenceDetails):
        pcs, val = d.pc_scores, d.valences
        fig, ax = _plt().subplots(figsize=(5.6, 4.6))
        sc = ax.scatter([p[0] for p in pcs], [p[1] for p in pcs], c=val, cmap="coolwarm", vmin=-1, vmax=1)
        for name, p in zip(EMOTION_ORDER, pcs, strict=False):
            ax.annotate(name, p, fontsize=7, xytext=(3, 2), textcoords="offset points")
        fig.colorbar(sc, ax=ax, label="valence")
        ax.set(xlabel="PC1", ylabel="PC2",
               title=f"{r.model}, {r.method}: |rho(PC1, valence)| = {r.value:.2f}")
        ax.title.set_fontsize(9)
        return fig

    return _per_record(records, C11, "pca", out, draw)


def dose_response_plots(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """Per scenario: classifier target score and readout projection vs strength, flip point marked."""

    def draw(r: ClaimRecord, d: DoseDetails):
        per, sweep = d.per_scenario, d.sweep
        fig, axes = _plt().subplots(1, len(per), figsize=(3.0 * len(per), 3.2), sharey=True, squeeze=False)
        axes = list(axes[0])
        for ax, (sid, curves) in zip(axes, per.items(), strict=True):
            ax.plot(sweep, curves["target"], "o-", color="tab:blue", label="target score")
            rnd = curves.get("random_target", {})
            ax.plot([float(a) for a in rnd], list(rnd.values()), "x", color="grey", label="random direction")
            ax.set_xscale("symlog", linthresh=0.005)
            ax.set_title(sid, fontsize=8)
            ax.set_xlabel("strength alpha", fontsize=8)
            tw = ax.twinx()
            tw.plot(sweep, curves["readout"], "s--", color="tab:orange", ms=3, label="readout projection")
            tw.tick_params(labelsize=6)
            fp = d.flip_points.get(sid)
            if fp is not None:
                ax.axvline(fp, color="green", ls=":", label="flip point")
            ax.axvspan(0.0, 0.05, color="grey", alpha=0.06, lw=0)
        axes[0].set_ylabel("classifier target score")
        axes[0].legend(fontsize=6, loc="upper left")
        fig.suptitle(f"{r.model}, {r.method} prompts: dose-response ({r.classifier}); "
                     "shaded: the paper's sweep", fontsize=9)
        return fig

    return _per_record(records, C7, "dose", out, draw)


def regimes(records: list[ClaimRecord], out: Path) -> str | None:
    """PPL ratio vs the share of prompts turned degenerate at 0.05 (of those healthy unsteered),
    with the regime regions and Table 5."""
    plt = _plt()
    recs = C8.read(records)
    if not recs:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    x_max = 1000.0
    ax.axvspan(th.EXPLOSIVE_PPL_RATIO, x_max, color="tab:red", alpha=0.08, lw=0)
    ax.fill_between([0.05, th.EXPLOSIVE_PPL_RATIO], th.DEGENERATE_SHARE, 1.05, color="tab:purple", alpha=0.08, lw=0)
    ax.text(th.EXPLOSIVE_PPL_RATIO * 1.1, 0.02, "explosive", fontsize=8, color="tab:red")
    ax.text(0.06, 0.95, "repetitive", fontsize=8, color="tab:purple")
    ax.text(0.06, 0.02, "surgical", fontsize=8, color="tab:green")
    for r, d in recs:
        ratio, deg = d.ppl_ratio, d.newly_degenerate
        if ratio is None or deg is None or (isinstance(ratio, float) and math.isnan(ratio)):
            continue
        ax.scatter([ratio], [deg], marker="o", s=45, alpha=0.8, zorder=3, label=f"{r.model} ({r.method})")
    for model, row in paper_values()["table5_regimes"].items():
        y = 1.0 if row["regime"] == "repetitive" else 0.0  # the paper reports no degeneration share
        ax.scatter([row["ratio"]], [y], marker="x", color="black", zorder=3)
        ax.annotate(model, (row["ratio"], y), fontsize=6, color="dimgrey", rotation=30, xytext=(2, 2),
                    textcoords="offset points")
    ax.legend(fontsize=7, loc="center right", title="measured", title_fontsize=7)
    ax.set_xscale("log")
    ax.set(xlim=(0.05, x_max), ylim=(-0.05, 1.1), xlabel="PPL(0.05) / PPL(0.005)",
           ylabel="newly degenerate at 0.05 (of prompts healthy unsteered)",
           title="Steering regimes: measured (o) and paper Table 5 (x, placed by its label)")
    ax.title.set_fontsize(9)
    return _save(fig, out, "regimes.png")


# What each kind of plot shows, in the order the report lists them.
PLOT_TITLES = {"ucurve": "U-curve (S vs depth, shuffled null)", "heatmap": "cosine heatmap (middle block)",
               "pca": "PC1/PC2 by valence", "dose": "dose-response", "regimes": "regimes"}


def listed(plots: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``draw_all``'s result as (title, [(model or "all models", relative path)]) per kind drawn."""
    out = []
    for kind, title in PLOT_TITLES.items():
        got = plots.get(kind)
        if got:
            out.append((title, sorted(got.items()) if isinstance(got, dict) else [("all models", got)]))
    return out


def draw_all(records: list[ClaimRecord], out: Path) -> dict[str, dict[str, str] | str | None]:
    return {"ucurve": u_curves(records, out), "heatmap": heatmaps(records, out),
            "pca": pc_scatter(records, out), "dose": dose_response_plots(records, out),
            "regimes": regimes(records, out)}
