"""The one batching loop: row order, input order restored, pad fallback, context check,
plain-text tokenisation, and results that do not depend on the batch size."""

from __future__ import annotations

import pytest
import torch
from tokenizers import processors

from harness.errors import HarnessError
from harness.models.layers import decoder_layers
from harness.runtime.batching import batch_order, batches, map_batches, pad_id, text_ids
from harness.runtime.generate import generate
from harness.runtime.readout import reread
from harness.runtime.steering import steered_last_states
from harness.testing import GENERATION_INIT, tiny_handle
from harness.testing import random_prompts as prompts

SEQS = [[5, 6], [7, 8, 9, 10], [11], [12, 13, 14, 15], [16, 17, 18]]


@pytest.fixture(scope="module")
def h():
    return tiny_handle("llama")


def test_longest_first_is_stable_and_input_order_is_as_given(h):
    assert batch_order(SEQS, "longest_first") == [1, 3, 4, 0, 2]  # equal lengths keep input order
    assert batch_order(SEQS, "input") == [0, 1, 2, 3, 4]
    assert [b.rows for b in batches(h, SEQS, 2)] == [[1, 3], [4, 0], [2]]
    assert [b.rows for b in batches(h, SEQS, 2, order="input")] == [[0, 1], [2, 3], [4]]


def test_batches_are_left_padded_with_positions_from_the_first_real_token(h):
    b = next(batches(h, SEQS, 2, order="input"))
    assert b.ids.tolist() == [[0, 0, 5, 6], [7, 8, 9, 10]]
    assert b.mask.tolist() == [[0, 0, 1, 1], [1, 1, 1, 1]]
    assert b.positions.tolist() == [[0, 0, 0, 1], [0, 1, 2, 3]]
    assert b.width == 4


@pytest.mark.parametrize("order", ["longest_first", "input"])
def test_map_batches_gives_results_back_in_input_order(h, order):
    got = map_batches(h, SEQS, 2, lambda b: [SEQS[i][0] for i in b.rows], order=order)
    assert got == [s[0] for s in SEQS]
    assert map_batches(h, [], 2, lambda b: []) == []


def test_bad_batch_arguments_are_one_line_errors(h):
    with pytest.raises(HarnessError, match="batch_size must be >= 1"):
        batches(h, SEQS, 0)
    with pytest.raises(HarnessError, match="unknown batch order 'shortest'"):
        batches(h, SEQS, 2, order="shortest")


def test_pad_falls_back_to_eos_then_zero():
    h = tiny_handle("llama")
    assert pad_id(h) == h.tokenizer.pad_token_id == 0  # the tiny tokenizer sets pad: nothing changes
    h.tokenizer.pad_token = None
    assert pad_id(h) == h.tokenizer.eos_token_id == 1
    h.tokenizer.eos_token = None
    assert pad_id(h) == 0


def test_generation_without_a_pad_token_pads_with_eos():
    """generate() used to pass pad_token_id=None straight to torch.full and fail."""
    h = tiny_handle("llama", init=GENERATION_INIT)
    ps = prompts(4, seed=2)
    with_pad = generate(h, ps, max_new_tokens=6, batch_size=4)
    h.tokenizer.pad_token = None
    assert [g.new_ids for g in generate(h, ps, max_new_tokens=6, batch_size=4)] == [g.new_ids for g in with_pad]


def test_context_errors_name_the_model_and_the_lengths(h):
    with pytest.raises(HarnessError, match=r"tiny-llama: a sequence of 300 tokens exceeds the model's context of 256"):
        batches(h, [[5] * 10, [5] * 300], 8)
    with pytest.raises(HarnessError, match=r"tiny-llama: a prompt of 250 tokens plus 10 new tokens exceeds "
                                           r"the model's context of 256"):
        batches(h, [[5] * 250], 8, new_tokens=10)
    batches(h, [[5] * 250], 8, new_tokens=6)  # exactly fills the context
    with pytest.raises(HarnessError, match="a sequence of 260 tokens"):
        reread(h, [[5] * 200], [[6] * 60])
    with pytest.raises(HarnessError, match="a sequence of 300 tokens"):
        steered_last_states(h, [[5] * 300], torch.ones(h.d_model), [0.0], layer=1)


def test_text_ids_is_the_tokenizers_default_call_with_a_switch_for_special_tokens():
    h = tiny_handle("llama")
    h.tokenizer._tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A", special_tokens=[("<bos>", 3)])
    text = "the cat sat"
    assert text_ids(h, text) == h.tokenizer(text)["input_ids"] == [3, 4, 6, 8]
    assert text_ids(h, text, special_tokens=False) == h.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert text_ids(h, text, special_tokens=False) == [4, 6, 8]


def test_reread_and_steered_states_do_not_depend_on_batch_size():
    h = tiny_handle("qwen2")
    ps, conts = prompts(8, seed=11), prompts(8, seed=12)
    conts[3] = []
    g = torch.Generator().manual_seed(0)
    dirs = torch.nn.functional.normalize(torch.randn(8, h.d_model, generator=g), dim=-1)
    alphas = [0.0, 0.1, -0.2, 0.3, 0.05, 0.2, -0.1, 0.4]
    one = reread(h, ps, conts, dirs, layer=1, batch_size=1)
    eight = reread(h, ps, conts, dirs, layer=1, batch_size=8)
    assert [r.n_tokens for r in one] == [r.n_tokens for r in eight] == [len(c) for c in conts]
    for a, b in zip(one, eight, strict=True):
        assert a.nll == pytest.approx(b.nll, rel=1e-5, abs=1e-5)
        assert a.projection == pytest.approx(b.projection, rel=1e-5, abs=1e-5, nan_ok=True)
    s1 = steered_last_states(h, ps, dirs, alphas, h.middle_layer, batch_size=1)
    s8 = steered_last_states(h, ps, dirs, alphas, h.middle_layer, batch_size=8)
    torch.testing.assert_close(s1, s8, rtol=1e-5, atol=1e-5)


def test_hooks_are_gone_after_every_batched_pass(h):
    steered_last_states(h, prompts(3), torch.ones(h.d_model), [0.1] * 3, layer=1)  # stops mid-pass
    reread(h, prompts(3), prompts(3, seed=1), torch.ones(h.d_model), layer=1)
    assert all(not block._forward_hooks for block in decoder_layers(h.model))


class _Memo:
    def __init__(self):
        self.kept: dict[tuple[int, ...], list] = {}

    def get(self, rows):
        return self.kept.get(tuple(rows))

    def put(self, rows, items):
        self.kept[tuple(rows)] = list(items)


def test_reread_with_a_memo_resumes_after_a_stop_and_equals_a_plain_run():
    from harness.cache import Journal
    from harness.runtime.readout import Reread, reread

    h = tiny_handle("qwen2")
    prompts = [[1, 2, 3][: 1 + i % 3] for i in range(7)]
    conts = [[4, 5, 6, 7][: 1 + i % 4] for i in range(7)]
    plain = reread(h, prompts, conts, batch_size=2)
    memo, done = _Memo(), []

    def stop_after_two(rows, items):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(rows)
        _Memo.put(memo, rows, items)

    memo.put = stop_after_two  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        reread(h, prompts, conts, batch_size=2, memo=memo)
    assert len(memo.kept) == 2
    del memo.put
    resumed = reread(h, prompts, conts, batch_size=2, memo=memo)
    def nll(rs):
        return [(r.nll, r.n_tokens) for r in rs]

    assert nll(resumed) == nll(plain) and len(memo.kept) == 4
    # The cache-backed memo keeps the same items (tuples back as tuples) and deletes them on clear.
    journal = Journal("reread-parts", "k", Reread)
    journal.put([0, 1], plain[:2])
    back = journal.get([0, 1])
    assert back is not None and nll(back) == nll(plain[:2]) and journal.get([1, 0]) is None
    assert all(isinstance(r.projections, tuple) for r in back)
    journal.clear()
    assert Journal("reread-parts", "k", Reread).get([0, 1]) is None
