"""C2 (paper 4.2): generation-based vectors separate better than comprehension-based ones."""

from __future__ import annotations

from harness.claims.geometry import gen_beats_comp
from harness.paper import reference


def test_c2_generation_beats_comprehension(model, geometry, record_check, expect_claim):
    gen = geometry("generation", "C2")
    comp = geometry("comprehension", "C2")
    check = gen_beats_comp(gen, comp)
    record_check("C2", "s_comp_minus_s_gen", check, "generation vs comprehension",
                 reference("C2", model.key), baseline="neutral", layer=gen.middle)
    expect_claim("C2", "generation", check)
