"""Residual capture equals HF hidden states and TransformerLens hook_resid_post, for every family."""

from __future__ import annotations

import pytest
import torch

from harness.errors import HarnessError
from harness.models.layers import decoder_layers
from harness.runtime.batching import left_pad
from harness.runtime.capture import capture, capture_texts, capture_with_bridge


def random_ids(n: int, seed: int = 1, lo: int = 3, hi: int = 20) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(lo, hi, (n,), generator=g)
    return [torch.randint(4, 256, (int(k),), generator=g).tolist() for k in lengths]


def hf_states(handle, row: list[int]) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        return handle.model(torch.tensor([row]), output_hidden_states=True).hidden_states


def test_capture_equals_hf_hidden_states(tiny):
    ids = random_ids(5)
    res = capture(tiny, ids, batch_size=8)
    assert res.resid.shape == (tiny.n_layers, 5, tiny.d_model)
    for i, row in enumerate(ids):
        hs = hf_states(tiny, row)
        for layer in range(tiny.n_layers - 1):  # HF's last entry has the final norm applied
            torch.testing.assert_close(res.resid[layer, i], hs[layer + 1][0, -1], rtol=0, atol=1e-4)
        torch.testing.assert_close(res.post_norm[i], hs[-1][0, -1], rtol=0, atol=1e-4)


def test_last_block_is_the_raw_residual(tiny):
    """resid[-1] is the block output before the final norm, not HF's hidden_states[-1]."""
    row = random_ids(1)[0]
    res = capture(tiny, [row])
    last_block = {}

    def keep(_module, _args, out):
        last_block["x"] = out[0, -1]

    hook = decoder_layers(tiny.model)[-1].register_forward_hook(keep)
    try:
        hf_states(tiny, row)
    finally:
        hook.remove()
    torch.testing.assert_close(res.resid[-1, 0], last_block["x"], rtol=0, atol=1e-5)


def test_capture_equals_transformerlens_resid_post(tiny):
    ids = random_ids(3, seed=2)
    native = capture(tiny, ids).resid
    via_tl = capture_with_bridge(tiny, ids)
    torch.testing.assert_close(native, via_tl, rtol=0, atol=1e-4)


def test_batch_size_does_not_change_activations(tiny):
    ids = random_ids(8, seed=3)
    one = capture(tiny, ids, batch_size=1)
    eight = capture(tiny, ids, batch_size=8)
    torch.testing.assert_close(one.resid, eight.resid, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(one.post_norm, eight.post_norm, rtol=1e-5, atol=1e-5)


def test_positions_index_each_sequence(tiny):
    ids = random_ids(4, seed=4, lo=6)
    full = [hf_states(tiny, row) for row in ids]
    res = capture(tiny, ids, positions=[0, 2, -3, len(ids[3]) - 1])
    for i, p in enumerate([0, 2, -3, len(ids[3]) - 1]):
        torch.testing.assert_close(res.resid[0, i], full[i][1][0, p], rtol=0, atol=1e-4)


def test_capture_texts_reads_last_token():
    from harness.testing import tiny_handle

    h = tiny_handle("llama")
    texts = ["the cat sat on the mat", "a dog ran"]
    res = capture_texts(h, texts)
    ids = [h.tokenizer(t)["input_ids"] for t in texts]
    torch.testing.assert_close(res.resid, capture(h, ids).resid)


def test_left_pad_positions_count_from_first_real_token():
    ids, mask, pos = left_pad([[5, 6, 7], [8]], pad_id=0, device=torch.device("cpu"))
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert pos.tolist() == [[0, 1, 2], [0, 0, 0]]


@pytest.mark.parametrize(
    ("ids", "positions", "message"),
    [
        ([], None, "no sequences"),
        ([[5, 6], []], None, "sequence 1 is empty"),
        ([[5, 6]], [2], "position 2 outside sequence 0"),
        ([[5, 6]], [0, 1], "1 sequences but 2 positions"),
    ],
)
def test_capture_rejects_bad_input(ids, positions, message):
    from harness.testing import tiny_handle

    with pytest.raises(HarnessError, match=message):
        capture(tiny_handle("gpt2"), ids, positions)


def test_capture_rejects_sequences_longer_than_the_context():
    from harness.testing import tiny_handle

    h = tiny_handle("llama")
    with pytest.raises(HarnessError, match="exceeds the model's context of 256"):
        capture(h, [[5] * 300])


def test_non_finite_activations_are_refused():
    from harness.testing import tiny_handle

    h = tiny_handle("llama")
    with torch.no_grad():
        h.model.model.layers[1].mlp.down_proj.weight.fill_(float("inf"))
    with pytest.raises(HarnessError, match="non-finite activations at block 1"):
        capture(h, [[5, 6, 7]])
