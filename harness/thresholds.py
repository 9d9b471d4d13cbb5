"""Every threshold a claim verdict uses, in one place, each with its reason.

Changing a number here changes verdicts for every model; do it in a reviewed commit that
says why, never to make a claim pass on a particular model.
"""

from __future__ import annotations

# C1 U-curve. The paper's best depth is 0.5 (SmolLM2-1.7B, layers 6/12/18/24); DESIGN.md
# accepts an argmin anywhere in [0.35, 0.70], since a sweep over every block is finer than
# the paper's four points.
UCURVE_BEST_DEPTH = (0.35, 0.70)
# "Poor at 25% and 100%": S there must exceed S at the best block by at least this much.
# The paper's gaps are 0.60 (25%) and 0.57 (100%); 0.05 is a deliberately low bar that
# still rules out a flat curve (differences below it are within LOO noise on these stimuli).
UCURVE_MARGIN = 0.05
# Depths at which the U-curve's arms are read.
UCURVE_ARMS = (0.25, 1.0)

# C2: generation beats comprehension; one-sided Mann-Whitney U over leave-one-out S values.
GEN_VS_COMP_ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_CONFIDENCE = 0.95

# C3: "no negative cosine between opposite pairs": every opposite-pair cosine > 0.
OPPOSITE_MIN_COSINE = 0.0

# C4: emotion vectors below the anisotropy baseline: B - S > 0 at the middle layer.
ANISOTROPY_MIN_GAP = 0.0

# C11 "valence is weak": |Spearman(PC1, valence)| below this counts as weak organisation.
# 0.5 is the conventional boundary between weak/moderate and strong rank correlation.
VALENCE_WEAK_BELOW = 0.5

# C12 emotion specificity: observed S below the label-shuffled null's 5th percentile...
NULL_PERCENTILE = 5.0
# ...and held-out top-1 accuracy above chance (20-way: 0.05) by a one-sided binomial test.
HELDOUT_ALPHA = 0.05

# Seeds: every random step (label shuffles, bootstrap) is seeded so runs are reproducible.
SEED = 20261125
