"""Every threshold a claim verdict uses, in one place, each with its reason.

Changing a number here changes verdicts for every model; do it in a reviewed commit that
says why, never to make a claim pass on a particular model.
"""

from __future__ import annotations

# C1 U-curve. The paper's best depth is 0.5 (SmolLM2-1.7B, layers 6/12/18/24); the protocol
# accepts an argmin anywhere in [0.35, 0.70], since a sweep over every block is finer than
# the paper's four points.
UCURVE_BEST_DEPTH = (0.35, 0.70)
# "Poor at 25% and 100%": S there must exceed S at the best block by at least this much.
# The paper's gaps are 0.60 (25%) and 0.57 (100%); 0.05 is a deliberately low bar that
# still rules out a flat curve (differences below it are within LOO noise on these stimuli).
UCURVE_MARGIN = 0.05
# Depths at which the U-curve's arms are read.
UCURVE_ARMS = (0.25, 1.0)

# Verdicts (docs/protocol.md, Verdicts): a claim "holds" only when its own test passes, its
# interval does not straddle the cut, and its control does not pass the same test. It "does
# not hold" only when the data rule it out: an interval lies wholly outside the claim's
# region, or inside an equivalence margin set below with its reason. A p above alpha alone
# rules nothing out (harness.claims.ruling). The
# control of a geometry claim is the label-shuffled null (emotion labels permuted within
# strata) and a random-weight copy of the model; a claim that passes on a control is
# "uninformative" about emotions.

# Intervals: bootstrap over samples resampled within each class (basic intervals; percentile
# for the argmin depth and |rho|; each widened to include its estimate), and a jackknife for
# the emotion-specific separation (docs/protocol.md, How a geometry claim is decided).
BOOTSTRAP_CONFIDENCE = 0.95
# Label-shuffled null: the per-block curve (plots, C1's control) uses this many of the
# profile's permutations; the middle block and its neighbours use all of them.
CURVE_PERMUTATIONS = 1000
# Each jackknife replicate of the emotion-specific separation (null mean - S) gets a null of
# this many shuffles, the same shuffles for every replicate (so their Monte-Carlo noise
# cancels in the jackknife's differences).
NULL_PER_REPLICATE = 100

# C2: generation beats comprehension in the emotion-specific part of the separation
# (null mean - S): the bootstrap interval of the difference, generation minus comprehension,
# must lie above 0 (below: does not hold; straddling: inconclusive).
GEN_VS_COMP_MIN_DIFFERENCE = 0.0

# C3: "no negative cosine between opposite pairs": every opposite-pair cosine > 0.
OPPOSITE_MIN_COSINE = 0.0
# The label-shuffled control "passes" C3's test when at least this share of shuffles also
# has every opposite pair above 0 (then positive cosines say nothing about opposition).
CONTROL_PASS_SHARE = 0.5

# C4: emotion vectors below the anisotropy baseline: B - S > 0 at the middle layer.
ANISOTROPY_MIN_GAP = 0.0

# C11 "valence is weak": |Spearman(PC1, valence)| below this counts as weak organisation.
# 0.5 is the conventional boundary between weak/moderate and strong rank correlation.
# The bootstrap interval must lie below it; a reading on vectors that are not
# emotion-specific (C12 not holding) is uninformative.
VALENCE_WEAK_BELOW = 0.5

# C12 emotion specificity: permutation p = (k + 1) / (N + 1) of S against the label-shuffled
# null below this (with its Monte-Carlo interval below it too; straddling: inconclusive)...
SPECIFICITY_ALPHA = 0.05
# While the p's Monte-Carlo interval contains SPECIFICITY_ALPHA, the null is doubled, up to
# this many shuffles (the interval's half-width is then about 0.0014 at p = 0.05).
MAX_PERMUTATIONS = 160000
NULL_PERCENTILE = 5.0  # the null's 5th percentile, drawn on the U-curve plot
# ...and held-out top-1 accuracy at the same block above chance (20-way: 0.05) by a
# one-sided binomial test (held-out passages; generation: leave-one-story-out).
HELDOUT_ALPHA = 0.05
# C12 ruled out (equivalence margins, set before the verdict rule was applied to any run):
# - S lies less than this many label-shuffle standard deviations below the shuffled null's
#   mean, with the whole jackknife interval of (null mean - S): the labels then move S by
#   less than one typical shuffle does, which is no emotion-specific structure. (A p above
#   alpha is not this: it only fails to show the structure.)
SPECIFICITY_EQUIVALENCE_SD = 1.0
# - held-out top-1's exact interval lies below chance + this margin (0.10, twice 20-way
#   chance): vectors that label fewer than one held-out text in ten cannot be told from
#   chance in any practical sense. 0/40 held-out passages reaches it (interval [0, 0.088]);
#   so does a chance-level labeller over the 200 leave-one-story-out stories.
HELDOUT_EQUIVALENCE_MARGIN = 0.05

# Seeds: every random step (label shuffles, bootstrap) is seeded so runs are reproducible.
SEED = 20261125

# ---- Steering (C5-C10, C13) ----
# The paper's sweep (scenario 6) plus two steps above it to find the collapse point.
PAPER_SWEEP = (0.005, 0.01, 0.02, 0.03, 0.05)
STRENGTHS = (0.0, *PAPER_SWEEP, 0.08, 0.12)
# Strength at which scenarios 1-5 are judged (C5 readout, C6 flips). The paper does not
# say which strength its 40 scenario pairs used; its GPT-2 flip happens between 0.01 and
# 0.02, so 0.02 is the lowest sweep strength at which the paper saw a flip. Fixed before
# any steering was measured here; every other strength is recorded beside it.
SCENARIO_STRENGTH = 0.02
# The random-direction control runs at these strengths (recorded beside C5, C6, C7 and C10).
RANDOM_STRENGTHS = (SCENARIO_STRENGTH, 0.05, 0.12)
# The wrong-emotion control (the target's opposite-pair vector) runs at the judged strength.
CONTROL_STRENGTHS = (SCENARIO_STRENGTH,)
# The centred (emotion-specific) vectors are an ablation at these strengths (C5/C6 beside).
CENTRED_STRENGTHS = (SCENARIO_STRENGTH, 0.05)
# The readable grid (profile "full"; docs/protocol.md, Readable grid): a log sweep from below
# collapse through the paper's 0.005-0.05 to past it (the paper grid's strengths kept, so every
# paper-strength row reads the same cells), with each control arm (random direction, opposite
# emotion, centred vectors, the platform's vectors and their opposite) at every strength of a
# trimmed set up to the judged 0.02. The readable range measured so far (0.001-0.01, report
# "Readable range") falls inside it. Fixed before any run of this grid.
LOG_SWEEP = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
READABLE_CONTROL_STRENGTHS = (0.001, 0.002, 0.005, 0.01, 0.02)
# C7 inside the readable range: a per-prompt Spearman needs at least this many steered strengths
# in the range (below it the row is inconclusive: two points always have |rho| = 1).
READABLE_MIN_STRENGTHS = 3
# A steering verdict holds only when the emotion vector beats each control in a paired,
# one-sided test over prompts (a sign-flip permutation test for numbers, exact McNemar for
# yes/no readings) at this level; otherwise the control "passes" the same test (uninformative).
# C12's held-out row compares the model with its random-weight copy the same way, item by item.
CONTROL_ALPHA = 0.05
# A paired comparison over fewer prompts than this (both readings present) is not measured:
# a pass that could not be checked against its control is inconclusive.
MIN_PAIRS = 5
# Chat-mode baselines: an unsteered reply that declines ("I'm sorry, but I can't...") is not a
# text to steer; a model whose unsteered chat replies decline more often than this is flagged.
REFUSAL_FLAG = 0.25
# Readable range (docs/protocol.md, Readable range): per model and prompting mode, the sweep
# strengths from the smallest up to the largest at which at least this share of the prompts
# whose unsteered text is healthy still get a healthy steered text (every smaller strength
# too). Fixed before it was applied to any run: below four in five, a strength breaks more
# texts than a reader would call "still readable".
READABLE_SHARE = 0.8
# C5: "most scenario prompts": strictly more than half move the readout the expected way.
MOST = 0.5
# C6: the paper's 92% (37 of 40 scenario pairs). The rate is ruled below the paper's when
# its Clopper-Pearson interval lies wholly below this.
FLIP_RATE_MIN = 0.92
# ... and shown (consistent with the paper's rate, and most flips confirmed) when the
# interval reaches FLIP_RATE_MIN and lies at or above this floor: the paper's own 37/40 has
# the interval [0.80, 0.98] and clears it with a flip to spare (36/40: [0.76, 0.97]). A
# lower bound at 0.92 itself, the old rule, needs about 45 of 45 flips: the paper's own
# sample could not pass it.
FLIP_RATE_FLOOR = 0.75
# C7: per prompt, Spearman(strength, paired delta of the signed target score) over the
# paper's sweep; the mean over prompts (independent samples) needs a bootstrap interval
# above 0. A flip point is the lowest strength at which most of a scenario's prompts flip
# and still do at the next strength.
DOSE_ALPHA = 0.05
DOSE_STRENGTHS = (0.0, *PAPER_SWEEP)
# C8 regimes (docs/protocol.md, C8): PPL ratio = PPL(0.05) / PPL(0.005), medians over scenario
# prompts, scored by an external model (PPL_SCORERS). Explosive from this ratio up: the
# geometric midpoint of Table 5's largest surgical ratio (1.7, GPT-2) and smallest explosive
# one (12, Qwen2.5 1.5B Base), so the paper's nine labelled rows fall on the side they were
# given. Re-checked 2026-11-26 when perplexity moved from self-scoring to an external scorer,
# before the new steering run: the cut is derived from the paper's own ratios, which an
# external model scored, so it stays 4.5; what changed is that our ratios are now on the same
# footing (self-scored strength-0 text is the scorer's own greedy path, biasing ratios up).
EXPLOSIVE_PPL_RATIO = 4.5
# The external perplexity scorer: the first of these that is not the steered model (the
# paper: "an external language model"). gemma-3-270m is a base model trained on general
# text; its own rows are scored by the next one. `--ppl-scorer self` restores self-scoring.
PPL_SCORERS = ("gemma-3-270m", "qwen2.5-coder-0.5b-instruct")
# A text is degenerate (harness.metrics.textstats.degeneration) when it has no word
# character at all (blank: empty, newlines, punctuation runs), or the longest back-to-back
# repeated n-gram covers at least this share of its words, characters ("IRRIRRIRR") or
# model tokens, or its distinct-2 falls below DISTINCT2_MIN. Degeneration is judged as an
# excess over the unsteered (strength 0) continuations of the same prompts: a strength
# collapses when at least DEGENERATE_SHARE of the prompts whose unsteered text was healthy
# turn degenerate; repetitive = that at 0.05 without an explosive PPL ratio.
LOOP_SHARE_MAX = 0.5
DISTINCT2_MIN = 0.5
# A text whose external-scorer perplexity reaches this is incoherent (word salad, symbol
# strings), a degeneration kind of its own: the geometric midpoint of Table 5's largest
# non-explosive median PPL (60.5, Gemma-3 1B IT) and its smallest explosive one (958.8,
# Qwen2.5 1.5B), the same derivation as EXPLOSIVE_PPL_RATIO. Set after an audit of the
# excerpts found unflagged gibberish; derived from the paper, not from our texts.
INCOHERENT_PPL = 240.0
DEGENERATE_SHARE = 0.5
REGIME_HIGH, REGIME_LOW = 0.05, 0.005
# C9 "0.005 is safe", as a safety statement over the prompts whose unsteered text is healthy:
# the share of them whose text at 0.005 turns degenerate stays below SAFE_MAX_BROKEN
# (Clopper-Pearson interval), and the median perplexity of their steered texts stays below
# SAFE_PPL_CAP (bootstrap interval over prompts). Either interval wholly above its cut rules
# it out. The ratio PPL(0.005) / PPL(0) is recorded beside (SAFE_PPL_FACTOR: its old band).
# Both cuts were fixed before the rule was applied to any run:
# - SAFE_MAX_BROKEN: a strength that breaks one prompt in four that reads well unsteered is
#   not a safe starting point;
# - SAFE_PPL_CAP: Table 5's largest median perplexity at 0.005 (78.8, Qwen2.5-1.5B base):
#   the paper calls 0.005 safe on every Table 5 model, so a median above the worst of them
#   is worse than anything it called safe.
SAFE_STRENGTH = 0.005
SAFE_PPL_FACTOR = 1.25
SAFE_MAX_BROKEN = 0.25
SAFE_PPL_CAP = 78.8
# C10 cross-lingual leakage, read at every strength the random direction runs at (Han, the
# Chinese characters the paper names; kana, Hangul and other non-Latin letters are counted
# beside). One rule for every family: a leak at a strength needs at least CJK_MIN_CHARS Han
# characters from at least CJK_MIN_PROMPTS prompts (prompts whose texts are word for word the
# same count once) and more Han than the unsteered text of the same prompt: the bootstrap
# interval over prompts of the per-prompt excess lies above 0 at its Holm level over the
# strengths (CONTROL_ALPHA). Han short of that is "unclear" (inconclusive). For Qwen the leak
# must also beat the random direction. An absence of Han counts only where the model writes
# at least CJK_MIN_CHARS Han characters continuing Chinese prose (the positive control).
CJK_MIN_CHARS = 20
CJK_MIN_PROMPTS = 5
# C13 (a finding the paper lacks): the collapse point against prompt length under each
# scale rule. Raw prompts, the first SCALE_PROMPTS_PER_SCENARIO of each scenario, short
# and long (a neutral lead-in before the same prompt), at SCALE_STRENGTHS (wide enough for
# the sink-robust scale, which is smaller). A prompt's collapse point is the lowest strength
# from which its text stays degenerate (prompts degenerate unsteered are left out; none in
# the sweep: censored at twice the top strength). C13 holds when the long-minus-short shift
# in log2(collapse point) is larger in size under the paper's rule than under the
# sink-robust rule, paired over prompts, with a bootstrap interval above 0.
SCALE_STRENGTHS = (0.01, 0.02, 0.05, 0.12, 0.3, 0.6)
SCALE_PROMPTS_PER_SCENARIO = 2
# Fewer prompts than this (healthy unsteered, short and long) and C13 is inconclusive: its
# bootstrap interval would speak for a handful of texts.
SCALE_MIN_PROMPTS = 5

# Classifier validation (docs/protocol.md, Classifiers): before a flip is counted, each
# classifier reads text whose emotion is known (extraction and held-out passages of both
# stimulus sets). A target emotion is "recognised" when its labels' score ranks that
# emotion's passages above the other emotions' passages: AUC > 0.5 with a one-sided
# Mann-Whitney p below this. Unrecognised targets are left out of C6/C7, with the reason.
RECOGNITION_ALPHA = 0.05

# ---- Regression baselines (evals/baselines/, `--update-baselines`) ----
# A recorded number may drift from its reviewed baseline by max(ABS, REL * |baseline|)
# (written into each entry on update, where a reviewer can tighten or loosen it). Runs on
# one machine are bitwise reproducible; the slack is for other BLAS builds and devices.
# Strings (a regime label), booleans and missing values must match exactly.
BASELINE_ABS_TOL = 0.02
BASELINE_REL_TOL = 0.05

# ---- Reduced precision (evals/test_precision.py) ----
# A bfloat16 or float16 run stands in for float32 only where, at the middle block, every
# emotion's vector has at least this cosine with the float32 model's vector for the same
# emotion (same stimuli; generation: each precision's own greedy stories) and is nearer to
# it than to any other emotion's float32 vector. Set before any reduced-precision run was
# measured: 0.95 leaves a bfloat16 rounding of the states (relative error ~4e-3 per value)
# far inside it, and fails a vector that turned by more than ~18 degrees.
PRECISION_MIN_COSINE = 0.95
