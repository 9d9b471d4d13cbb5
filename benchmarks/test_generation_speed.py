"""Generation throughput and the machine's compute bound, in one run.

    pytest benchmarks -k "generation or matmul" --models smollm2-135m-instruct

- plain HF ``generate`` one prompt at a time (the unbatched baseline);
- the harness's batched generation (KV cache, left padding) at batch 8 / 32 / 64;
- steering with KV cache (``scale="prefill"``) vs the paper's per-step loop
  (``scale="per_step"``: no cache, the whole sequence recomputed every step);
at 50 and 256 new tokens. ``extra_info`` holds generated tokens per second. The matmul
benchmark measures this machine's float32 GFLOP/s; the report divides it by the model's
FLOPs per token to give the compute bound in tokens/s.
"""

from __future__ import annotations

import pytest
import torch

from harness.runtime.generate import chat_ids, generate, stop_ids
from harness.runtime.steering import generate_steered

TOPICS = ["a lighthouse keeper", "a night train", "a market at dawn", "an old bicycle", "a storm at sea",
          "a school play", "a lost letter", "a mountain village"]
STYLES = ["Write a long, detailed story about {}.", "Describe {} in many sentences.",
          "Tell a slow, careful story about {}, with a lot of detail.", "Write several paragraphs about {}."]
PROMPTS = [s.format(t) for t in TOPICS for s in STYLES] * 2  # 64 prompts
# (variant, new tokens, prompts): 256-token runs use few prompts where the method is slow.
CASES = [("hf_unbatched", 50, 8), ("batched_8", 50, 8), ("batched_32", 50, 32), ("batched_64", 50, 64),
         ("steer_prefill_8", 50, 8), ("steer_per_step_8", 50, 8),
         ("hf_unbatched", 256, 2), ("batched_64", 256, 64), ("steer_prefill_2", 256, 2),
         ("steer_per_step_2", 256, 2)]


def _hf_unbatched(handle, prompts, n):
    stops = sorted(stop_ids(handle))
    out = []
    with torch.no_grad():
        for p in prompts:
            seq = handle.model.generate(torch.tensor([p]), max_new_tokens=n, do_sample=False, eos_token_id=stops,
                                        pad_token_id=handle.tokenizer.pad_token_id)
            new = seq[0, len(p):].tolist()
            out.append(new[: next((k for k, t in enumerate(new) if t in stops), len(new))])
    return out


@pytest.mark.parametrize("variant, new_tokens, n_prompts", CASES,
                         ids=[f"{v}-{n}tok" for v, n, _ in CASES])
def test_generation(benchmark, subject, subject_key, variant, new_tokens, n_prompts):
    if subject_key.startswith("tiny"):
        pytest.skip("generation speed is measured on real models")
    prompts = [chat_ids(subject, p) for p in PROMPTS[:n_prompts]]
    v = torch.nn.functional.normalize(torch.randn(subject.d_model, generator=torch.Generator().manual_seed(0)), dim=0)
    if variant == "hf_unbatched":
        fn = lambda: _hf_unbatched(subject, prompts, new_tokens)  # noqa: E731
    elif variant.startswith("batched"):
        fn = lambda: [g.new_ids for g in generate(subject, prompts, new_tokens, batch_size=n_prompts)]  # noqa: E731
    else:
        scale = "per_step" if "per_step" in variant else "prefill"
        fn = lambda: [g.new_ids for g in generate_steered(subject, prompts, v, [0.02] * n_prompts, new_tokens,  # noqa: E731
                                                          scale=scale, batch_size=n_prompts)]
    benchmark.group = f"generation {subject_key} {new_tokens} tokens"
    out = benchmark.pedantic(fn, rounds=1, iterations=1, warmup_rounds=0)
    tokens = sum(len(x) for x in out)
    benchmark.extra_info.update(model=subject_key, variant=variant, new_tokens=new_tokens, prompts=n_prompts, tokens=tokens,
                                tokens_per_s=round(tokens / benchmark.stats.stats.median, 2),
                                outputs=[list(x) for x in out] if "steer" in variant else None)
    assert tokens > 0


def test_matmul_gflops(benchmark):
    """This machine's float32 matmul speed (2048^3 multiply-adds), the compute bound's numerator."""
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    benchmark.group = "compute bound"
    benchmark.pedantic(lambda: a @ b, rounds=10, iterations=1, warmup_rounds=2)
    benchmark.extra_info.update(gflops=round(2 * n ** 3 / benchmark.stats.stats.median / 1e9, 1),
                                threads=torch.get_num_threads())


def test_model_flops_per_token(benchmark, subject, subject_key):
    """FLOPs of one decoding step per token: 2 x (every weight matrix the token passes through,
    the output matrix included even when tied), plus attention over a 100-token context."""
    cfg = subject.model.config.get_text_config()
    params = sum(p.numel() for n, p in subject.model.named_parameters() if p.dim() == 2 and "embed" not in n)
    tied = getattr(cfg, "tie_word_embeddings", False)
    lm_head = cfg.vocab_size * cfg.hidden_size if tied else 0
    attn = 2 * 2 * subject.n_layers * 100 * cfg.hidden_size
    flops = 2 * (params + lm_head) + attn
    benchmark.group = "compute bound"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(flops_per_token=flops, model=subject_key)
