"""Checks for the notebooks' exercises.

Each check takes the learner's answer (usually a function), tries it on inputs the
learner has not seen, prints one line saying what is right or wrong, and returns True or
False. An exercise left as `raise NotImplementedError` is reported as not attempted, so a
notebook runs top to bottom before anyone solves anything. Worked solutions live in
solutions/, apart from the notebooks, and tests/test_solutions.py runs them through
these checks.
"""

import math
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .analysis import entropy
from .blocks import EncoderBlock, FeedForward
from .core import masked_softmax, scaled_dot_product_attention
from .data import embed
from .multihead import MultiHeadAttention
from .positional import sinusoidal as reference_sinusoidal


def report(name, passed, detail=""):
    """Print one line for exercise `name` and return `passed`."""
    mark = "correct" if passed else "not yet"
    print(f"[{mark}] {name}" + (f": {detail}" if detail else ""))
    return passed


def attempt(name, fn, *args, **kwargs):
    """Call the learner's fn; returns (ok, value). NotImplementedError -> not attempted."""
    try:
        return True, fn(*args, **kwargs)
    except NotImplementedError:
        print(f"[not attempted] {name}: replace `raise NotImplementedError` with your answer")
        return False, None
    except Exception as e:  # the learner's code failed: say how, don't crash the notebook
        print(f"[not yet] {name}: your function raised {type(e).__name__}: {e}")
        return False, None


def close(name, got, expected, atol=1e-5):
    """Compare tensors: report shape mismatches and the largest difference."""
    got = torch.as_tensor(got)
    expected = torch.as_tensor(expected)
    if got.shape != expected.shape:
        return report(name, False, f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    diff = (got.double() - expected.double()).abs().max().item()
    if not diff <= atol:
        return report(name, False, f"largest difference {diff:.3g} (allowed {atol:g})")
    return report(name, True)


# ---------------------------------------------------------------- 00 welcome


def check_softmax(softmax):
    """softmax(s) for a 1-D tensor, stable for large scores."""
    name = "softmax"
    for s in (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1000.0, 1001.0, 999.0]),
              torch.tensor([-3.0]), torch.linspace(-5, 5, 11)):
        ok, got = attempt(name, softmax, s.clone())
        if not ok:
            return False
        if got is None or not torch.isfinite(torch.as_tensor(got)).all():
            return report(name, False, f"got {got} for scores {s.tolist()} (overflow? subtract the max)")
        if not close(name + f" on {s.tolist()[:3]}...", got, torch.softmax(s, -1), atol=1e-6):
            return False
    return True


def check_raw_scores(raw_scores):
    """raw_scores(text) -> (N, N) dot products of the sentence's word vectors."""
    text = "the old horse sees a red bus"
    ok, got = attempt("raw_scores", raw_scores, text)
    if not ok:
        return False
    _, x = embed(text)
    return close("raw_scores", got, x @ x.T, atol=1e-4)


# ---------------------------------------------------------------- 01 dot-product attention


def _reference_attention(q, k, v):
    """softmax(q k^T / sqrt(D)) v and the weights, in float64. (..., N_q, D_v), (..., N_q, N_k)"""
    return scaled_dot_product_attention(q.double(), k.double(), v.double())


def check_attention_weights(attention_weights):
    """attention_weights(q, k) -> softmax(q k^T / sqrt(D)), batched and stable."""
    name = "attention_weights"
    gen = torch.Generator().manual_seed(101)
    cases = [
        torch.randn(5, 6, generator=gen), torch.randn(4, 6, generator=gen),  # (N_q, D), (N_k, D)
        torch.randn(2, 3, 5, 16, generator=gen), torch.randn(2, 3, 7, 16, generator=gen),  # (B, H, N, D)
        torch.randn(3, 4, generator=gen) * 300, torch.randn(2, 4, generator=gen) * 300,  # huge scores
    ]
    for q, k in zip(cases[0::2], cases[1::2]):
        ok, got = attempt(name, attention_weights, q.clone(), k.clone())
        if not ok:
            return False
        got = torch.as_tensor(got)
        if not torch.isfinite(got).all():
            return report(name, False, f"non-finite weights for q of shape {tuple(q.shape)} "
                          "(large scores overflow exp: subtract each row's maximum)")
        _, expected = _reference_attention(q, k, k)
        if not close(f"{name} for q {tuple(q.shape)}, k {tuple(k.shape)}", got, expected, atol=1e-5):
            return False
    return report(name, True)


def check_attention_loop(attention_loop):
    """attention_loop(q, k, v) with Python loops equals the matrix form. (N_q, D_v)"""
    name = "attention_loop"
    gen = torch.Generator().manual_seed(102)
    q, k, v = (torch.randn(n, d, generator=gen) for n, d in ((3, 5), (4, 5), (4, 2)))
    ok, got = attempt(name, attention_loop, q, k, v)
    if not ok:
        return False
    expected, _ = _reference_attention(q, k, v)
    return close(name, got, expected, atol=1e-5)


def check_hard_lookup(hard_lookup):
    """hard_lookup(q, k, v) -> for each query, the value row of its highest-scoring key."""
    name = "hard_lookup"
    gen = torch.Generator().manual_seed(103)
    q = torch.randn(2, 6, 8, generator=gen)  # (B, N_q, D)
    k = torch.randn(2, 5, 8, generator=gen)  # (B, N_k, D)
    v = torch.randn(2, 5, 3, generator=gen)  # (B, N_k, D_v)
    ok, got = attempt(name, hard_lookup, q, k, v)
    if not ok:
        return False
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (B, N_q)
    expected = torch.gather(v, 1, best[..., None].expand(-1, -1, v.shape[-1]))  # (B, N_q, D_v)
    return close(name, got, expected, atol=1e-6)


# ---------------------------------------------------------------- 02 scaling


def check_softmax_entropy(softmax_entropy):
    """softmax_entropy(w) -> entropy in nats of each row, finite where weights are 0."""
    name = "softmax_entropy"
    gen = torch.Generator().manual_seed(201)
    w = torch.softmax(torch.randn(2, 3, 4, 9, generator=gen) * 2, dim=-1)  # (B, H, N_q, N_k)
    w[0, 0, 0] = torch.tensor([0.0] * 8 + [1.0])  # one-hot row: entropy 0
    w[1, 2, 3] = torch.tensor([0.5, 0.5] + [0.0] * 7)  # two keys: entropy ln 2
    ok, got = attempt(name, softmax_entropy, w.clone())
    if not ok:
        return False
    got = torch.as_tensor(got)
    if not torch.isfinite(got).all():
        return report(name, False, "NaN or inf for rows containing zero weights (0 ln 0 counts as 0)")
    return close(name, got, entropy(w.double()), atol=1e-5)  # (B, H, N_q)


def check_softmax_jacobian(softmax_jacobian):
    """softmax_jacobian(a) -> (N, N) matrix d a_j / d s_l at a = softmax(s)."""
    name = "softmax_jacobian"
    gen = torch.Generator().manual_seed(202)
    for n in (3, 7):
        s = torch.randn(n, generator=gen, dtype=torch.float64)
        a = torch.softmax(s, -1)
        ok, got = attempt(name, softmax_jacobian, a.clone())
        if not ok:
            return False
        expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), s)
        if not close(f"{name} for N={n}", got, expected, atol=1e-6):
            return False
    return True


def check_unit_variance_scale(unit_variance_scale):
    """unit_variance_scale(D, sigma_q, sigma_k) -> 1 / (sigma_q sigma_k sqrt(D))."""
    name = "unit_variance_scale"
    gen = torch.Generator().manual_seed(203)
    for D, sigma_q, sigma_k in ((48, 0.5, 3.0), (200, 2.0, 2.0)):
        ok, got = attempt(name, unit_variance_scale, D, sigma_q, sigma_k)
        if not ok:
            return False
        expected = 1.0 / (sigma_q * sigma_k * D**0.5)
        try:
            got = float(got)
        except (TypeError, ValueError):
            return report(name, False, f"expected a number, got {type(got).__name__}")
        q = torch.randn(20_000, D, generator=gen) * sigma_q  # (pairs, D)
        k = torch.randn(20_000, D, generator=gen) * sigma_k
        measured = ((q * k).sum(-1) * got).var().item()
        if not abs(got - expected) <= 1e-6 * expected:
            return report(name, False, f"for D={D}, sigma_q={sigma_q}, sigma_k={sigma_k} your "
                          f"factor gives scores of measured variance {measured:.3f}, not 1")
    return report(name, True)

# ---------------------------------------------------------------- 03 self-attention


def _qkv_reference(x_q, x_kv, w_q, w_k, w_v):
    """(out (N_q, D), weights (N_q, N_k)) of softmax((x_q W_q)(x_kv W_k)^T / sqrt(D)) x_kv W_v."""
    return scaled_dot_product_attention(x_q @ w_q, x_kv @ w_k, x_kv @ w_v)


def _check_out_and_weights(name, got, expected, atol=1e-6):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        return report(name, False, "return a pair (output, weights)")
    return (close(name + " (weights)", got[1], expected[1], atol=atol)
            and close(name + " (output)", got[0], expected[0], atol=atol))


def check_self_attention(self_attention):
    """self_attention(x (N, E), w_q, w_k, w_v (E, D)) -> (output (N, D), weights (N, N))."""
    name = "self_attention"
    g = torch.Generator().manual_seed(3)
    x = torch.randn(7, 12, generator=g, dtype=torch.float64)
    w_q, w_k, w_v = (torch.randn(12, 5, generator=g, dtype=torch.float64) for _ in range(3))
    ok, got = attempt(name, self_attention, x, w_q, w_k, w_v)
    if not ok:
        return False
    return _check_out_and_weights(name, got, _qkv_reference(x, x, w_q, w_k, w_v))


def check_permute_weights(permute_weights):
    """permute_weights(weights (N, N), perm) -> the weights of the permuted tokens x[perm]."""
    name = "permute_weights"
    torch.manual_seed(4)
    attn = MultiHeadAttention(16, 1).double()
    x = torch.randn(1, 6, 16, dtype=torch.float64)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    with torch.no_grad():
        weights = attn(x)[1][0, 0]  # (N, N)
        expected = attn(x[:, perm])[1][0, 0]
    ok, got = attempt(name, permute_weights, weights.clone(), perm.clone())
    if not ok:
        return False
    return close(name, got, expected, atol=1e-9)

# ---------------------------------------------------------------- 04 cross-attention


def check_cross_attention(cross_attention):
    """cross_attention(x_q (N_q, E_q), x_kv (N_k, E_kv), w_q (E_q, D), w_k, w_v (E_kv, D))
    -> (output (N_q, D), weights (N_q, N_k))."""
    name = "cross_attention"
    g = torch.Generator().manual_seed(5)
    x_q = torch.randn(3, 6, generator=g, dtype=torch.float64)
    x_kv = torch.randn(8, 10, generator=g, dtype=torch.float64)
    w_q = torch.randn(6, 4, generator=g, dtype=torch.float64)
    w_k, w_v = (torch.randn(10, 4, generator=g, dtype=torch.float64) for _ in range(2))
    ok, got = attempt(name, cross_attention, x_q, x_kv, w_q, w_k, w_v)
    if not ok:
        return False
    return _check_out_and_weights(name, got, _qkv_reference(x_q, x_kv, w_q, w_k, w_v))


def check_leak_detector(leaks_across_batch):
    """leaks_across_batch(f, x (B, N, E)) -> True if f's output for one batch element
    depends on another element's input."""
    name = "leaks_across_batch"
    torch.manual_seed(6)
    ours = MultiHeadAttention(8, 2).eval()
    seq_first = nn.MultiheadAttention(8, 2).eval()
    batch_first = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    cases = {
        "attnlib MultiHeadAttention": (lambda x: ours(x)[0], False),
        "nn.MultiheadAttention(batch_first=True)": (lambda x: batch_first(x, x, x)[0], False),
        "nn.MultiheadAttention() fed (B, N, E)": (lambda x: seq_first(x, x, x)[0], True),
        "batch-mean centring": (lambda x: x - x.mean(0), True),
        "a per-token function": (lambda x: torch.tanh(2 * x), False),
    }
    x = torch.randn(4, 5, 8)
    for case, (f, leaks) in cases.items():
        with torch.no_grad():
            ok, got = attempt(name, leaks_across_batch, f, x.clone())
        if not ok:
            return False
        if bool(got) != leaks:
            return report(name, False, f"said {bool(got)} for {case}, which "
                          + ("leaks" if leaks else "does not leak"))
    return report(name, True, f"right on all {len(cases)} modules")


def check_seq_first_call(self_attend):
    """self_attend(m, x (B, N, E)) -> (B, N, E): self-attention by a batch_first=False
    nn.MultiheadAttention m, called correctly on batch-first x."""
    name = "seq_first_call"
    torch.manual_seed(7)
    m = nn.MultiheadAttention(8, 2).eval()
    x = torch.randn(3, 6, 8)
    with torch.no_grad():
        s = x.transpose(0, 1)  # (N, B, E)
        expected = m(s, s, s)[0].transpose(0, 1)  # (B, N, E)
        ok, got = attempt(name, self_attend, m, x.clone())
    if not ok:
        return False
    return close(name, got, expected, atol=1e-5)

# ---------------------------------------------------------------- 05 multi-head attention


def check_split_heads(split_heads):
    """split_heads(x, num_heads): (B, N, E) -> (B, H, N, D), head h = features h*D:(h+1)*D."""
    name = "split_heads"
    torch.manual_seed(5)
    for B, N, E, H in ((3, 7, 12, 4), (2, 5, 12, 3), (1, 4, 6, 1), (2, 3, 6, 6)):
        x = torch.randn(B, N, E)
        ok, got = attempt(name, split_heads, x.clone(), H)
        if not ok:
            return False
        got = torch.as_tensor(got)
        D = E // H
        expected = torch.stack([x[..., h * D:(h + 1) * D] for h in range(H)], dim=1)
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for x {(B, N, E)} and H={H}, "
                                       f"expected (B, H, N, D) = {tuple(expected.shape)}")
        if not torch.allclose(got, expected):
            return report(name, False, f"x {(B, N, E)}, H={H}: right shape, wrong entries; split E "
                                       "into (H, D) first, then swap the N and H axes")
    return report(name, True)


def check_mha_einsum(mha_einsum):
    """mha_einsum(x, W_q, W_k, W_v, W_o, num_heads) -> (B, N, E): multi-head self-attention
    without biases, equal to MultiHeadAttention(E, H, bias=False) with those weights."""
    name = "mha_einsum"
    for B, N, E, H in ((2, 6, 12, 3), (1, 5, 8, 4), (3, 4, 8, 1)):
        torch.manual_seed(E + H)
        m = MultiHeadAttention(E, H, bias=False).double()
        x = torch.randn(B, N, E, dtype=torch.float64)
        weights = [p.weight.detach().clone() for p in (m.q_proj, m.k_proj, m.v_proj, m.out_proj)]
        ok, got = attempt(name, mha_einsum, x.clone(), *weights, H)
        if not ok:
            return False
        with torch.no_grad():
            expected = m(x)[0]
        got = torch.as_tensor(got).double()
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for B={B}, N={N}, E={E}, H={H}, "
                                       f"expected {tuple(expected.shape)}")
        diff = (got - expected).abs().max().item()
        if not diff <= 1e-9:
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: largest difference {diff:.3g} "
                                       "(scale by sqrt(D), D = E // H?)")
    return report(name, True)


def check_attention_flops(attention_flops):
    """attention_flops(B, N, E, H) -> matmul FLOPs (2 per multiply-add) of one multi-head
    self-attention forward: the four projections, the scores and the weighted sum."""
    name = "attention_flops"
    for B, N, E, H in ((1, 10, 12, 3), (4, 3, 16, 8), (2, 32, 8, 1), (3, 7, 20, 5)):
        ok, got = attempt(name, attention_flops, B, N, E, H)
        if not ok:
            return False
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            MultiHeadAttention(E, H)(torch.zeros(B, N, E))
        measured = counter.get_total_flops()
        if got != measured:
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: you said {got}, "
                                       f"PyTorch's FlopCounterMode counts {measured}")
    return report(name, True)

# ---------------------------------------------------------------- 06 masking


def check_causal_mask(causal_mask):
    """causal_mask(n) -> (n, n) boolean keep mask, True where key j <= query i."""
    name = "causal_mask"
    for n in (1, 4, 11):
        ok, got = attempt(name, causal_mask, n)
        if not ok:
            return False
        got = torch.as_tensor(got)
        if got.dtype != torch.bool:
            return report(name, False, f"dtype {got.dtype} for n={n}, expected torch.bool (True = may attend)")
        expected = torch.ones(n, n, dtype=torch.bool).tril()
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for n={n}, expected {(n, n)}")
        if not torch.equal(got, expected):
            if torch.equal(got, ~expected):
                return report(name, False, f"n={n}: that is a block mask; keep masks are True where allowed")
            return report(name, False, f"n={n}: {(got != expected).sum().item()} entries wrong")
    return report(name, True)


def check_block_to_additive(block_to_additive):
    """block_to_additive(block) -> float mask, 0.0 where block is False, -inf where True."""
    name = "block_to_additive"
    g = torch.Generator().manual_seed(6)
    for shape in ((4, 4), (2, 3, 5)):
        block = torch.rand(shape, generator=g) < 0.4
        ok, got = attempt(name, block_to_additive, block.clone())
        if not ok:
            return False
        got = torch.as_tensor(got)
        if not got.is_floating_point():
            return report(name, False, f"dtype {got.dtype}, expected a floating-point mask")
        if got.shape != block.shape:
            return report(name, False, f"shape {tuple(got.shape)}, expected {tuple(block.shape)}")
        expected = torch.zeros(shape).masked_fill(block, float("-inf"))
        if not torch.equal(got.float(), expected):
            if torch.equal(got.float(), torch.zeros(shape).masked_fill(~block, float("-inf"))):
                return report(name, False, "-inf must go where block is True (blocked), 0 where False")
            return report(name, False, f"{(got.float() != expected).sum().item()} of {block.numel()} entries wrong")
    return report(name, True)


def check_safe_softmax(safe_softmax):
    """safe_softmax(scores) -> softmax over the last dim; all -inf rows give zeros, not NaN."""
    name = "safe_softmax"
    inf = float("-inf")
    cases = [
        torch.tensor([[1.0, 2.0, 0.5, -1.0], [inf, inf, inf, inf], [3.0, inf, 1.0, inf]]),
        torch.tensor([[[inf, inf, inf]], [[200.0, 201.0, inf]]]),
    ]
    for scores in cases:
        ok, got = attempt(name, safe_softmax, scores.clone())
        if not ok:
            return False
        got = torch.as_tensor(got)
        if got.shape == scores.shape and got.isnan().any():
            return report(name, False, "NaN in the output: a row of all -inf must give zeros")
        if not close(name, got, masked_softmax(scores), atol=1e-6):
            return False
    return True
# ---------------------------------------------------------------- 07 positional information


def check_sinusoidal(sinusoidal):
    """sinusoidal(n, dim) -> (n, dim) table, sin in even columns, cos in odd, any dim."""
    name = "sinusoidal"
    for n, dim in ((6, 8), (11, 7), (4, 1), (50, 33)):
        ok, got = attempt(name, sinusoidal, n, dim)
        if not ok:
            return False
        if not close(f"{name}(n={n}, dim={dim})", got, reference_sinusoidal(n, dim), atol=1e-4):
            return False
    return True


def check_rotate_pair(rotate_pair):
    """rotate_pair(v, angle) -> v (2,) rotated counter-clockwise by angle radians."""
    name = "rotate_pair"
    for v, angle in (((1.0, 0.0), math.pi / 2), ((0.3, -2.0), 0.7), ((-1.5, 0.5), -2.9), ((2.0, 1.0), 0.0)):
        v = torch.tensor(v)
        ok, got = attempt(name, rotate_pair, v.clone(), angle)
        if not ok:
            return False
        c, s = math.cos(angle), math.sin(angle)
        expected = torch.tensor([c * v[0] - s * v[1], s * v[0] + c * v[1]])
        got_t = torch.as_tensor(got)
        if got_t.shape == expected.shape and angle and torch.allclose(
                got_t.double(), torch.tensor([c * v[0] + s * v[1], -s * v[0] + c * v[1]]).double(), atol=1e-5):
            return report(name, False, f"angle {angle:.2f}: you rotated clockwise; RoPE turns counter-clockwise")
        if not close(f"{name}({v.tolist()}, {angle:.2f})", got, expected, atol=1e-5):
            return False
    return True


def check_relative_index(relative_index):
    """relative_index(n_q, n_k, k) -> (n_q, n_k) long, clip(j - i, -k, k) + k."""
    name = "relative_index"
    for n_q, n_k, k in ((5, 5, 2), (3, 7, 1), (6, 4, 0), (8, 8, 10)):
        ok, got = attempt(name, relative_index, n_q, n_k, k)
        if not ok:
            return False
        got = torch.as_tensor(got)
        if got.is_floating_point():
            return report(name, False, f"dtype {got.dtype}: an index must be an integer tensor")
        i, j = torch.arange(n_q)[:, None], torch.arange(n_k)[None, :]
        expected = (j - i).clamp(-k, k) + k
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for {(n_q, n_k, k)}, expected {(n_q, n_k)}")
        if not torch.equal(got.long(), expected):
            if torch.equal(got.long(), (i - j).clamp(-k, k) + k):
                return report(name, False, "the offset is j - i (key minus query), not i - j")
            return report(name, False, f"{(got.long() != expected).sum().item()} entries wrong for {(n_q, n_k, k)}")
    return report(name, True)
# ---------------------------------------------------------------- 08 transformer blocks


def check_pre_norm_step(pre_norm_step):
    """pre_norm_step(x, sublayer, norm) -> x + sublayer(norm(x))."""
    name = "pre_norm_step"
    g = torch.Generator().manual_seed(8)
    E = 12
    norm, sublayer = nn.LayerNorm(E), nn.Linear(E, E)
    with torch.no_grad():
        for p in [*norm.parameters(), *sublayer.parameters()]:
            p.copy_(torch.randn(p.shape, generator=g))
    x = 3.0 * torch.randn(2, 5, E, generator=g) + 1.0  # (B, N, E), far from normalised
    ok, got = attempt(name, pre_norm_step, x.clone(), sublayer, norm)
    if not ok:
        return False
    with torch.no_grad():
        expected = x + sublayer(norm(x))
        post = norm(x + sublayer(x))
        got = torch.as_tensor(got).detach()
    if got.shape == post.shape and torch.allclose(got, post, atol=1e-5):
        return report(name, False, "that is post-norm, norm(x + sublayer(x)); normalise the "
                                   "sublayer's input instead and add x unchanged")
    return close(name, got, expected, atol=1e-5)


def check_block_params(block_params):
    """block_params(E, ff_dim) -> parameter count of EncoderBlock(E, H, ff_dim), biases on."""
    name = "block_params"
    for E, H, ff_dim in ((8, 2, 32), (48, 4, 100), (512, 8, 2048)):
        ok, got = attempt(name, block_params, E, ff_dim)
        if not ok:
            return False
        expected = sum(p.numel() for p in EncoderBlock(E, H, ff_dim).parameters())
        if got != expected:
            return report(name, False, f"E={E}, ff_dim={ff_dim}: got {got}, expected {expected} "
                                       "(count attention, feed-forward and both LayerNorms)")
    return report(name, True)


def check_feed_forward(feed_forward):
    """feed_forward(x, w1, b1, w2, b2) -> relu(x w1^T + b1) w2^T + b2, as blocks.FeedForward."""
    name = "feed_forward"
    torch.manual_seed(80)
    ff = FeedForward(10, 24)
    x = torch.randn(3, 4, 10)  # (B, N, E)
    args = (ff.linear1.weight, ff.linear1.bias, ff.linear2.weight, ff.linear2.bias)
    ok, got = attempt(name, feed_forward, x.clone(), *(a.detach().clone() for a in args))
    if not ok:
        return False
    with torch.no_grad():
        expected = ff(x)
    return close(name, torch.as_tensor(got).detach(), expected, atol=1e-5)
# ---------------------------------------------------------------- 17 efficient attention


def check_online_step(online_step):
    """online_step(m, ell, x_j) -> (m_new, ell_new): one step of the online softmax."""
    name = "online_step"
    g = torch.Generator().manual_seed(17)
    x = torch.randn(5, 40, generator=g) * 3
    x[1] += 500.0  # exp(500) overflows: the running max must keep the sum finite
    x[2, 25] = 60.0  # a late jump of the maximum: the old sum must be rescaled
    m = torch.full((5,), float("-inf"))
    ell = torch.zeros(5)
    for j in range(x.shape[1]):
        ok, got = attempt(name, online_step, m.clone(), ell.clone(), x[:, j].clone())
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return report(name, False, "return the pair (m_new, l_new)")
        m, ell = (torch.as_tensor(t, dtype=torch.float32) for t in got)
        if not torch.isfinite(ell).all():
            return report(name, False, f"ell became {ell.tolist()} at step {j + 1}: measure exp() against m_new")
    if not torch.equal(m, x.max(dim=1).values):
        return report(name, False, "after the last step m is not the maximum score")
    return close(name, torch.exp(x - m[:, None]) / ell[:, None], torch.softmax(x, dim=1), atol=1e-5)


def check_causal_tiles(causal_tiles):
    """causal_tiles(n, block) -> number of (query-block, key-block) tiles a causal kernel computes."""
    name = "causal_tiles"
    for n, block in ((1, 1), (7, 7), (100, 10), (1000, 64), (63, 64), (65, 64), (4096, 128)):
        ok, got = attempt(name, causal_tiles, n, block)
        if not ok:
            return False
        t = -(-n // block)  # ceil(n / block) blocks each way
        if got != t * (t + 1) // 2:
            hint = " (the last block may be shorter: round the block count up)" if n % block else ""
            return report(name, False, f"got {got} for n={n}, block={block}; expected {t * (t + 1) // 2}{hint}")
    return report(name, True)


def _softmax_state(x, v):
    m = x.max(dim=-1, keepdim=True).values  # (N_q, 1)
    p = torch.exp(x - m)  # (N_q, N_k)
    return m, p.sum(dim=-1, keepdim=True), p @ v


def check_merge_softmax_states(merge):
    """merge(m1, l1, a1, m2, l2, a2) -> (m, l, a) of the online softmax over both key sets."""
    name = "merge"
    g = torch.Generator().manual_seed(1717)
    for shift in (0.0, 300.0, -300.0):  # second half far larger / smaller: exp must not overflow
        x = torch.randn(6, 30, generator=g) * 2  # scores (N_q, N_k)
        x[:, 12:] += shift
        v = torch.randn(30, 5, generator=g)  # values (N_k, D)
        one, two = _softmax_state(x[:, :12], v[:12]), _softmax_state(x[:, 12:], v[12:])
        ok, got = attempt(name, merge, *one, *two)
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return report(name, False, "return the triple (m, l, a)")
        m, ell, a = (torch.as_tensor(t, dtype=torch.float32) for t in got)
        full_m, full_l, full_a = _softmax_state(x, v)
        if not torch.isfinite(a).all() or not torch.isfinite(ell).all():
            return report(name, False, f"non-finite result with scores shifted by {shift}: rescale by exp(m_i - m)")
        for label, mine, want in (("m", m, full_m), ("l", ell, full_l), ("a", a, full_a)):
            if mine.shape != want.shape:
                return report(name, False, f"{label} has shape {tuple(mine.shape)}, expected {tuple(want.shape)}")
            diff = (mine - want).abs().max().item()
            if not diff <= 1e-4 * max(1.0, want.abs().max().item()):
                return report(name, False, f"{label} off by {diff:.3g} with scores shifted by {shift:+.0f}")
    return report(name, True)

# ---------------------------------------------------------------- 18 timing lab


def check_forward_flops(flops):
    """flops(B, H, n_q, n_k, d, causal) -> forward FLOPs of attention's two matmuls."""
    name = "attention_flops"
    for args in ((1, 1, 1, 1, 1, False), (3, 5, 7, 11, 13, False), (2, 16, 4096, 512, 128, False),
                 (4, 8, 1000, 1000, 64, True), (1, 32, 8192, 8192, 128, True)):
        ok, got = attempt(name, flops, *args)
        if not ok:
            return False
        B, H, n_q, n_k, d, causal = args
        expected = 4 * B * H * n_q * n_k * d / (2 if causal else 1)
        if got is None or abs(got - expected) > 1e-9 * expected:
            hint = ""
            if got and abs(got - 2 * expected) < 1e-9 * expected:
                hint = " (twice too many: halve it for causal)" if causal else " (twice too many)"
            elif got and abs(2 * got - expected) < 1e-9 * expected:
                hint = " (half: there are two matmuls of 2 N_q N_k D each)"
            return report(name, False, f"got {got} for {args}, expected {expected:g}{hint}")
    return report(name, True)


def check_timer(median_time):
    """median_time(fn) -> median seconds per call of fn(), with warm-up, robust to outliers."""
    name = "timer"
    calls = 0

    def work():  # 200 ms the first time (a cold start), 40 ms every 4th call, else 10 ms
        nonlocal calls
        calls += 1
        time.sleep(0.2 if calls == 1 else 0.04 if calls % 4 == 0 else 0.01)

    ok, got = attempt(name, median_time, work)
    if not ok:
        return False
    if calls < 5:
        return report(name, False, f"fn was called {calls} time(s): warm up, then repeat")
    if not isinstance(got, (int, float)) or not 0.008 <= got <= 0.016:
        return report(name, False, f"got {got!r} s for a call that usually takes 0.010 s "
                                   "(seconds? warm-up? the median, not the mean?)")
    return report(name, True)

