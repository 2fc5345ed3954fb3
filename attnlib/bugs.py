"""The bug clinic (notebook 24): the classic attention bugs, and public checks that catch them.

Check your own code in one call; each prints one line per check and returns a Report,
whose `.failures` lists what failed (empty when all passed), for use in asserts:

    bugs.check_attention(fn)       # fn(q, k, v, mask=None), mask True = may attend
    bugs.check_causal(fn)          # fn(q, k, v): causal self-attention, builds its own mask
    bugs.check_multihead(factory)  # factory(E, H) -> module, e.g. MultiHeadAttention itself;
                                   # module(x) -> (B, N, E) or (output, weights)
    bugs.check_gpu_timer(timer)    # timer(fn) -> seconds per call of fn() on a GPU
    bugs.check_heads(factory)      # factory(E, H) -> module in MultiHeadAttention's layout,
                                   # module(x) -> (output, weights (B, H, N, N))
    bugs.check_encoder(factory)    # factory(E, H, ff_dim) -> post-norm block in EncoderBlock's layout
    bugs.check_pattern(fn)         # fn(q, k, v) -> the matrix it calls the attention pattern

A function may return the output or a pair (output, weights); only the output is used.
The weights are read as the output for values V = I (identity), so that any function
f(q, k, v) shows them. Every input comes from the checks' own torch.Generator.
check_gpu_timer runs no GPU: it replaces torch.cuda's synchronize and Event, and the
clocks, by recorders for the duration of the call and checks the order of what the timer
did (its code path), not a measured time.

BUGS maps each bug's name to its buggy function, the subject it belongs to and the check
that should catch it. The buggy functions are written for this series and kept short.
"""

import contextlib
import inspect
import math
import threading
import time
from dataclasses import dataclass, field
from unittest import mock

import torch
from torch import nn

from . import masks
from .blocks import EncoderBlock
from .core import masked_softmax, scaled_dot_product_attention
from .multihead import MultiHeadAttention

# ------------------------------------------------------------------ reports


@dataclass
class Finding:
    """One check's verdict: its name, whether it passed, and the evidence if not."""

    check: str
    passed: bool
    detail: str = ""

    def __str__(self):
        return f"  {'passed' if self.passed else 'FAILED'}  {self.check}" + \
            ("" if self.passed else f": {self.detail}")


@dataclass
class Report:
    """Every check's Finding for one subject (function, module or timer)."""

    subject: str
    findings: list = field(default_factory=list)

    @property
    def failures(self):
        return [f for f in self.findings if not f.passed]

    @property
    def failed(self):
        """The names of the checks that failed, in order."""
        return [f.check for f in self.failures]

    @property
    def passed(self):
        return not self.failures

    @property
    def diagnosis(self):
        """The first failed check (the checks run from the most specific bug), or None."""
        return self.failed[0] if self.failures else None

    def __str__(self):
        head = f"{self.subject}: {len(self.findings) - len(self.failures)} of {len(self.findings)} checks passed"
        return "\n".join([head, *map(str, self.findings)])


def _run(subject, checks, verbose):
    """Run each check (a function returning None or the evidence); an exception is a failure."""
    report = Report(subject)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: a second thread only waits on a busy core
    try:
        for name, check in checks:
            try:
                problem = check()
            except Exception as err:  # noqa: BLE001 - the code under test failed; say how
                problem = f"raised {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            report.findings.append(Finding(name, problem is None, problem or ""))
    finally:
        torch.set_num_threads(threads)
    if verbose:
        print(report)
    return report


def _output(result):
    """The output of a function that returns the output or (output, weights)."""
    return result[0] if isinstance(result, (tuple, list)) else result


def weights_of(fn, q, k, mask=None):
    """The attention weights of fn, read as its output when the values are the identity.

    q (..., N_q, D), k (..., N_k, D) -> (..., N_q, N_k): with V = I (N_k x N_k), the
    output softmax(S) V is the weight matrix itself, whatever fn returns besides.
    """
    n_k = k.shape[-2]
    eye = torch.eye(n_k, dtype=k.dtype).expand(*k.shape[:-2], n_k, n_k)  # (..., N_k, N_k)
    return _output(fn(q, k, eye) if mask is None else fn(q, k, eye, mask))


def _biggest_gap(a, b):
    gap = (a.double() - b.double()).abs()
    gap = torch.where(a.isnan() & b.isnan(), torch.zeros_like(gap), gap)
    return float("inf") if gap.isnan().any() else gap.max().item()


# ------------------------------------------------------------------ attention functions

B, N_Q, N_K, D = 2, 5, 6, 16  # the checks' shapes: queries and keys differ in number


def _inputs(seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, n, D, generator=g) for n in (N_Q, N_K, N_K))  # (B, N, D)
    keep = torch.rand(B, N_Q, N_K, generator=g) < 0.5  # (B, N_q, N_k), True = may attend
    keep[..., 0], keep[..., -1] = True, False  # every row has an allowed and a blocked key
    return q, k, v, keep


def check_attention(fn, *, verbose=True):
    """Every check of an attention function fn(q, k, v, mask=None); returns a Report.

    q (B, N_q, D), k and v (B, N_k, D); mask (B, N_q, N_k) bool, True = may attend.
    A query whose mask row is all False must get zero weights and a zero output.
    """
    q, k, v, keep = _inputs(24)

    def weights_nonnegative():
        w = weights_of(fn, q, k)
        if w.min().item() < -1e-6:
            return f"a weight of {w.min().item():.3f} < 0: scores used as weights, with no softmax?"

    def rows_sum_to_one():
        w = weights_of(fn, q, k)  # (B, N_q, N_k)
        rows = w.sum(-1)
        if _biggest_gap(rows, torch.ones_like(rows)) > 1e-5:
            if _biggest_gap(w.sum(-2), torch.ones(B, N_K)) < 1e-5:
                return (f"rows sum to {rows.min().item():.2f}..{rows.max().item():.2f} over keys, "
                        "columns sum to 1 over queries: softmax over the wrong axis?")
            return f"rows sum to {rows.min().item():.2f}..{rows.max().item():.2f} over keys, not 1"

    def scale():
        w = weights_of(fn, q, k)
        seen = w > 0  # (B, N_q, N_k): the keys a query gives weight to
        count = seen.sum(-1, keepdim=True)
        if not (count >= 2).all():
            return "cannot read a scale: a row has fewer than two positive weights"

        def centred(t):  # t minus its mean over the row's positive-weight keys; 0 elsewhere
            t = torch.where(seen, t, torch.zeros_like(t))
            return torch.where(seen, t - t.sum(-1, keepdim=True) / count, torch.zeros_like(t))

        # Within a row, log w_ij = c * q_i . k_j + const: the slope c is the scale used.
        y = centred(torch.where(seen, w, torch.ones_like(w)).log())
        x = centred(q @ k.transpose(-2, -1))
        c = ((x * y).sum() / (x * x).sum()).item()
        if (y - c * x).abs().max().item() > 1e-3:
            return "log-weights are not linear in q . k along a row: not a softmax over keys"
        if abs(c - 1 / math.sqrt(D)) > 1e-4:
            guess = " (no scale at all)" if abs(c - 1) < 1e-4 else \
                " (1/D?)" if abs(c - 1 / D) < 1e-4 else ""
            return f"the scores are scaled by {c:.4f}{guess}, expected 1/sqrt(D) = {1 / math.sqrt(D):.4f}"

    def masked_keys_ignored():
        w = weights_of(fn, q, k, keep)
        leak = w[~keep].abs().max().item()
        if not leak < 1e-6:
            if w[keep].abs().max().item() < 1e-6:
                return ("all the weight is on blocked keys: the mask is read as True = blocked "
                        "(nn.MultiheadAttention's convention); attnlib's is True = may attend")
            return f"weight {leak:.3f} on a key the mask blocks"

    empty = keep.clone()
    empty[0, 1] = False  # query 1 of batch item 0 may attend to nothing

    def empty_rows_no_nan():
        out = _output(fn(q, k, v, empty))
        if out.isnan().any():
            return ("NaN for a query that may attend to nothing: the softmax of a row of -inf "
                    "is 0/0; give such rows zero weights")

    def empty_rows_zero():
        out = _output(fn(q, k, v, empty))[0, 1]  # (D,)
        if out.abs().max().item() > 1e-6 or out.isnan().any():
            if _biggest_gap(out, v[0].mean(0)) < 1e-5:
                return ("the output is the mean of all values (uniform weights 1/N_k) for a query "
                        "that may attend to nothing: masked with a finite number such as -1e9?")
            return "a query that may attend to nothing does not get a zero output"

    def large_scores_stable():
        big_q, big_k = 30 * q, 30 * k  # scores in the thousands: exp() overflows float32
        out = _output(fn(big_q, big_k, v))
        if not torch.isfinite(out).all():
            top = (big_q @ big_k.transpose(-2, -1) / math.sqrt(D)).max().item()
            return (f"inf or NaN with scores up to {top:.0f}: exp overflows; subtract the row "
                    "maximum first (torch.softmax does)")

    def matches_reference():
        want, _ = scaled_dot_product_attention(q, k, v, keep)
        gap = _biggest_gap(_output(fn(q, k, v, keep)), want)
        if gap > 1e-5:
            return f"differs from attnlib's attention (= F.scaled_dot_product_attention) by {gap:.3g}"

    return _run(_name(fn), [
        ("weights_nonnegative", weights_nonnegative),
        ("rows_sum_to_one", rows_sum_to_one),
        ("scale", scale),
        ("masked_keys_ignored", masked_keys_ignored),
        ("empty_rows_no_nan", empty_rows_no_nan),
        ("empty_rows_zero", empty_rows_zero),
        ("large_scores_stable", large_scores_stable),
        ("matches_reference", matches_reference),
    ], verbose)


def _name(obj):
    return getattr(obj, "__name__", type(obj).__name__)


# ------------------------------------------------------------------ causal attention

N_C = 6  # sequence length of the causal checks


def check_causal(fn, *, verbose=True):
    """Every check of a causal self-attention function fn(q, k, v), which masks by itself.

    q, k, v (B, N, D). Query i must see keys 0..i: nothing after it, and itself.
    """
    g = torch.Generator().manual_seed(124)
    q, k, v = (torch.randn(B, N_C, D, generator=g) for _ in range(3))
    k_new, v_new = torch.randn(B, N_C, D, generator=g), torch.randn(B, N_C, D, generator=g)

    def no_future_leak():
        out = _output(fn(q, k, v))  # (B, N, D)
        for t in range(1, N_C):  # change keys and values t.. ; outputs 0..t-1 must not move
            k2, v2 = k.clone(), v.clone()
            k2[:, t:], v2[:, t:] = k_new[:, t:], v_new[:, t:]
            moved = _output(fn(q, k2, v2))[:, :t] - out[:, :t]
            if not moved.abs().max().item() < 1e-6:
                i = int(moved.abs().amax(dim=(0, 2)).argmax())
                return (f"output {i} changed when only keys/values from {t} on changed: query "
                        f"{i} sees a later key (causal mask off by one, tril(diagonal=1)?)")

    def sees_itself():
        w = weights_of(fn, q, k)  # (B, N, N)
        self_weight = w.diagonal(dim1=-2, dim2=-1)  # (B, N)
        if not (self_weight > 1e-6).all():
            i = int((self_weight <= 1e-6).nonzero()[0, 1])
            return (f"query {i} gives weight {self_weight.flatten()[i].item():.2f} to itself: "
                    "the mask leaves out the diagonal (off by one, tril(diagonal=-1)?)")

    def causal_matches_reference():
        want, _ = scaled_dot_product_attention(q, k, v, masks.causal(N_C))
        gap = _biggest_gap(_output(fn(q, k, v)), want)
        if gap > 1e-5:
            return f"differs from attnlib's causal attention by {gap:.3g}"

    return _run(_name(fn), [
        ("no_future_leak", no_future_leak),
        ("sees_itself", sees_itself),
        ("causal_matches_reference", causal_matches_reference),
    ], verbose)


# ------------------------------------------------------------------ multi-head modules

E_M, H_M, B_M, N_M = 16, 4, 3, 5  # width, heads, batch and length of the multi-head checks


def check_multihead(factory, *, verbose=True):
    """Every check of a batch-first multi-head self-attention module.

    factory(E, H) -> a module for E = 16 and H = 4 heads (a class such as MultiHeadAttention
    is such a factory), built with torch's global RNG forked and seeded, so the check
    leaves the learner's random numbers alone;
    module(x) with x (B, N, E) -> (B, N, E), or a pair (output, weights).
    """
    g = torch.Generator().manual_seed(224)
    x = torch.randn(B_M, N_M, E_M, generator=g)  # (B, N, E)
    others = torch.randn(B_M, N_M, E_M, generator=g)
    perm = torch.randperm(N_M, generator=g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(24)
        module = factory(E_M, H_M)
    if isinstance(module, nn.Module):
        module.eval()

    def run(inputs):
        with torch.no_grad():
            return _output(module(inputs))

    def batch_independence():
        x2 = x.clone()
        x2[1:] = others[1:]  # change every batch item but the first
        gap = _biggest_gap(run(x2)[0], run(x)[0])
        if gap > 1e-5:
            return (f"batch item 0's output moved by {gap:.3g} when only the other items changed: "
                    "attention across the batch (batch-first input to a sequence-first layer?)")

    def permutation_equivariance():
        gap = _biggest_gap(run(x[:, perm]), run(x)[:, perm])
        if gap > 1e-5:
            return (f"permuting the tokens moved the output by {gap:.3g} beyond the permutation: "
                    "heads mix tokens (split with view instead of transpose?)")

    def every_weight_used():
        if not isinstance(module, nn.Module):
            return "not an nn.Module: cannot list its parameters"
        module.zero_grad()
        with torch.enable_grad():
            _output(module(x)).square().sum().backward()
        # Weight matrices only: a key bias adds q . b to a whole row of scores, which the
        # softmax ignores, so its gradient is zero (up to rounding) in any correct layer.
        for name, p in module.named_parameters():
            if p.dim() >= 2 and (p.grad is None or p.grad.abs().max().item() == 0):
                module.zero_grad()
                return f"{name} gets no gradient: it never reaches the output (defined but not applied?)"
        module.zero_grad()

    return _run(_name(factory), [
        ("batch_independence", batch_independence),
        ("permutation_equivariance", permutation_equivariance),
        ("every_weight_used", every_weight_used),
    ], verbose)


# ------------------------------------------------------------------ heads, blocks, patterns


def _built(factory, *args):
    """factory(*args) with torch's global RNG forked and seeded, in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(24)
        module = factory(*args)
    return module.eval() if isinstance(module, nn.Module) else module


def _slope(y, x):
    """The slope c of y = c * x + (a constant per row), and the largest misfit."""
    y, x = y - y.mean(-1, keepdim=True), x - x.mean(-1, keepdim=True)
    c = ((x * y).sum() / (x * x).sum()).item()
    return c, (y - c * x).abs().max().item()


def check_heads(factory, *, verbose=True):
    """Every check of a multi-head self-attention module in MultiHeadAttention's layout.

    factory(E, H) -> a module with q_proj, k_proj, v_proj and out_proj as attnlib's (E = 16,
    H = 4); module(x), x (B, N, E) -> (output (B, N, E), weights (B, H, N, N)).
    """
    g = torch.Generator().manual_seed(324)
    x, noise = torch.randn(B_M, N_M, E_M, generator=g), torch.randn(B_M, N_M, E_M, generator=g)
    module = _built(factory, E_M, H_M)
    head_dim = E_M // H_M

    def run(inputs):
        with torch.no_grad():
            return module(inputs)

    def heads_see_every_feature():
        _, w = run(x)  # (B, H, N, N)
        for h in range(H_M):  # change every feature outside head h's block of D
            outside = torch.ones(E_M, dtype=torch.bool)
            outside[h * head_dim:(h + 1) * head_dim] = False
            _, w2 = run(torch.where(outside, noise, x))
            if _biggest_gap(w2[:, h], w[:, h]) < 1e-6:
                return (f"head {h}'s weights did not move when only features outside its block "
                        f"{h * head_dim}..{(h + 1) * head_dim - 1} changed: each head sees only its own "
                        "D features (a Linear(D, D) projection applied after the head split?)")

    def matches_torch():
        ref = _built(lambda e, h: nn.MultiheadAttention(e, h, batch_first=True), E_M, H_M)
        module.load_state_dict(_built(MultiHeadAttention.from_torch, ref).state_dict())
        with torch.no_grad():
            want, want_w = ref(x, x, x, average_attn_weights=False)  # (B, N, E), (B, H, N, N)
        out, w = run(x)
        gap = _biggest_gap(out, want)
        if gap > 1e-5:
            c, misfit = _slope(w.log(), want_w.log())
            guess = f"; its scores are the reference's times {c:.3f}" if misfit < 1e-3 else ""
            if misfit < 1e-3 and abs(c - math.sqrt(head_dim / E_M)) < 1e-4:
                guess += " = sqrt(D/E): scaled by 1/sqrt(E), not 1/sqrt(D)?"
            return f"differs from nn.MultiheadAttention with the same weights by {gap:.3g}{guess}"

    return _run(_name(factory), [
        ("heads_see_every_feature", heads_see_every_feature),
        ("matches_torch", matches_torch),
    ], verbose)


FF_M = 32  # feed-forward width of the encoder checks


def check_encoder(factory, *, verbose=True):
    """Every check of a post-norm encoder block in attnlib's EncoderBlock layout.

    factory(E, H, ff_dim) -> a block (EncoderBlock itself is such a factory) with fresh
    LayerNorms (weight 1, bias 0); block(x), x (B, N, E) -> (B, N, E).
    """
    g = torch.Generator().manual_seed(424)
    x = 3 * torch.randn(B_M, N_M, E_M, generator=g) + 1  # (B, N, E), far from normalised
    block = _built(factory, E_M, H_M, FF_M)

    def run(inputs):
        with torch.no_grad():
            return _output(block(inputs))

    def output_normalised():
        out = run(x)  # (B, N, E)
        mean, var = out.mean(-1), out.var(-1, unbiased=False)  # per token
        if max(mean.abs().max().item(), (var - 1).abs().max().item()) > 1e-3:
            return (f"output tokens have feature means {mean.min().item():.2f}..{mean.max().item():.2f} "
                    f"and variances {var.min().item():.2f}..{var.max().item():.2f}, not 0 and 1: "
                    "residuals with no LayerNorm after them?")

    def encoder_matches_torch():
        ref = _built(lambda e, h, f: nn.TransformerEncoderLayer(e, h, f, dropout=0.0, batch_first=True),
                     E_M, H_M, FF_M)
        block.load_state_dict(_built(EncoderBlock.from_torch, ref).state_dict())
        with torch.no_grad():
            want = ref(x)
        gap = _biggest_gap(run(x), want)
        if gap > 1e-4:
            return f"differs from nn.TransformerEncoderLayer with the same weights by {gap:.3g}"

    return _run(_name(factory), [
        ("output_normalised", output_normalised),
        ("encoder_matches_torch", encoder_matches_torch),
    ], verbose)


def check_pattern(fn, *, verbose=True):
    """Every check of fn(q, k, v) -> the matrix a plot calls the attention pattern.

    q (B, N_q, D), k and v (B, N_k, D); the pattern must be the weights (B, N_q, N_k).
    """
    q, k, v, _ = _inputs(24)

    def pattern_depends_on_query():
        w = fn(q, k, v)
        if _biggest_gap(fn(-q, k, v), w) < 1e-6:
            return (f"the pattern {tuple(w.shape)} did not change when the queries did"
                    + (": one key (a pooled vector?), so every weight is 1, the entropy 0, and no "
                       "query can look anywhere" if w.shape[-1] == 1 else ""))

    def pattern_is_weights():
        w = fn(q, k, v)
        if tuple(w.shape) != (B, N_Q, N_K):
            guess = " = (B, N_q, D): tokens x features, the attention output" if tuple(w.shape) == (B, N_Q, D) else ""
            return f"shape {tuple(w.shape)}{guess}, not (B, N_q, N_k) = {(B, N_Q, N_K)}"
        if w.min().item() < -1e-6 or _biggest_gap(w.sum(-1), torch.ones(B, N_Q)) > 1e-5:
            return "not weights: a row has a negative entry or does not sum to 1"

    def pattern_matches_reference():
        _, want = scaled_dot_product_attention(q, k, v)  # (B, N_q, N_k)
        w = fn(q, k, v)
        if w.shape != want.shape:
            return f"shape {tuple(w.shape)}, the reference's weights are {tuple(want.shape)}"
        gap = _biggest_gap(w, want)
        if gap > 1e-5:
            return f"differs from attnlib's weights by {gap:.3g}"

    return _run(_name(fn), [
        ("pattern_depends_on_query", pattern_depends_on_query),
        ("pattern_is_weights", pattern_is_weights),
        ("pattern_matches_reference", pattern_matches_reference),
    ], verbose)


# ------------------------------------------------------------------ GPU timers


@contextlib.contextmanager
def recording_cuda():
    """Replace torch.cuda.synchronize, torch.cuda.Event and the clocks by recorders.

    Yields (log, fn): fn() is the work to time; log lists, in order, what happened:
    'call' (fn ran: on a GPU it would only queue kernels), 'sync' (the CPU waited for the
    GPU), 'clock' (a Python clock was read), 'record' (a CUDA event was queued) and
    'elapsed' (the time between two events was read). No GPU is used.
    """
    log = []
    ticks = [0.0]
    owner = threading.get_ident()  # other threads (a kernel's heartbeat) get the real clocks
    real = {name: getattr(time, name) for name in ("perf_counter", "time", "monotonic")}

    def fn():
        log.append("call")

    def sync(*args, **kwargs):
        log.append("sync")

    def clock(name):
        def read():
            if threading.get_ident() != owner:
                return real[name]()
            log.append("clock")
            ticks[0] += 1e-3
            return ticks[0]
        return read

    class Event:
        def __init__(self, *args, **kwargs):
            self.calls = 0

        def record(self, *args, **kwargs):
            log.append("record")
            self.calls = log.count("call")

        def synchronize(self):
            log.append("sync")

        def elapsed_time(self, end):
            log.append("elapsed")
            return 1.0 * max(1, end.calls - self.calls)  # "1 ms per call", in milliseconds

    with contextlib.ExitStack() as stack:
        for target, name, new in [(torch.cuda, "synchronize", sync), (torch.cuda, "Event", Event),
                                  (torch.cuda, "get_device_name", lambda *a: "recorded, no GPU"),
                                  *[(time, name, clock(name)) for name in real]]:
            stack.enter_context(mock.patch.object(target, name, new))
        yield log, fn


def timer_log(timer):
    """What timer(fn) does, in order, as recording_cuda logs it (a list of strings)."""
    with recording_cuda() as (log, fn):
        timer(fn)
    return log


def check_gpu_timer(timer, *, verbose=True):
    """Every check of a GPU timer, timer(fn) -> seconds per call of fn() (code path only).

    A correct timer calls fn at least once before it starts timing (warm-up), and never
    reads a clock, or the time between CUDA events, while calls may still be running
    on the GPU: a synchronize must come between the last call and that reading.
    """
    def logged():
        log = timer_log(timer)
        if "call" not in log:
            raise ValueError("the timer never called fn")
        return log

    def timer_warms_up():
        log = logged()
        starts = [i for i, e in enumerate(log) if e in ("clock", "record")]
        if starts and starts[0] < log.index("call"):
            return ("the clock starts before the first call: the first call, with its one-off "
                    "costs (CUDA context, kernel loading), is timed; warm up first")

    def timer_synchronises():
        log = logged()
        running, queued = False, False  # calls not waited for; an event not waited for
        for event in log:
            if event == "call":
                running = True
            elif event == "record":
                queued = True
            elif event == "sync":
                running = queued = False
            elif event == "clock" and running:
                return ("a clock is read while calls may still be running on the GPU: only the "
                        "launches are timed; call torch.cuda.synchronize() before reading it")
            elif event == "elapsed" and queued:
                return "elapsed_time read before the end event completed: synchronize it first"
        if "clock" not in log and "elapsed" not in log:
            return "the timer reads no clock and no CUDA events"

    return _run(_name(timer), [
        ("timer_warms_up", timer_warms_up),
        ("timer_synchronises", timer_synchronises),
    ], verbose)


def describe_log(log):
    """A timer's log in short: runs of one event written once with a count ('call x10')."""
    runs = []
    for event in log:
        if runs and runs[-1][0] == event:
            runs[-1][1] += 1
        else:
            runs.append([event, 1])
    return ", ".join(e if n == 1 else f"{e} x{n}" for e, n in runs)


# ------------------------------------------------------------------ the bugs
# Written without comments that give them away: notebook 24 prints them as puzzles.


def attention_no_softmax(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    return scores @ v


def attention_wrong_axis(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, N_q, N_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-2)
    return weights.nan_to_num() @ v


def attention_no_scale(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return masked_softmax(scores) @ v


def attention_mask_inverted(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return masked_softmax(scores) @ v


def attention_nan_on_empty(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def attention_finite_fill(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, -1e9)
    return torch.softmax(scores, dim=-1) @ v


def attention_naive_exp(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    e = scores.exp()
    total = e.sum(-1, keepdim=True)
    return e / total.masked_fill(total == 0, 1.0) @ v


def attention_in_chunks(q, k, v, mask=None, chunk=4):
    outputs = []
    for start in range(0, q.shape[-2], chunk):
        part = slice(start, start + chunk)
        keep = None if mask is None else mask[..., part, part]
        out, _ = scaled_dot_product_attention(q[..., part, :], k[..., part, :], v[..., part, :], keep)
        outputs.append(out)
    return torch.cat(outputs, dim=-2)


def causal_sees_next(q, k, v):
    n = q.shape[-2]
    keep = torch.ones(n, n, dtype=torch.bool).tril(diagonal=1)
    return scaled_dot_product_attention(q, k, v, keep)


def causal_hides_self(q, k, v):
    n = q.shape[-2]
    keep = torch.ones(n, n, dtype=torch.bool).tril(diagonal=-1)
    return scaled_dot_product_attention(q, k, v, keep)


class HeadsByView(MultiHeadAttention):
    def split_heads(self, x):  # (B, N, E) -> (B, H, N, D)
        B, N, _ = x.shape
        return x.view(B, self.num_heads, N, self.head_dim)


class ProjectionsUnused(MultiHeadAttention):
    def forward(self, x):  # x (B, N, E)
        q, k, v = self.split_heads(x), self.split_heads(x), self.split_heads(x)
        out, _ = self.attend(q, k, v)  # (B, H, N, D)
        return self.out_proj(self.merge_heads(out))


class SequenceFirstCall(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.mha = nn.MultiheadAttention(embed_dim, num_heads)

    def forward(self, x):  # x (B, N, E)
        return self.mha(x, x, x)[0]


class ScaleByEmbedDim(MultiHeadAttention):
    def attend(self, q, k, v, mask=None, dropout_p=0.0):  # q, k, v (B, H, N, D)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.embed_dim)
        weights = torch.softmax(scores, dim=-1)
        return weights @ v, weights


class SharedHeadProjection(MultiHeadAttention):
    def __init__(self, embed_dim, num_heads):
        super().__init__(embed_dim, num_heads)
        D = embed_dim // num_heads
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(D, D), nn.Linear(D, D), nn.Linear(D, D)

    def forward(self, x):  # x (B, N, E)
        q = self.q_proj(self.split_heads(x))
        k = self.k_proj(self.split_heads(x))
        v = self.v_proj(self.split_heads(x))
        out, weights = self.attend(q, k, v)
        return self.out_proj(self.merge_heads(out)), weights


class EncoderNoNorm(EncoderBlock):
    def forward(self, x):  # x (B, N, E)
        x = x + self._self_attention(x, None, None)
        return x + self.ff(x)


def attention_pattern(q, k, v):
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    out = weights @ v
    return out


def pooled_attention_pattern(q, k, v):
    sentence = k.mean(-2, keepdim=True)
    scores = q @ sentence.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1)


def timer_no_sync(fn, repeats=10):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def timer_no_warmup(fn, repeats=10):
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


@dataclass
class Bug:
    """A classic bug: its buggy code, the checker that runs it, and the check that catches it."""

    name: str
    subject: str  # "attention", "causal", "multihead", "timer", "heads", "encoder" or "pattern"
    code: object  # the buggy function (for "multihead": the buggy module's class)
    check: str  # the check that should catch it (and be its first failure)
    source: str  # where the bug comes from


BUGS = {b.name: b for b in [
    Bug("no_softmax", "attention", attention_no_softmax, "weights_nonnegative", "seed decks 000, 002"),
    Bug("softmax_wrong_axis", "attention", attention_wrong_axis, "rows_sum_to_one", "course code"),
    Bug("missing_scale", "attention", attention_no_scale, "scale", "seed deck 003"),
    Bug("mask_inverted", "attention", attention_mask_inverted, "masked_keys_ignored", "conventions"),
    Bug("nan_on_empty_row", "attention", attention_nan_on_empty, "empty_rows_no_nan", "notebook 06"),
    Bug("finite_mask_fill", "attention", attention_finite_fill, "empty_rows_zero", "course code"),
    Bug("exp_overflow", "attention", attention_naive_exp, "large_scores_stable", "seed deck 000"),
    Bug("keys_in_chunks", "attention", attention_in_chunks, "matches_reference", "seed deck 002"),
    Bug("causal_sees_next", "causal", causal_sees_next, "no_future_leak", "course code"),
    Bug("causal_hides_self", "causal", causal_hides_self, "sees_itself", "course code"),
    Bug("batch_first_confusion", "multihead", SequenceFirstCall, "batch_independence", "seed deck 004"),
    Bug("heads_by_view", "multihead", HeadsByView, "permutation_equivariance", "course code"),
    Bug("projections_unused", "multihead", ProjectionsUnused, "every_weight_used", "seed deck 003"),
    Bug("timer_no_warmup", "timer", timer_no_warmup, "timer_warms_up", "seed deck 000"),
    Bug("timer_no_sync", "timer", timer_no_sync, "timer_synchronises", "seed deck 000"),
    Bug("scale_by_embed_dim", "heads", ScaleByEmbedDim, "matches_torch", "seed deck 000"),
    Bug("shared_head_proj", "heads", SharedHeadProjection, "heads_see_every_feature", "seed deck 000"),
    Bug("no_layernorm", "encoder", EncoderNoNorm, "output_normalised", "seed deck 004"),
    Bug("output_as_pattern", "pattern", attention_pattern, "pattern_is_weights", "seed deck 000"),
    Bug("pooled_single_key", "pattern", pooled_attention_pattern, "pattern_depends_on_query",
        "seed decks 000, 004"),
]}


def correct_attention(q, k, v, mask=None):
    """attnlib's attention, the fix every attention bug is checked against."""
    return scaled_dot_product_attention(q, k, v, mask)


def correct_causal(q, k, v):
    """attnlib's attention with attnlib's causal mask."""
    return scaled_dot_product_attention(q, k, v, masks.causal(q.shape[-2], k.shape[-2]))


def correct_timer(fn):
    """attnlib.timing.time_cuda: warm-up, CUDA events, synchronize before reading them."""
    from .timing import time_cuda

    return time_cuda(fn, repeats=5).median_s


def correct_pattern(q, k, v):
    """attnlib's attention weights (B, N_q, N_k): what an attention heatmap shows."""
    return scaled_dot_product_attention(q, k, v)[1]


FIXES = {"attention": correct_attention, "causal": correct_causal,
         "multihead": MultiHeadAttention, "timer": correct_timer,
         "heads": MultiHeadAttention, "encoder": EncoderBlock, "pattern": correct_pattern}
CHECKERS = {"attention": check_attention, "causal": check_causal,
            "multihead": check_multihead, "timer": check_gpu_timer,
            "heads": check_heads, "encoder": check_encoder, "pattern": check_pattern}


def check(subject, code, *, verbose=True):
    """Run the checker of `subject` (a key of CHECKERS: "attention", "causal", ...) on code."""
    if subject not in CHECKERS:
        raise ValueError(f"subject must be one of {list(CHECKERS)}, got {subject!r}")
    return CHECKERS[subject](code, verbose=verbose)


def check_names(subject):
    """The names of the checks a subject's checker runs, in order."""
    return [f.check for f in check(subject, FIXES[subject], verbose=False).findings]


def source(name):
    """The source code of a bug's buggy function (or, for a module, of its class)."""
    return inspect.getsource(BUGS[name].code).rstrip()


def table():
    """{bug name: {check name: True if it failed}} for every bug, on its subject's checks."""
    return {name: {f.check: not f.passed for f in check(b.subject, b.code, verbose=False).findings}
            for name, b in BUGS.items()}


# ------------------------------------------------------------------ the explorer

EXPLORER_MASKS = ("none", "causal", "padding")


def bug_weights(name, tokens_x, mask="none", real=None):
    """Self-attention weights (N, N) of a sentence's word vectors x (N, E), for the buggy
    function of bug `name` and for its fix: returns (buggy, fixed, keep or None).

    mask: "none", "causal" or "padding" (the first `real` tokens are real keys; 0 leaves
    every query nothing to attend to). Causal bugs build their own mask and ignore it.
    """
    bug = BUGS[name]
    if bug.subject not in ("attention", "causal"):
        raise ValueError(f"{name} is a {bug.subject} bug: it has no weights to draw")
    x = tokens_x[None]  # (1, N, E): Q = K = X
    n = x.shape[1]
    keep = None
    if bug.subject == "attention" and mask == "causal":
        keep = masks.causal(n)[None]  # (1, N, N)
    elif bug.subject == "attention" and mask == "padding":
        keep = masks.padding([n if real is None else real], n)[:, None, :].expand(1, n, n)
    pair = [weights_of(fn, x, x, keep)[0] for fn in (bug.code, FIXES[bug.subject])]
    return pair[0], pair[1], keep


def bug_explorer(bug="finite_mask_fill", mask="padding", seq_len=9, real=0, text=None):
    """Pick a bug, a length and a mask: buggy and fixed weights side by side, and the check
    that catches the bug. Weights are those of a real sentence's word vectors (Q = K = X)."""
    import ipywidgets as W

    from .data import SENTENCES, embed
    from .widgets import Explorer, Panels

    tokens_all, x_all = embed(text or SENTENCES[2])
    drawable = [n for n, b in BUGS.items() if b.subject in ("attention", "causal")]
    n_max = len(tokens_all)
    reports = {n: check(BUGS[n].subject, BUGS[n].code, verbose=False) for n in drawable}
    controls = {
        "bug": W.Dropdown(options=drawable, value=bug, description="bug"),
        "mask": W.Dropdown(options=EXPLORER_MASKS, value=mask, description="mask"),
        "seq_len": W.IntSlider(value=min(seq_len, n_max), min=1, max=n_max, description="length N",
                               continuous_update=False),
        "real": W.IntSlider(value=real, min=0, max=n_max, description="real tokens",
                            continuous_update=False),
    }

    def draw(bug, mask, seq_len, real):
        buggy, fixed, _ = bug_weights(bug, x_all[:seq_len], mask, min(real, seq_len))
        report = reports[bug]  # the checks' verdict does not depend on the controls
        own = next(f for f in report.findings if f.check == BUGS[bug].check)
        own_mask = BUGS[bug].subject == "causal"
        shown = "its own causal" if own_mask else \
            f"padding ({min(real, seq_len)} real keys)" if mask == "padding" else mask
        # One layout for every setting (the whole sentence's labels, fixed panel titles), so
        # that a redraw only repaints: tokens past N are not in the input and stay blank.
        grid = torch.full((2, n_max, n_max), float("nan"))
        grid[0, :seq_len, :seq_len] = buggy.nan_to_num(0.0)
        grid[1, :seq_len, :seq_len] = fixed
        panels = Panels(grid, tokens_all, tokens_all, ncols=2, panel=3.2,
                        panel_titles=["buggy (left)", "fixed: attnlib (right)"],
                        title=f"{bug}: the first N = {seq_len} tokens, mask = {shown}")
        sums = buggy.sum(-1)
        readout = (f"<b>{own}</b><br>checks failed: {', '.join(report.failed)}<br>"
                   f"buggy weights: min {buggy.min().item():.2f}, max {buggy.max().item():.2f}, "
                   f"row sums {sums.min().item():.2f}..{sums.max().item():.2f}, "
                   f"NaN: {'yes (drawn as 0)' if buggy.isnan().any() else 'none'}")
        return panels, readout

    return Explorer("bugs", controls, draw)
