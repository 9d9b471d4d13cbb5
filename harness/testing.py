"""Tiny random-weight models of every supported family, built from configs (no downloads).

For unit tests, here and in users' own projects: same code paths as real models, in milliseconds.
"""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModelForCausalLM,
    Gemma2Config,
    Gemma3TextConfig,
    GPT2Config,
    LlamaConfig,
    MistralConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
)

from harness.models.loading import ModelHandle, fingerprint
from harness.models.registry import ModelSpec

WORDS = (
    "the a cat dog sat on mat ran to house and then it was very quiet loud happy sad calm "
    "angry bright dark morning night rain sun tree river road car walked stopped looked at "
    "her his my your old new small big red blue green yellow window door table chair book "
    "read wrote said asked told story day week year time place city town field sky cloud"
).split()
SPECIALS = ["<pad>", "<eos>", "<unk>", "<bos>"]
VOCAB = 256  # model vocab; larger than the tokenizer so random ids beyond it are exercised too

FAMILIES = ("gpt2", "llama", "qwen2", "gemma2", "gemma3_text", "mistral")


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {w: i for i, w in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                   unk_token="<unk>", bos_token="<bos>")
    fast.padding_side = "left"
    return fast


# HF's default init (0.02) gives realistic activation scales for parity tests; generation
# tests use a wide init so logits are spread and greedy argmax has no near-ties.
PARITY_INIT, GENERATION_INIT = 0.02, 0.3


def tiny_config(family: str, init: float = PARITY_INIT):
    common = dict(vocab_size=VOCAB, pad_token_id=0, eos_token_id=1, bos_token_id=3,
                  initializer_range=init)
    if family == "gpt2":
        return GPT2Config(n_layer=3, n_embd=64, n_head=4, n_positions=256, **common)
    llama_like = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      **common)
    if family == "llama":
        return LlamaConfig(**llama_like)
    if family == "qwen2":
        return Qwen2Config(**llama_like)
    if family == "mistral":
        return MistralConfig(sliding_window=None, **llama_like)
    if family == "gemma2":
        return Gemma2Config(head_dim=16, query_pre_attn_scalar=16, sliding_window=4096, **llama_like)
    if family == "gemma3_text":
        return Gemma3TextConfig(head_dim=16, query_pre_attn_scalar=16, sliding_window=4096, **llama_like)
    raise ValueError(family)


def tiny_model(family: str, seed: int = 0, init: float = PARITY_INIT) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(tiny_config(family, init), dtype=torch.float32)
    return model.eval().requires_grad_(False)


def tiny_handle(family: str, seed: int = 0, init: float = PARITY_INIT,
                chat_template: str | None = None) -> ModelHandle:
    model = tiny_model(family, seed, init)
    tok = tiny_tokenizer()
    if chat_template:
        tok.chat_template = chat_template
    spec = ModelSpec(key=f"tiny-{family}", family=family, kind="instruct" if chat_template else "base",
                     params="tiny")
    return ModelHandle(spec=spec, model=model, tokenizer=tok, fingerprint=fingerprint(model),
                       load_seconds=0.0, device=torch.device("cpu"), dtype=torch.float32)


def max_relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest ``||a - b|| / ||b||`` over the last-dim vectors.

    Residual streams hold entries in the hundreds (massive activations), where float32's
    spacing alone exceeds 1e-5; comparing vectors relative to their norm is scale-aware.
    """
    return float(((a - b).norm(dim=-1) / b.norm(dim=-1).clamp_min(1e-12)).max())


# A minimal chat template for tiny instruct models: the user text, then a fixed cue word.
TINY_CHAT = ("{% for m in messages %}{{ m['content'] }} {% endfor %}"
             "{% if add_generation_prompt %}the{% endif %}")


def random_prompts(n: int = 6, seed: int = 5) -> list[list[int]]:
    """Token-id prompts of varied length (2-14) for the tiny models' 256-token vocabulary."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, 15, (n,), generator=g)
    return [torch.randint(4, 256, (int(k),), generator=g).tolist() for k in lengths]


def pristine_generate(model: torch.nn.Module, row: list[int], n: int, stops: set[int]) -> list[int]:
    """An untouched model's own greedy ``generate`` for one prompt, cut at the first stop token."""
    with torch.no_grad():
        out = model.generate(torch.tensor([row]), max_new_tokens=n, do_sample=False, pad_token_id=0,
                             eos_token_id=sorted(stops))
    new = out[0, len(row):].tolist()
    return new[: next((k for k, t in enumerate(new) if t in stops), len(new))]
