# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Twenty classic attention bugs as spot-the-bug puzzles; public checks
#       that catch each one (check your own attention in one call); the bug x check
#       table.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/24_bug_clinic.ipynb)

# %% tags=["colab-setup"] slideshow={"slide_type": "skip"}
# Set-up for Google Colab; it does nothing anywhere else.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO, HOME = "https://github.com/attnlib/attention-series", "/content/attention-series"
    if not os.path.isdir(HOME):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPO, HOME], check=True)
    # --no-deps: keep Colab's own torch and ipywidgets (attnlib needs nothing newer).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", HOME], check=True)
    sys.path.insert(0, HOME)
    os.chdir(HOME + "/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()

# %% [markdown] slideshow={"slide_type": "slide"}
# # 24 · Bug clinic: the classic attention bugs and the checks that catch them
#
# Attention code fails quietly. A softmax over the wrong axis, a missing scale or an
# inverted mask still returns a tensor of the right shape, and a model trained on it still
# learns something. The bugs in this notebook all appear in published course code or in
# the slide decks this series started from; each is rewritten here as a short function
# or module.
#
# **In this notebook you will:**
# - read twenty short buggy functions and modules and find each bug before the check
#   names it;
# - meet the properties every correct attention has (rows that are distributions over
#   keys, the $1/\sqrt{D}$ scale, masked keys at zero, causality, independence of batch
#   items) and the checks in `attnlib.bugs` that test them;
# - run those checks on your own implementation in one call, and see in a bug × check
#   table that every bug fails its own check while attnlib's versions pass them all.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The idea: properties that every input must keep
#
# Comparing one output with a reference says *that* something is wrong, not *what*. A
# property says what. For $W = \operatorname{softmax}(QK^\top/\sqrt{D} + M)$, with $M_{ij} = 0$
# where query $i$ may attend to key $j$ and $-\infty$ where not, on any input:
#
# $$W_{ij} \ge 0, \qquad \sum_j W_{ij} = 1 \text{ (a row with an allowed key)}, \qquad
# W_{ij} = 0 \text{ where } M_{ij} = -\infty,$$
#
# $$\log W_{ij} - \log W_{ij'} = \frac{q_i \cdot k_j - q_i \cdot k_{j'}}{\sqrt{D}} \quad
# \text{(both keys allowed)}.$$
#
# attnlib adds one convention: a query with no allowed key gets zero weights and a zero
# output. A causal layer's output $i$ must not depend on inputs $j > i$; a multi-head
# layer must treat batch items independently, commute with a permutation of the tokens,
# and let every weight matrix it has reach the output.
# Each bug below breaks one of these, and one check per property catches it.
#
# ### Reading the weights of any function
#
# A learner's function may return only the output. The weights come out anyway: with the
# values $V = I$ (the $N_k \times N_k$ identity), the output $WV$ *is* $W$.
# `bugs.weights_of(fn, q, k, mask)` does this. On a tiny example (2 queries, 3 keys) it
# gives exactly the weights attnlib returns:

# %% slideshow={"slide_type": "-"}
import torch

from attnlib import bugs, scaled_dot_product_attention

torch.manual_seed(0)
q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # (N_q, D) = (2, 2)
k = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (N_k, D) = (3, 2)
_, w = scaled_dot_product_attention(q, k, torch.randn(3, 2))  # any values: w does not depend on them
read = bugs.weights_of(scaled_dot_product_attention, q, k)
assert torch.equal(read, w)
print(read.numpy().round(3))
print("row sums:", [round(x, 3) for x in read.sum(-1).tolist()])

# %% [markdown] slideshow={"slide_type": "-"}
# The same example through the softmax-over-the-wrong-axis bug (one of the twenty):
# now the *columns* sum to 1 and the rows do not. That is the kind of evidence each check
# reports.

# %% slideshow={"slide_type": "-"}
wrong = bugs.weights_of(bugs.attention_wrong_axis, q, k)
print(wrong.numpy().round(3))
print("row sums:", [round(x, 3) for x in wrong.sum(-1).tolist()],
      " column sums:", [round(x, 3) for x in wrong.sum(0).tolist()])
assert torch.allclose(wrong.sum(0), torch.ones(3)) and not torch.allclose(wrong.sum(-1), torch.ones(2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The checks, on attnlib and on PyTorch
#
# `bugs.check_attention(fn)` runs eight checks on a function `fn(q, k, v, mask=None)` with
# attnlib's mask convention (True = may attend). Its inputs come from its own
# `torch.Generator` ($B = 2$, $N_q = 5$, $N_k = 6$, $D = 16$). It prints one line per check
# and returns a report whose `.failed` lists the checks that failed. attnlib's attention
# and `F.scaled_dot_product_attention` pass all eight:

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F


def torch_sdpa(q, k, v, mask=None):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # bool attn_mask: True = may attend


ours = bugs.check_attention(bugs.correct_attention)
reference = bugs.check_attention(torch_sdpa, verbose=False)
print("F.scaled_dot_product_attention passes every check:", reference.passed)
assert ours.passed and reference.passed

# %% [markdown] slideshow={"slide_type": "-"}
# The other three checkers follow the same pattern: `check_causal(fn)` for a causal
# self-attention `fn(q, k, v)` that masks by itself, `check_multihead(factory)` for a
# batch-first multi-head module built as `factory(E, H)`, and `check_gpu_timer(timer)` for
# a function that times a GPU. attnlib's versions, and `nn.MultiheadAttention` with
# `batch_first=True`, pass:

# %% slideshow={"slide_type": "-"}
from torch import nn

from attnlib import MultiHeadAttention


class TorchMHA(nn.Module):  # nn.MultiheadAttention behind the checker's call, module(x)
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.mha = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x):  # (B, N, E)
        return self.mha(x, x, x)[0]


for report in [bugs.check_causal(bugs.correct_causal, verbose=False),
               bugs.check_multihead(MultiHeadAttention, verbose=False),
               bugs.check_multihead(TorchMHA, verbose=False),
               bugs.check_gpu_timer(bugs.correct_timer, verbose=False)]:
    print(str(report).splitlines()[0])
    assert report.passed

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: the softmax
#
# Each puzzle prints a buggy function. Read it and find the bug before you run the next
# cell, which runs the checker and shows what it reports.
#
# **Bug 1.** An attention function from a slide deck:

# %% slideshow={"slide_type": "-"}
print(bugs.source("no_softmax"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_no_softmax)
assert report.diagnosis == "weights_nonnegative"

# %% [markdown] slideshow={"slide_type": "-"}
# There is no softmax: the scaled scores are used as weights, so some are negative and the
# rows do not sum to 1. The first failed check names the bug; the others follow from it.
#
# **Bug 2.** This one has a softmax:

# %% slideshow={"slide_type": "-"}
print(bugs.source("softmax_wrong_axis"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_wrong_axis)
assert report.diagnosis == "rows_sum_to_one"

# %% [markdown] slideshow={"slide_type": "-"}
# `dim=-2` normalises each key's column over the queries. The scores are
# $(B, N_q, N_k)$, so the softmax belongs on `dim=-1`, the keys.
#
# **Bug 3.** A softmax written out by hand:

# %% slideshow={"slide_type": "-"}
print(bugs.source("exp_overflow"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_naive_exp)
assert report.failed == ["large_scores_stable"]

# %% [markdown] slideshow={"slide_type": "-"}
# On ordinary inputs it equals the softmax, so seven checks pass, including the comparison
# with the reference. With scores in the thousands, $e^{s}$ overflows float32 (past
# $s \approx 88$) and $\infty / \infty$ is NaN. Subtracting the row maximum first changes
# nothing mathematically, $\operatorname{softmax}(s) = \operatorname{softmax}(s - \max s)$,
# and keeps every exponent $\le 0$; `torch.softmax` does it.
#
# **The fix** for all three is attnlib's attention (or `torch.softmax(scores, dim=-1)` on
# scaled scores), which passed every check above.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: the scale
#
# **Bug 4.**

# %% slideshow={"slide_type": "-"}
print(bugs.source("missing_scale"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_no_scale)
assert report.diagnosis == "scale"

# %% [markdown] slideshow={"slide_type": "-"}
# The `scale` check reads the scale the function used from the weights themselves: along a
# row, $\log W_{ij}$ is linear in $q_i \cdot k_j$ with slope $c$, and attention needs
# $c = 1/\sqrt{D}$. Here $c = 1$: no scale. With $D = 16$ the scores are four times too
# large, the softmax saturates and gradients vanish (notebook 02). The same check reports
# $1/D$ when a function divides by $D$, and any other factor by its value.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: masks
#
# **Bug 5.** Which keys does this mask remove?

# %% slideshow={"slide_type": "-"}
print(bugs.source("mask_inverted"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_mask_inverted)
assert report.diagnosis == "masked_keys_ignored"

# %% [markdown] slideshow={"slide_type": "-"}
# It fills where the mask is True: that is PyTorch's block convention
# (`nn.MultiheadAttention`'s `attn_mask`), given an attnlib keep mask, so every query looks
# only at the keys it must not see (notebook 06's converters exist to prevent this).
#
# **Bugs 6 and 7.** Two ways to fill masked scores. Both are right for a query that can
# see at least one key. Compare them on a query that can see none:

# %% slideshow={"slide_type": "-"}
print(bugs.source("nan_on_empty_row"))
print()
print(bugs.source("finite_mask_fill"))

# %% slideshow={"slide_type": "fragment"}
nan_report = bugs.check_attention(bugs.attention_nan_on_empty)
fill_report = bugs.check_attention(bugs.attention_finite_fill)
assert nan_report.diagnosis == "empty_rows_no_nan" and fill_report.failed == ["empty_rows_zero"]

# %% [markdown] slideshow={"slide_type": "-"}
# With $-\infty$, a row with no allowed key is $0/0$: NaN, which spreads to every gradient.
# With $-10^9$, the same row holds $N_k$ equal scores and the softmax makes it **uniform**:
# the query silently averages every value, padding included, as if nothing were masked.
# Course code ships this one (some with $-10^6$). attnlib's convention gives that row zero
# weights; the fix is `attnlib.core.masked_softmax` (notebook 06, exercise 3).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: causal masks
#
# `check_causal(fn)` tests a causal self-attention `fn(q, k, v)` that builds its own mask.
# Its `no_future_leak` check changes keys and values from position $t$ on and requires
# outputs $0..t-1$ not to move, for every $t$.
#
# **Bugs 8 and 9.** Two causal masks, each off by one:

# %% slideshow={"slide_type": "-"}
print(bugs.source("causal_sees_next"))
print()
print(bugs.source("causal_hides_self"))

# %% slideshow={"slide_type": "fragment"}
next_report = bugs.check_causal(bugs.causal_sees_next)
self_report = bugs.check_causal(bugs.causal_hides_self)
assert next_report.diagnosis == "no_future_leak" and self_report.diagnosis == "sees_itself"

# %% [markdown] slideshow={"slide_type": "-"}
# `tril(diagonal=1)` lets query $i$ see key $i + 1$: a language model trained with it reads
# the token it must predict. `tril(diagonal=-1)` hides each query from itself, and query 0
# from everything. The fix, `masks.causal(n)`, is `tril()` with the diagonal kept
# ($j \le i$), and `bugs.correct_causal` passed all three checks above.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: heads and batches
#
# `check_multihead(factory)` builds the module with $E = 16$, $H = 4$ and feeds it
# batch-first input $(B, N, E)$. It checks that batch item 0's output does not move when
# the other items change, that permuting the tokens permutes the output the same way, and
# that every weight matrix of the module gets a gradient.
#
# **Bug 10.** A subclass of attnlib's `MultiHeadAttention` with its own head split:

# %% slideshow={"slide_type": "-"}
print(bugs.source("heads_by_view"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_multihead(bugs.HeadsByView)
assert report.failed == ["permutation_equivariance"]

# %% [markdown] slideshow={"slide_type": "-"}
# `view(B, H, N, D)` reads the $(B, N, E)$ memory in order, so "head 0, token 0" is made
# of the first $D$ features of token 0, "head 0, token 1" of its next $D$ features, and so
# on: positions and heads are mixed, and the result no longer commutes with a permutation
# of the tokens. The fix (attnlib's `split_heads`) is `view(B, N, H, D).transpose(1, 2)`.
# The shapes are right either way, so no error warns you.
#
# Its cousin on the way back does raise (a slide deck ships it): after `transpose`, the
# tensor is no longer contiguous in memory and `view` refuses to merge the heads;
# `reshape`, as in attnlib's `merge_heads`, copies when it must.

# %% slideshow={"slide_type": "-"}
heads = torch.zeros(2, 4, 5, 3)  # (B, H, N, D)
try:
    heads.transpose(1, 2).view(2, 5, 12)  # (B, N, H, D) -> (B, N, E)?
    raised = False
except RuntimeError:
    raised = True
merged = heads.transpose(1, 2).reshape(2, 5, 12)
print("view after transpose raises:", raised, "| reshape gives", tuple(merged.shape))
assert raised

# %% [markdown] slideshow={"slide_type": "-"}
# **Bug 11.** A layer from PyTorch, called on batch-first tensors:

# %% slideshow={"slide_type": "-"}
print(bugs.source("batch_first_confusion"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_multihead(bugs.SequenceFirstCall)
assert report.failed == ["batch_independence"]

# %% [markdown] slideshow={"slide_type": "-"}
# `nn.MultiheadAttention` defaults to `batch_first=False`: it reads $(B, N, E)$ as
# $(N, B, E)$ and attends, at each position, across the batch items. Permuting tokens
# only reorders its "batch", so the second check passes; batch independence catches it.
# The fix: `batch_first=True` (as `TorchMHA` above), or attnlib's `MultiHeadAttention`,
# which is batch-first only.
#
# **Bug 12.** A layer whose projections are all there:

# %% slideshow={"slide_type": "-"}
print(bugs.source("projections_unused"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_multihead(bugs.ProjectionsUnused)
assert report.failed == ["every_weight_used"]

# %% [markdown] slideshow={"slide_type": "-"}
# The projections are defined (by `MultiHeadAttention.__init__`) but `forward` never
# applies $W_Q, W_K, W_V$: every head attends with the raw features, and the query, key
# and value weights never change in training. It runs, has the right shapes and is
# permutation equivariant; only the gradient shows it. The fix applies them:
# `self.split_heads(self.q_proj(x))`, as attnlib's `forward` does. (The check looks at
# weight matrices only: the gradient of a key *bias* is zero in any correct layer, since
# it adds the same $q_i \cdot b$ to a whole row of scores.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: attention in chunks
#
# **Bug 13.** A slide deck's "parallel" attention, which works on a few tokens at a time:

# %% slideshow={"slide_type": "-"}
print(bugs.source("keys_in_chunks"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_attention(bugs.attention_in_chunks)
assert report.failed == ["matches_reference"]

# %% [markdown] slideshow={"slide_type": "-"}
# Each chunk of queries attends only to the same chunk of keys, so query 4 never sees
# keys 0-3. Inside a chunk it is exact attention: weights are a distribution, correctly
# scaled, masks respected, so seven checks pass and only the comparison with the reference
# catches it. The fix: chunk the queries alone and give every chunk all the keys (each
# query's row is independent of the others, so that is exact); splitting the *keys*
# needs the online softmax of notebook 17.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: timing a GPU
#
# A GPU runs kernels **asynchronously**: a call from Python queues work and returns at
# once. A clock read right after the calls measures how fast Python queued them, not how
# long the GPU worked. A timer must make the CPU wait (`torch.cuda.synchronize()`, or
# CUDA events and `event.synchronize()`) before it reads the time, and must warm up first:
# the first call pays one-off costs.
#
# **Bugs 14 and 15.** Two timers:

# %% slideshow={"slide_type": "-"}
print(bugs.source("timer_no_warmup"))
print()
print(bugs.source("timer_no_sync"))

# %% [markdown] slideshow={"slide_type": "-"}
# There may be no GPU here, and a CPU cannot show an asynchronous kernel. So
# `check_gpu_timer` inspects the timer's **code path** instead of timing anything: for
# the length of one call it replaces `torch.cuda.synchronize`, `torch.cuda.Event` and
# Python's clocks by recorders, and logs what the timer does in order. A correct timer
# calls the work before it starts the clock, and puts a `sync` between its last `call`
# and every clock reading. The logs, in short:

# %% slideshow={"slide_type": "-"}
for timer in (bugs.timer_no_warmup, bugs.timer_no_sync, bugs.correct_timer):
    log = bugs.describe_log(bugs.timer_log(timer))
    print(f"{timer.__name__:>16}: {log[:90]}{' ...' if len(log) > 90 else ''}")

# %% slideshow={"slide_type": "fragment"}
warm_report = bugs.check_gpu_timer(bugs.timer_no_warmup)
sync_report = bugs.check_gpu_timer(bugs.timer_no_sync)
assert warm_report.failed == ["timer_warms_up"] and sync_report.failed == ["timer_synchronises"]

# %% [markdown] slideshow={"slide_type": "-"}
# The fix is `attnlib.timing.time_cuda` (`bugs.correct_timer` wraps it): three warm-up
# calls, a `synchronize`, then each reading between two CUDA events that are themselves
# synchronised before `elapsed_time` is read. These logs show what a timer does, not how
# long anything takes. On a GPU, the next cell measures the same matrix product with the
# buggy timer and with `time_cuda`; here it says it was skipped.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

if not torch.cuda.is_available():
    print("No GPU: the measured comparison of the two timers is skipped")
else:
    a = torch.randn(4096, 4096, device="cuda")
    product = lambda: a @ a  # noqa: E731
    print(f"without synchronize: {bugs.timer_no_sync(product) * 1e3:.3f} ms per call")
    print(f"attnlib.timing.time_cuda: {timing.time_cuda(product).median_s * 1e3:.3f} ms per call")
    print(f"on {timing.describe_device('cuda')}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Spot the bug: inside the layer, and the heatmap
#
# Three more checkers. `check_heads(factory)` takes a module in `MultiHeadAttention`'s
# layout (`q_proj`, `k_proj`, `v_proj`, `out_proj`) that returns the output and the
# weights of each head. It checks that head $h$'s weights move when only the features
# outside its block of $D$ change, then copies in the weights of a seeded
# `nn.MultiheadAttention` and compares the two. `check_encoder(factory)` checks that a
# fresh post-norm block's output tokens have mean 0 and variance 1 over their features,
# then compares it with `nn.TransformerEncoderLayer` the same way. `check_pattern(fn)`
# takes the matrix a function returns for an attention heatmap.
#
# **Bug 16.** A multi-head layer; the checks build it with $E = 16$, $H = 4$, so $D = 4$:

# %% slideshow={"slide_type": "-"}
print(bugs.source("scale_by_embed_dim"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_heads(bugs.ScaleByEmbedDim)
assert report.failed == ["matches_torch"]

# %% [markdown] slideshow={"slide_type": "-"}
# A head's score $q \cdot k$ is a sum over its $D$ features, so its scale is
# $1/\sqrt{D}$; `embed_dim` is $E = HD$. With the reference's weights copied in, the
# buggy log-weights are the reference's scores times $\sqrt{D/E} = 0.5$ along every row:
# the softmax runs at twice the temperature. The fix divides by
# `math.sqrt(self.head_dim)`, as attnlib's `attend` does.
#
# **Bug 17.** Projections of another size:

# %% slideshow={"slide_type": "-"}
print(bugs.source("shared_head_proj"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_heads(bugs.SharedHeadProjection)
assert report.diagnosis == "heads_see_every_feature"
assert bugs.check_multihead(bugs.SharedHeadProjection, verbose=False).passed
assert bugs.check_multihead(bugs.ScaleByEmbedDim, verbose=False).passed

# %% [markdown] slideshow={"slide_type": "-"}
# The projections are `Linear(D, D)`, applied after the split: every head projects only
# its own $D$ features of the token, all with the same $W_Q, W_K, W_V$. Head 0's weights
# did not move when the other $E - D$ features changed. Its weights cannot even be copied
# from `nn.MultiheadAttention` (the second check raised). Both bugs 16 and 17 pass all
# three checks of `check_multihead` (the asserts above). The fix: `Linear(E, E)` before
# the split, as attnlib's `forward`.
#
# **Bug 18.** An encoder block:

# %% slideshow={"slide_type": "-"}
print(bugs.source("no_layernorm"))

# %% slideshow={"slide_type": "fragment"}
report = bugs.check_encoder(bugs.EncoderNoNorm)
assert report.diagnosis == "output_normalised" and bugs.check_encoder(bugs.EncoderBlock, verbose=False).passed

# %% [markdown] slideshow={"slide_type": "-"}
# The residuals are there; the LayerNorms are defined (by `EncoderBlock.__init__`) but
# never applied, so the output tokens keep the scale of the input plus both branches,
# far from mean 0 and variance 1. The fix, the post-norm block of the original paper
# (attnlib's `EncoderBlock`), passes both checks:
# `x = self.norm1(x + attention(x))`, then `x = self.norm2(x + self.ff(x))`.
#
# **Bugs 19 and 20.** Two functions whose result a notebook plots as "the attention
# pattern":

# %% slideshow={"slide_type": "-"}
print(bugs.source("output_as_pattern"))
print()
print(bugs.source("pooled_single_key"))

# %% slideshow={"slide_type": "fragment"}
output_report = bugs.check_pattern(bugs.attention_pattern)
pooled_report = bugs.check_pattern(bugs.pooled_attention_pattern)
assert output_report.diagnosis == "pattern_is_weights" and pooled_report.diagnosis == "pattern_depends_on_query"

# %% [markdown] slideshow={"slide_type": "-"}
# Bug 19 returns `out`, of shape $(B, N_q, D)$: tokens × features. A heatmap of it looks
# as plausible as one of the weights, with features where the keys should be. Bug 20
# pools the sentence into one vector and attends to it: one key, so each row is
# $\operatorname{softmax}$ of one score, a single weight 1 (entropy 0), and the pattern
# did not change when the queries did. The fix, `bugs.correct_pattern`, returns the
# weights $(B, N_q, N_k)$ over every key.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The bug × check table
#
# Every bug against every check of its own checker: `X` where the check fails, `.` where it
# passes, and `[X]` on the check each bug should fail. The fixes pass every check.

# %% slideshow={"slide_type": "-"}
table = bugs.table()
for subject in bugs.CHECKERS:
    names = bugs.check_names(subject)
    print(f"{subject} checks: " + ", ".join(f"{i} {n}" for i, n in enumerate(names)))
    print(f"  {'bug / check':<22}" + "".join(f" {i} " for i in range(len(names))))
    for name, bug in bugs.BUGS.items():
        if bug.subject == subject:
            marks = [("[X]" if check == bug.check else " X ") if table[name][check]
                     else ("[.]" if check == bug.check else " . ") for check in names]
            print(f"  {name:<22}" + "".join(marks))
    fix = bugs.check(subject, bugs.FIXES[subject], verbose=False)
    print(f"  {'fix (attnlib)':<22}" + "".join(" . " if f.passed else " X " for f in fix.findings))

# %% [markdown] slideshow={"slide_type": "-"}
# Every `[X]` sits on the bug's own check, and no bug fails an earlier check than its
# own: the first failure, the report's `diagnosis`, names the bug. The other `X`s are
# consequences (weights that are not a distribution cannot show a scale, and differ from
# the reference). The claims of the table, as asserts:

# %% slideshow={"slide_type": "-"}
for name, bug in bugs.BUGS.items():
    report = bugs.check(bug.subject, bug.code, verbose=False)
    assert bug.check in report.failed and report.diagnosis == bug.check, name
for subject, fix in bugs.FIXES.items():
    assert bugs.check(subject, fix, verbose=False).passed, subject
print(f"{len(bugs.BUGS)} bugs, each caught by its own check first; {len(bugs.FIXES)} fixes pass all")

# %% [markdown] slideshow={"slide_type": "-"}
# The last attention check compares with the reference on ordinary inputs: masked rows
# with at least one allowed key, moderate scores. It is the only check bug 13 fails, and
# three other bugs pass it: a comparison with a reference alone would have missed them.
# Only an input built for the property (an empty row, large scores) shows them.

# %% slideshow={"slide_type": "-"}
missed = [n for n, b in bugs.BUGS.items() if b.subject == "attention" and not table[n]["matches_reference"]]
print("bugs that match the reference on ordinary inputs:", missed)
assert missed == ["nan_on_empty_row", "finite_mask_fill", "exp_overflow"]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check your own attention
#
# Write attention any way you like and hand it to the checker. Here is one with
# `torch.einsum`, masks included; it passes every check, and `report.failed` is the list
# to assert on in your own tests.

# %% slideshow={"slide_type": "-"}
import math

from attnlib.core import masked_softmax


def einsum_attention(q, k, v, mask=None):
    scores = torch.einsum("bqd,bkd->bqk", q, k) / math.sqrt(q.shape[-1])  # (B, N_q, N_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.einsum("bqk,bkd->bqd", masked_softmax(scores), v)  # (B, N_q, D)


report = bugs.check_attention(einsum_attention)
assert report.failed == []

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: buggy and fixed weights side by side
#
# Choose a bug, a length and a mask. The left panel shows the buggy function's weights,
# the right panel attnlib's, for the word vectors of a real sentence ($Q = K = X$); the
# readout gives the bug's own check line and every check it fails. Try `finite_mask_fill`
# with the padding mask and 0 real tokens (every row uniform on the left, empty on the
# right), `softmax_wrong_axis` with any mask (columns, not rows, sum to 1), and the two
# causal bugs (their own mask; the mask control does not apply to them). Weights are
# drawn on a 0-1 scale; NaN is drawn as 0 and reported in the readout; tokens past the
# length N are not part of the input and stay blank.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
bug_explorer = bugs.bug_explorer(bug="finite_mask_fill", mask="padding", real=0)
bug_explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost of checking
#
# The eight attention checks call the function under test once each, on small inputs
# (the causal checks call it seven times). On your device:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
for label, subject, code in [("check_attention(attnlib)", "attention", bugs.correct_attention),
                             ("check_multihead(MultiHeadAttention)", "multihead", MultiHeadAttention),
                             (f"bugs.table(): all {len(bugs.BUGS)} bugs", None, None)]:
    run = bugs.table if subject is None else (lambda s=subject, c=code: bugs.check(s, c, verbose=False))
    print(f"{label:<38} {timing.time_fn(run, device='cpu', min_run_time=0.2)}")

# %% [markdown] slideshow={"slide_type": "-"}
# In the stored output (a shared CPU with 2 threads) a full run of the attention checks
# took milliseconds: cheap enough to put in a unit test of your own code.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Attention has properties that hold on every input: weights $\ge 0$, rows that sum to 1
#   over the keys, the scale $1/\sqrt{D}$ (readable from the weights), zero weight on
#   masked keys, zeros for a query with nothing to see, causality, independence of batch
#   items, equivariance under a permutation of the tokens, a gradient for every weight.
# - Each of the twenty bugs breaks one of them, and the check for that property fails
#   first (the table above).
# - Inside a layer: the scale is $1/\sqrt{D}$ of a head, not $1/\sqrt{E}$; every head
#   projects the whole token; a post-norm block normalises its output. A heatmap must show
#   the weights $(N_q, N_k)$ over more than one key. The comparisons with
#   `nn.MultiheadAttention` and `nn.TransformerEncoderLayer` (weights copied) and the
#   property checks catch these; `check_multihead` alone passed two of them. The weights of any function are its output for $V = I$.
# - A comparison with a reference on ordinary inputs missed three of the bugs; inputs
#   built for a property (an empty row, large scores) caught them.
# - Masking with $-10^9$ makes a row with no allowed key uniform; with $-\infty$ and a
#   plain softmax it is NaN; attnlib gives it zeros.
# - Timing a GPU needs a warm-up and a synchronisation before every clock reading. On a
#   CPU, `check_gpu_timer` checks a timer's code path, not a time.
# - `bugs.check_attention(fn)`, `check_causal`, `check_multihead` and `check_gpu_timer`
#   check your own code in one call each.
#
# ## Exercises
#
# Worked solutions are in `solutions/24_bug_clinic.py`: try first.
#
# **Exercise 1.** Fix bug 2. Write `fixed_attention(q, k, v, mask=None)` (mask True = may
# attend; a query with no allowed key gets a zero output). The check runs all eight
# attention checks on it.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb24


def fixed_attention(q, k, v, mask=None):
    raise NotImplementedError


ok = nb24.check_fixed_attention(fixed_attention)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Fix bugs 8 and 9. Write `fixed_causal(q, k, v)`: causal self-attention,
# $q, k, v$ of shape $(B, N, D)$, where query $i$ sees keys $0..i$. Build the mask
# yourself (no `attnlib.masks`).

# %% slideshow={"slide_type": "-"}
def fixed_causal(q, k, v):
    raise NotImplementedError


ok = nb24.check_fixed_causal(fixed_causal)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Fix bug 10. Write `fixed_split_heads(x, num_heads)`: $(B, N, E) \to
# (B, H, N, D)$ with $D = E / H$, where head $h$ of token $n$ holds features
# $hD .. (h+1)D - 1$ of token $n$.

# %% slideshow={"slide_type": "-"}
def fixed_split_heads(x, num_heads):
    raise NotImplementedError


ok = nb24.check_fixed_split_heads(fixed_split_heads)
