"""Exercise checks for notebook 19 (a FlashAttention kernel in Triton).

Each answer is a small @triton.jit function. The check runs it inside a probe kernel (to
see the values it returns) and inside attnlib.flash_triton's real kernel, through Triton's
interpreter on a CPU or compiled on a GPU, and compares the attention with SDPA's.
"""

import functools

import torch
import torch.nn.functional as F

from .. import flash_triton as FT
from .harness import attempt, private_rng, report


@functools.cache
def _probes():
    """Two tiny kernels that store what a helper returns, one value per program."""
    triton, tl = FT.import_triton()

    @triton.jit
    def probe_kv_end(Out, n_k, KV_END: tl.constexpr, BLOCK_Q: tl.constexpr):
        i = tl.program_id(0)
        tl.store(Out + i, KV_END(i * BLOCK_Q, n_k, BLOCK_Q))

    @triton.jit
    def probe_rescale(M_old, M_new, Out, N: tl.constexpr, RESCALE: tl.constexpr):
        i = tl.arange(0, N)
        tl.store(Out + i, RESCALE(tl.load(M_old + i), tl.load(M_new + i)))

    return probe_kv_end, probe_rescale


def _is_jit(fn):
    triton, _ = FT.import_triton()
    return isinstance(fn, triton.runtime.KernelInterface) or type(fn).__name__ == "InterpretedFunction"


def _not_jit(name, fn, *args):
    """The verdict for an answer that is not a @triton.jit function (an untouched stub or not)."""
    with private_rng(0):  # the answer may draw random numbers: not from the learner's RNG
        try:
            fn(*args)
        except NotImplementedError:
            print(f"[not attempted] {name}: replace `raise NotImplementedError` with your answer")
            return False
        except Exception:  # any other failure: the advice below is what matters
            pass
    return report(name, False, "decorate your function with @triton.jit: it runs inside the kernel")


def _inputs(n_q, n_k, d, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(1, 2, n_q, d), (1, 2, n_k, d), (1, 2, n_k, d)]  # (B, H, N, D)
    return [(torch.randn(s, generator=g) * scale).to(FT.kernel_device()) for s in shapes]


def _attention_problem(name, q, k, v, causal, **pieces):
    """None if the kernel with the learner's piece equals SDPA, else what went wrong."""
    ok, out = attempt(name, FT.flash_attention, q, k, v, causal=causal, block_q=16, block_k=16, **pieces)
    if not ok:
        return "stop"
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    if not torch.isfinite(out).all():
        return f"the kernel's output has NaN or inf for N_q={q.shape[2]}, N_k={k.shape[2]}"
    if not torch.allclose(out, ref, atol=1e-4, rtol=0):
        return (f"with your function the kernel differs from SDPA for N_q={q.shape[2]}, "
                f"N_k={k.shape[2]} (causal={causal})")
    return None


def check_causal_kv_end(causal_kv_end):
    """causal_kv_end(q_start, n_k, BLOCK_Q) -> where the causal key loop of a query tile stops."""
    name = "causal_kv_end"
    if not _is_jit(causal_kv_end):
        return _not_jit(name, causal_kv_end, 0, 1, 16)
    probe, _ = _probes()
    for n_q, n_k, block_q in ((100, 100, 16), (64, 40, 32), (30, 90, 16), (1, 1, 16)):
        tiles = -(-n_q // block_q)
        out = torch.zeros(tiles, dtype=torch.int32, device=FT.kernel_device())
        ok, _ = attempt(name, probe[(tiles,)], out, n_k, KV_END=causal_kv_end, BLOCK_Q=block_q)
        if not ok:
            return False
        got = out.cpu().tolist()
        want = [min((i + 1) * block_q, n_k) for i in range(tiles)]
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                why = ("it skips keys some rows of the tile may see" if g < w else
                       "keys from there on are above the diagonal (or past N_k): no need to visit them")
                return report(name, False, f"query tile at q_start={i * block_q} (BLOCK_Q={block_q}, "
                                           f"N_k={n_k}): you stop at {g}, expected {w}: {why}")
    for n_q, n_k in ((45, 45), (20, 70), (70, 20)):
        problem = _attention_problem(name, *_inputs(n_q, n_k, 16, seed=19 + n_q), True, kv_end=causal_kv_end)
        if problem == "stop":
            return False
        if problem:
            return report(name, False, problem)
    return report(name, True)


def check_online_rescale(online_rescale):
    """online_rescale(m_old, m_new) -> the factor that rescales ell and acc (base-2 scores)."""
    name = "online_rescale"
    if not _is_jit(online_rescale):
        return _not_jit(name, online_rescale, torch.zeros(1), torch.zeros(1))
    _, probe = _probes()
    dev = FT.kernel_device()
    m_old = torch.tensor([float("-inf"), 0.0, 1.0, -3.0, 5.0, 2.0, 10.0, -1.5], device=dev)
    m_new = torch.tensor([2.0, 0.0, 3.0, -1.0, 5.0, 4.5, 40.0, 0.5], device=dev)
    out = torch.zeros(8, device=dev)
    ok, _ = attempt(name, probe[(1,)], m_old, m_new, out, N=8, RESCALE=online_rescale)
    if not ok:
        return False
    want = torch.exp2(m_old - m_new).cpu()
    got = out.cpu()
    if torch.isnan(got).any():
        return report(name, False, "NaN: on the first tile m_old = -inf, and the factor must be 0 there")
    if not torch.allclose(got, want, rtol=1e-5, atol=1e-7):
        i = int((got - want).abs().argmax())
        hint = (" (the kernel's scores are in base 2: 2^x, not e^x)"
                if abs(got[i].item() - torch.exp(m_old[i] - m_new[i]).item()) < 1e-6 else "")
        return report(name, False, f"for m_old={m_old[i].item():g}, m_new={m_new[i].item():g} you give "
                                   f"{got[i].item():.4g}, expected {want[i].item():.4g}{hint}")
    for causal in (False, True):
        problem = _attention_problem(name, *_inputs(50, 61, 16, seed=7, scale=3.0), causal,
                                     rescale=online_rescale)
        if problem == "stop":
            return False
        if problem:
            return report(name, False, problem)
    return report(name, True)
