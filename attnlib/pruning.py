"""Pruning attention heads (notebook 21): gates, importance, and heads removed for real.

A multi-head layer concatenates its H head outputs o_h (B, N, D) and projects them,
out = sum_h o_h W_o[:, hD:(h+1)D]^T + b_o, so multiplying o_h by a gate g_h scales head h's
contribution, and g_h = 0 removes it. This module gates every self-attention layer of a
stack of attnlib EncoderBlocks (e.g. attnlib.models.TinyEncoder) with a forward pre-hook
on each out_proj (the model's code is untouched), measures how much each head matters,
and builds smaller layers without the removed heads:

    train_sorter(seed)            the notebook's model: a TinyEncoder sorting digits 0-3
    head_gates(model, gates)      context manager: gates (L, H) or per example (B, L, H)
    gated_logits(model, x, gates) the model's logits with heads gated
    ablation_importance(...)      loss and accuracy lost when one head at a time is off
    gate_gradients(...)           |d loss / d gate| per example, averaged (Michel et al., 2019)
    removal_curve(...)            accuracy as heads are removed one by one in a given order
    magnitude_prune(model, count) the same model with its `count` smallest attention weights zeroed
    prune_heads(attn, keep)       a PrunedAttention without the other heads' rows and columns
    prune_model_heads(model, keep) a copy of the model whose layers keep only `keep`

Notation: B batch, N sequence length, E model width, L layers, H heads, D = E // H.
"""

import copy
import random
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from .data import sort_task
from .models import TinyEncoder
from .multihead import MultiHeadAttention
from .train import fit, sort_loss

VOCAB, N, WIDTH, HEADS, LAYERS, FF = 4, 8, 64, 4, 2, 128
"""Notebook 21's sorter: 8 digits from 0-3, E = 64, 4 heads of D = 16, 2 layers."""


def train_sorter(seed=0, steps=400, lr=3e-3, batch=64, progress=True):
    """A TinyEncoder (2 layers, 4 heads) trained with attnlib.train.fit to sort 8 digits
    0-3 (data.sort_task); returns (model, losses)."""
    torch.manual_seed(seed)
    model = TinyEncoder(vocab=VOCAB, n=N, embed_dim=WIDTH, num_heads=HEADS, num_layers=LAYERS, ff_dim=FF)
    return fit(model, lambda g: sort_task(batch, N, VOCAB, generator=g), sort_loss, steps, lr, seed, progress)


def held_out(batch=500, seed=1):
    """Held-out sequences for the sorter: x (B, N) digits 0-3, target (B, N) sorted."""
    return sort_task(batch, N, VOCAB, generator=torch.Generator().manual_seed(seed))


def _blocks(model):
    blocks = getattr(model, "blocks", None)
    if blocks is None:
        raise TypeError(f"model must have .blocks (a list of EncoderBlocks), got {type(model).__name__}")
    return list(blocks)


def _check_gates(model, gates):
    blocks = _blocks(model)
    L, H = len(blocks), blocks[0].self_attn.num_heads
    if any(block.self_attn.num_heads != H for block in blocks):
        raise ValueError("gates need every layer to have the same number of heads: got "
                         f"{[block.self_attn.num_heads for block in blocks]} (a pruned model?)")
    if not isinstance(gates, torch.Tensor) or gates.dim() not in (2, 3) or tuple(gates.shape[-2:]) != (L, H):
        shape = tuple(gates.shape) if isinstance(gates, torch.Tensor) else type(gates).__name__
        raise ValueError(f"gates must be a tensor of shape (L, H) = ({L}, {H}) or (B, {L}, {H}), got {shape}")
    return blocks


@contextmanager
def head_gates(model, gates):
    """Inside the block, head h of layer l is multiplied by gates[l, h] (or gates[b, l, h]
    for example b) before the output projection. gates (L, H) or (B, L, H); may require grad."""
    blocks = _check_gates(model, gates)
    handles = []
    for layer, block in enumerate(blocks):
        attn = block.self_attn

        def scale(module, inputs, layer=layer, attn=attn):
            merged = inputs[0]  # (B, N, H*D): the heads' outputs side by side
            B, N, _ = merged.shape
            g = gates[..., layer, :]  # (H,) or (B, H)
            g = g[None, None, :, None] if g.dim() == 1 else g[:, None, :, None]  # (B or 1, 1, H, 1)
            heads = merged.view(B, N, attn.num_heads, attn.head_dim) * g  # (B, N, H, D)
            return (heads.reshape(B, N, -1),)

        handles.append(attn.out_proj.register_forward_pre_hook(scale))
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()


def gated_logits(model, x, gates):
    """model(x)'s logits with heads gated; x (B, N) ids, gates (L, H) or (B, L, H)."""
    with head_gates(model, gates):
        return model(x)[0]  # (B, N, V)


def scores(model, x, target, gates=None):
    """(mean cross-entropy, accuracy) of model on x (B, N) against target (B, N), as floats."""
    with torch.no_grad():
        logits = model(x)[0] if gates is None else gated_logits(model, x, gates)  # (B, N, V)
    loss = F.cross_entropy(logits.flatten(0, 1), target.flatten()).item()
    return loss, (logits.argmax(-1) == target).float().mean().item()


def ablation_importance(model, x, target):
    """Switch off one head at a time. Returns (loss increase (L, H), accuracy drop (L, H))
    against the full model on x (B, N), target (B, N)."""
    blocks = _blocks(model)
    L, H = len(blocks), blocks[0].num_heads
    base_loss, base_acc = scores(model, x, target)
    loss_up, acc_drop = torch.zeros(L, H), torch.zeros(L, H)
    for layer in range(L):
        for head in range(H):
            gates = torch.ones(L, H)
            gates[layer, head] = 0.0
            loss, acc = scores(model, x, target, gates)
            loss_up[layer, head], acc_drop[layer, head] = loss - base_loss, base_acc - acc
    return loss_up, acc_drop


def gate_gradients(model, x, target):
    """Michel et al.'s proxy: the mean over examples of |d loss_b / d g_{l,h}| at g = 1,
    loss_b the mean cross-entropy of example b. One backward pass with one gate per
    example: (B, L, H) gates make each example's gradient its own. Returns (L, H)."""
    blocks = _blocks(model)
    gates = torch.ones(x.shape[0], len(blocks), blocks[0].num_heads, requires_grad=True)  # (B, L, H)
    with torch.enable_grad():
        logits = gated_logits(model, x, gates)  # (B, N, V)
        per_example = F.cross_entropy(logits.transpose(1, 2), target, reduction="none").mean(-1)  # (B,)
        (grad,) = torch.autograd.grad(per_example.sum(), gates)  # (B, L, H)
    return grad.abs().mean(0)  # (L, H)


def order(importance, how, seed=0):
    """The (layer, head) pairs in removal order: "least" important first, "most" first,
    or "random" (seeded). importance (L, H)."""
    pairs = [(layer, head) for layer in range(importance.shape[0]) for head in range(importance.shape[1])]
    if how == "random":
        random.Random(seed).shuffle(pairs)
        return pairs
    if how not in ("least", "most"):
        raise ValueError(f'how must be "least", "most" or "random", got {how!r}')
    ranked = sorted(pairs, key=lambda p: importance[p].item())  # stable: ties keep their order
    return ranked if how == "least" else ranked[::-1]


def removal_curve(model, x, target, pairs):
    """Accuracy with 0, 1, ..., len(pairs) heads removed, in the order of `pairs`."""
    blocks = _blocks(model)
    gates = torch.ones(len(blocks), blocks[0].num_heads)
    curve = [scores(model, x, target, gates)[1]]
    for pair in pairs:
        gates[pair] = 0.0
        curve.append(scores(model, x, target, gates)[1])
    return curve


def heads_removable(curve, tolerance=0.01):
    """How many heads come off, in the curve's order, before accuracy falls more than
    `tolerance` below the full model's: the length of the first run within it."""
    count = 0
    for acc in curve[1:]:
        if curve[0] - acc >= tolerance:
            break
        count += 1
    return count


def attention_weights(model):
    """The q/k/v/out projection weights (not biases) of every self-attention layer."""
    return [getattr(block.self_attn, name).weight for block in _blocks(model)
            for name in ("q_proj", "k_proj", "v_proj", "out_proj")]


def head_parameters(attn):
    """Parameters one head holds in a MultiHeadAttention: D rows (and biases) of q, k, v,
    and D columns of out_proj: 4 D E + 3 D (with biases)."""
    D, E = attn.head_dim, attn.embed_dim
    return 4 * D * E + (3 * D if attn.q_proj.bias is not None else 0)


def magnitude_prune(model, count):
    """A copy of model whose `count` smallest-magnitude attention projection weights (over
    all layers together) are set to 0."""
    pruned = copy.deepcopy(model)
    weights = attention_weights(pruned)
    if count <= 0:
        return pruned
    flat = torch.cat([w.detach().abs().flatten() for w in weights])
    if count > flat.numel():
        raise ValueError(f"count must be at most {flat.numel()} (the attention weights), got {count}")
    smallest = flat.argsort(stable=True)[:count]  # ties: the earlier weight goes first
    drop = torch.zeros(flat.numel(), dtype=torch.bool)
    drop[smallest] = True
    with torch.no_grad():
        for w, d in zip(weights, drop.split([w.numel() for w in weights])):
            w[d.view_as(w)] = 0.0
    return pruned


class PrunedAttention(MultiHeadAttention):
    """A MultiHeadAttention with H' heads of width D whose inner width H' D need not be E:
    q/k/v project E -> H' D, out_proj H' D -> E. Same forward (masks, fast path); `kept`
    names the original layer's heads it holds, of `original_heads`."""

    def __init__(self, embed_dim, num_heads, head_dim, *, bias=True, dropout=0.0, kept=None,
                 original_heads=None):
        super().__init__(embed_dim, 1, bias=bias, dropout=dropout)
        if num_heads < 1:
            raise ValueError(f"num_heads must keep at least one head, got {num_heads}")
        self.num_heads, self.head_dim = num_heads, head_dim
        self.kept = list(range(num_heads)) if kept is None else list(kept)  # original indices
        self.original_heads = num_heads if original_heads is None else original_heads
        inner = num_heads * head_dim
        self.q_proj = nn.Linear(embed_dim, inner, bias=bias)
        self.k_proj = nn.Linear(embed_dim, inner, bias=bias)
        self.v_proj = nn.Linear(embed_dim, inner, bias=bias)
        self.out_proj = nn.Linear(inner, embed_dim, bias=bias)

    def forward(self, *args, **kwargs):
        """As MultiHeadAttention.forward. The weights (B, H_0, N_q, N_k) come back in the
        original layer's H_0 head slots, zeros for removed heads, so that the weights of
        layers that lost different heads still stack (TinyEncoder stacks them)."""
        out, weights = super().forward(*args, **kwargs)
        if weights is not None:
            B, _, N_q, N_k = weights.shape
            full = weights.new_zeros(B, self.original_heads, N_q, N_k)  # (B, H_0, N_q, N_k)
            full[:, self.kept] = weights
            weights = full
        return out, weights

    def merge_heads(self, x):
        """(B, H', N, D) -> (B, N, H' D)"""
        B, _, N, _ = x.shape
        return x.transpose(1, 2).reshape(B, N, self.num_heads * self.head_dim)

    def to_torch(self):
        raise NotImplementedError("nn.MultiheadAttention needs H * D = E: a pruned layer has no equivalent")


def head_rows(keep, head_dim):
    """The row indices (of q/k/v weights) or column indices (of out_proj) of heads `keep`."""
    return torch.cat([torch.arange(h * head_dim, (h + 1) * head_dim) for h in keep])


def prune_heads(attn, keep):
    """A PrunedAttention holding only heads `keep` (a list of head indices) of `attn`, a
    MultiHeadAttention: their rows of q/k/v and their columns of out_proj, copied."""
    H = attn.num_heads
    keep = sorted(set(int(h) for h in keep))
    if not keep or keep[0] < 0 or keep[-1] >= H:
        raise ValueError(f"keep must name at least one head among 0..{H - 1}, got {keep}")
    bias = attn.q_proj.bias is not None
    small = PrunedAttention(attn.embed_dim, len(keep), attn.head_dim, bias=bias, dropout=attn.dropout,
                            kept=keep, original_heads=H)
    small.to(device=attn.out_proj.weight.device, dtype=attn.out_proj.weight.dtype)
    rows = head_rows(keep, attn.head_dim)  # (H' D,)
    with torch.no_grad():
        for name in ("q_proj", "k_proj", "v_proj"):
            getattr(small, name).weight.copy_(getattr(attn, name).weight[rows])  # (H' D, E)
            if bias:
                getattr(small, name).bias.copy_(getattr(attn, name).bias[rows])
        small.out_proj.weight.copy_(attn.out_proj.weight[:, rows])  # (E, H' D)
        if bias:
            small.out_proj.bias.copy_(attn.out_proj.bias)
    return small.train(attn.training)


def prune_model_heads(model, keep):
    """A copy of model whose layer l keeps heads keep[l] only (smaller projections)."""
    blocks = _blocks(model)
    if len(keep) != len(blocks):
        raise ValueError(f"keep must list the heads kept in each of the {len(blocks)} layers, got {len(keep)} lists")
    pruned = copy.deepcopy(model)
    for block, heads in zip(pruned.blocks, keep):
        block.self_attn = prune_heads(block.self_attn, heads)
    return pruned


def keep_from_gates(gates):
    """gates (L, H) of 0s and 1s -> the heads kept in each layer, as lists."""
    return [[h for h in range(gates.shape[1]) if gates[layer, h] != 0] for layer in range(gates.shape[0])]


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())


def gates_explorer(model, x, target, example):
    """An Explorer with one checkbox per head (ticked = on): it redraws the held-out
    accuracy of the gated model on x, target and every head's map on `example`, a list
    of N digits (rows labelled with the sorted digits, the right answer). A head that is
    off is drawn blank. Each redraw runs the model on x: a few hundred sequences keep it
    under 100 ms."""
    import ipywidgets as W

    from .widgets import Explorer, Panels

    blocks = _blocks(model)
    L, H = len(blocks), blocks[0].num_heads
    names = [f"l{layer}h{head}" for layer in range(L) for head in range(H)]
    controls = {n: W.Checkbox(value=True, description=f"layer {n[1]}, head {n[3]}", indent=False)
                for n in names}
    ids = torch.tensor([example])  # (1, N)
    labels = [str(d) for d in example]
    rows = [f"->{d}" for d in sorted(example)]  # the right answer at each output position
    titles = [f"layer {n[1]}, head {n[3]}" for n in names]
    full_loss, full_acc = scores(model, x, target)

    both = torch.cat([ids, x])  # (1 + B, N): the example first, then the held-out sequences

    def draw(**on):
        gates = torch.tensor([float(on[n]) for n in names]).view(L, H)
        with head_gates(model, gates):
            logits, weights = model(both)  # (1 + B, N, V), (1 + B, L, H, N, N): one forward
        loss = F.cross_entropy(logits[1:].flatten(0, 1), target.flatten()).item()
        acc = (logits[1:].argmax(-1) == target).float().mean().item()
        shown = weights[0] * gates[:, :, None, None]  # (L, H, N, N): heads that are off blank
        out = " ".join(str(d) for d in logits[0].argmax(-1).tolist())
        off = [f"L{n[1]} H{n[3]}" for n in names if not on[n]]
        panels = Panels(shown.flatten(0, 1), labels, rows, panel_titles=titles, ncols=H, panel=2.0,
                        title=f"{L * H - len(off)} of {L * H} heads on (off heads blank)")
        right = out == " ".join(str(d) for d in sorted(example))
        readout = (f"<b>held-out accuracy {acc:.3f}</b> (all heads: {full_acc:.3f}), loss {loss:.3f} "
                   f"(all heads: {full_loss:.3f}) | off: {', '.join(off) or 'none'} | "
                   f"output on the example: {out} ({'right' if right else 'wrong'})")
        return panels, readout

    return Explorer("pruning", controls, draw, height="560px", remember=64)
