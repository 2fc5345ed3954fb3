"""Worked solutions for notebook 19. Try the exercises first."""

from attnlib import flash_triton

# Import triton through attnlib: with no GPU it makes triton interpret (TRITON_INTERPRET=1).
triton, tl = flash_triton.import_triton()


@triton.jit
def causal_kv_end(q_start, n_k, BLOCK_Q: tl.constexpr):
    # The tile's last row is q_start + BLOCK_Q - 1 and sees keys up to itself (top-left
    # alignment), so keys from q_start + BLOCK_Q on are masked for every row: stop there,
    # or at N_k when the keys run out first.
    return tl.minimum(q_start + BLOCK_Q, n_k)


@triton.jit
def online_rescale(m_old, m_new):
    # The old sum and output were measured against m_old; against m_new they shrink by
    # e^(m_old - m_new), which is 2^(m_old - m_new) for base-2 scores. 2^(-inf) = 0 on the
    # first tile.
    return tl.math.exp2(m_old - m_new)


CHECKS = {
    "check_causal_kv_end": causal_kv_end,
    "check_online_rescale": online_rescale,
}
