"""The steering scale rule: which prompt positions s_l averages ("paper": all of them;
"sink-robust": all but each row's first), what the hooks measure, and batching with one rule
per row."""

from __future__ import annotations

import pytest
import torch

from harness.errors import HarnessError
from harness.runtime.batching import batches
from harness.runtime.steering import (
    SCALE_RULES,
    RowSteering,
    generate_steered,
    mean_norm,
    position_norms,
    prompt_scales,
    scale_mask,
)
from harness.testing import GENERATION_INIT, random_prompts, tiny_handle

LEFT_PADDED = torch.tensor([[0, 0, 1, 1, 1],
                            [0, 0, 0, 0, 1],  # a single real token
                            [1, 1, 1, 1, 1]])


def test_scale_mask_drops_each_rows_first_real_position_under_sink_robust():
    assert torch.equal(scale_mask(LEFT_PADDED, "paper"), LEFT_PADDED)
    assert scale_mask(LEFT_PADDED, "sink-robust").tolist() == [[0, 0, 0, 1, 1],
                                                               [0, 0, 0, 0, 1],  # kept: its only position
                                                               [0, 1, 1, 1, 1]]
    assert scale_mask(LEFT_PADDED, ["sink-robust", "paper", "paper"]).tolist() == [[0, 0, 0, 1, 1],
                                                                                   [0, 0, 0, 0, 1],
                                                                                   [1, 1, 1, 1, 1]]
    hidden = torch.arange(1.0, 6.0)[None, :, None].expand(3, 5, 4)  # the p-th position (from 1) has norm 2p
    assert mean_norm(hidden, scale_mask(LEFT_PADDED, "sink-robust")).tolist() == [9.0, 10.0, 7.0]
    assert mean_norm(hidden, scale_mask(LEFT_PADDED, "paper")).tolist() == [8.0, 10.0, 6.0]


def test_an_unknown_scale_rule_is_an_error_before_any_forward_pass():
    with pytest.raises(HarnessError, match="unknown steering scale rule 'sink'; use paper or sink-robust"):
        scale_mask(LEFT_PADDED, "sink")  # type: ignore[arg-type]
    with pytest.raises(HarnessError, match="unknown steering scale rule 'nope'"):
        scale_mask(LEFT_PADDED, ["paper", "nope", "paper"])  # type: ignore[list-item]
    with pytest.raises(HarnessError, match="unknown steering scale rule"):
        RowSteering(torch.zeros(3, 4), torch.zeros(3), LEFT_PADDED, rule="bogus")  # type: ignore[arg-type]
    h = tiny_handle("llama")
    with pytest.raises(HarnessError, match="unknown steering scale rule"):
        generate_steered(h, random_prompts(2), torch.zeros(h.d_model), [0.1, 0.1], 2, rule="bogus")  # type: ignore
    with pytest.raises(HarnessError, match="expected 2 scale rules, got 1"):
        generate_steered(h, random_prompts(2), torch.zeros(h.d_model), [0.1, 0.1], 2, rule=["paper"])


@pytest.mark.parametrize("rule", SCALE_RULES)
def test_prompt_scales_are_what_the_steering_hooks_measure_at_the_prefill(rule):
    h = tiny_handle("llama")
    prompts = random_prompts(5, seed=11)  # lengths differ: left padding in the batch
    want = prompt_scales(h, prompts, rule, batch_size=5)
    assert want.shape == (5, h.n_layers)
    g = torch.Generator().manual_seed(2)
    dirs = torch.nn.functional.normalize(torch.randn(5, h.d_model, generator=g), dim=-1)
    for alphas in (torch.zeros(5), torch.full((5,), 0.5)):
        for batch in batches(h, prompts, 5, order="input"):
            steer = RowSteering(dirs[batch.rows], alphas[batch.rows], batch.mask, rule=rule)
            with torch.no_grad():
                batch.forward(h, steer.hooks(range(h.n_layers)))
            got = torch.stack([steer.scales[layer] for layer in range(h.n_layers)], dim=-1).double()
            # Unsteered, every block; steered, the first block (later ones see the added vectors).
            upto = h.n_layers if not alphas.any() else 1
            assert torch.allclose(got[:, :upto], want[batch.rows][:, :upto], rtol=1e-6)
            if alphas.any():
                assert not torch.allclose(got[:, 1:], want[batch.rows][:, 1:], rtol=1e-3)
    # By definition: the mean norm over every real position, or over all but the first.
    norms = position_norms(h, prompts, batch_size=5)
    skip = 1 if rule == "sink-robust" else 0
    manual = torch.stack([n[:, skip:].double().mean(-1) for n in norms])
    assert torch.allclose(want, manual, rtol=1e-5)


def test_the_rules_differ_only_by_the_first_position():
    h = tiny_handle("gemma2")
    prompts = [*random_prompts(3, seed=4), [7]]  # and a one-token prompt
    paper, robust = (prompt_scales(h, prompts, rule, batch_size=4) for rule in SCALE_RULES)
    assert not torch.allclose(paper[:3], robust[:3], rtol=1e-3)
    assert torch.equal(paper[3], robust[3])  # one position: the sink-robust rule keeps it


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_a_batch_mixing_scale_rules_gives_each_row_what_its_rule_gives_alone(family):
    h = tiny_handle(family, init=GENERATION_INIT)
    prompts = random_prompts(6, seed=3)
    g = torch.Generator().manual_seed(9)
    dirs = torch.nn.functional.normalize(torch.randn(6, h.d_model, generator=g), dim=-1)
    alphas = [0.0, 0.3, 0.3, 0.3, 0.3, 0.2]  # where the two rules' scales (a few % apart here) change tokens
    rules = ["paper", "sink-robust", "sink-robust", "paper", "sink-robust", "sink-robust"]
    mixed = generate_steered(h, prompts, dirs, alphas, 6, batch_size=6, rule=rules)
    for rule in SCALE_RULES:
        idx = [i for i, r in enumerate(rules) if r == rule]
        alone = generate_steered(h, [prompts[i] for i in idx], dirs[idx], [alphas[i] for i in idx], 6,
                                 batch_size=2, rule=rule)
        assert [mixed[i].new_ids for i in idx] == [a.new_ids for a in alone], rule
    # The rule matters at these strengths: the sink-robust rows differ under the paper's rule.
    paper = generate_steered(h, prompts, dirs, alphas, 6, batch_size=6, rule="paper")
    assert any(p.new_ids != m.new_ids for p, m, r in zip(paper, mixed, rules, strict=True) if r == "sink-robust")
    assert all(p.new_ids == m.new_ids for p, m, r in zip(paper, mixed, rules, strict=True) if r == "paper")
