"""llama.cpp beside the harness: decode tokens/s on the same GGUF files, batch 1 and batched.

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" pip install llama-cpp-python==0.3.36
    pytest benchmarks -k "llama_cpp or matmul or flops" --models smollm2-135m-instruct,qwen2.5-coder-0.5b-instruct

A benchmark-only install (it builds llama.cpp from source, about 16 minutes on 2 cores; the
native build compiles AMX kernels that die with "Illegal instruction" on this VM, hence the
flags). llama.cpp decodes the quantized GGUF weights as shipped (Q4_1 / Q4_K_M); the harness
decodes the same file dequantized to float32, so llama.cpp reads 4-8x fewer weight bytes per
token. Both run greedy on the same chat prompts, 2 threads, and time the decode steps only
(llama.cpp's own eval timer; the harness: generation minus a prompt-only pass).
"""

from __future__ import annotations

import ctypes
import time

import numpy as np
import pytest

from harness.models.fetch import gguf_path
from harness.runtime.generate import chat_ids, generate, stop_ids

from .test_generation_speed import PROMPTS

# (label, sequences, new tokens)
CASES = [("batch_1", 1, 128), ("batch_64", 64, 50)]


def _llama_decode(path: str, prompts: list[str], new_tokens: int, threads: int = 2) -> dict:
    """Greedy decode of every prompt at once (one sequence each); returns decode tokens/s."""
    lc = pytest.importorskip("llama_cpp")
    lc.llama_backend_init()
    model = lc.llama_model_load_from_file(path.encode(), lc.llama_model_default_params())
    vocab = lc.llama_model_get_vocab(model)
    n_vocab = lc.llama_vocab_n_tokens(vocab)
    toks = []
    for p in prompts:
        # The model's chat template is applied by the caller's text; tokenize with special tokens parsed.
        buf = (lc.llama_token * 4096)()
        n = lc.llama_tokenize(vocab, p.encode(), len(p.encode()), buf, 4096, False, True)
        toks.append(list(buf[:n]))
    n_seq = len(prompts)
    cp = lc.llama_context_default_params()
    cp.n_ctx = n_seq * (max(map(len, toks)) + new_tokens + 8)
    cp.n_batch = max(sum(map(len, toks)), n_seq)
    cp.n_ubatch = 512
    cp.n_seq_max = n_seq
    cp.n_threads = cp.n_threads_batch = threads
    ctx = lc.llama_init_from_model(model, cp)
    eos = {lc.llama_vocab_eos(vocab), lc.llama_vocab_eot(vocab)}
    batch = lc.llama_batch_init(cp.n_batch, 0, n_seq)

    def submit(items: list[tuple[int, int, int, bool]]) -> None:
        batch.n_tokens = len(items)
        for i, (tok, pos, seq, logits) in enumerate(items):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits
        if lc.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")

    def argmax(i: int) -> int:
        ptr = lc.llama_get_logits_ith(ctx, i)
        return int(np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,)).argmax())

    submit([(t, j, s, j == len(tk) - 1) for s, tk in enumerate(toks) for j, t in enumerate(tk)])
    ends = np.cumsum([len(tk) for tk in toks]) - 1
    nxt = [argmax(int(e)) for e in ends]
    pos = [len(tk) for tk in toks]
    live = [t not in eos for t in nxt]
    generated = 0
    t0 = time.perf_counter()
    for _ in range(new_tokens - 1):
        rows = [s for s in range(n_seq) if live[s]]
        if not rows:
            break
        submit([(nxt[s], pos[s], s, True) for s in rows])
        generated += len(rows)
        for i, s in enumerate(rows):
            pos[s] += 1
            nxt[s] = argmax(i)
            live[s] = nxt[s] not in eos
    seconds = time.perf_counter() - t0
    lc.llama_batch_free(batch)
    lc.llama_free(ctx)
    lc.llama_model_free(model)
    return {"tokens": generated, "seconds": seconds, "tokens_per_s": generated / seconds}


def _harness_decode(handle, prompts: list[list[int]], new_tokens: int) -> dict:
    """The harness's generate at one batch of all prompts, decode steps only (a 1-token run
    measures the prefill, which is subtracted)."""
    t = time.perf_counter()
    generate(handle, prompts, 1, batch_size=len(prompts))
    prefill = time.perf_counter() - t
    t = time.perf_counter()
    gens = generate(handle, prompts, new_tokens, batch_size=len(prompts))
    seconds = time.perf_counter() - t - prefill
    tokens = sum(max(0, len(g.new_ids) - 1) + (1 if g.stopped else 0) for g in gens)  # decode steps fed
    return {"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds}


@pytest.mark.parametrize("label, n_prompts, new_tokens", CASES, ids=[c[0] for c in CASES])
def test_llama_cpp_vs_harness(benchmark, subject, subject_key, label, n_prompts, new_tokens):
    pytest.importorskip("llama_cpp")
    if subject.spec.gguf is None:
        pytest.skip("llama.cpp is compared on the embedded models' GGUF files")
    texts = [subject.tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                   add_generation_prompt=True) for p in PROMPTS[:n_prompts]]
    ids = [chat_ids(subject, p) for p in PROMPTS[:n_prompts]]
    assert stop_ids(subject)
    benchmark.group = f"llama.cpp {subject_key}"
    out: dict = {}
    benchmark.pedantic(lambda: out.update(llama=_llama_decode(str(gguf_path(subject.spec)), texts, new_tokens),
                                          harness=_harness_decode(subject, ids, new_tokens)),
                       rounds=1, iterations=1)
    benchmark.extra_info.update(model=subject_key, case=label, prompts=n_prompts, new_tokens=new_tokens,
                                gguf=subject.spec.gguf.filename, **{f"{k}_{m}": round(v, 2) for k, d in out.items()
                                                                    for m, v in d.items()})
    assert out["llama"]["tokens"] > 0 and out["harness"]["tokens"] > 0
