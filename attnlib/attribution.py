"""Reading attention (notebook 23): what a map says, and what the model really used.

Attention maps of a trained model, read five ways, each giving one score per input token
for an output position:

    raw           the weights of one layer and head (Reader returns them with the output)
    rollout       the layers' head-averaged maps with the residual, multiplied (Abnar & Zuidema 2020)
    flow          the maximum flow through the same graph of layers (Abnar & Zuidema 2020)
    occlusion     replace one token by another and measure how far the output moves
    grad x input  the gradient of the predicted logit times the token's embedding

and entropy_per_head (from attnlib.analysis.entropy). Occlusion is the ground truth: it
asks the model itself. Two synthetic tasks train a small `Reader` in seconds:
induction_task (a random sequence, then its repeat: a causal model learns an induction
head) and marker_task (the answer is the token after a marker, read at a class token).
Reader(..., sink=) plants an attention sink on purpose: a raw map that misleads.

Notation: B batch, L layers, H heads, N tokens, E model width, V vocabulary.
"""

import torch
import torch.nn.functional as F
from torch import nn

from . import masks
from .analysis import entropy
from .multihead import MultiHeadAttention
from .train import fit, one_thread_deterministic

CLS, MARKER = 0, 1  # reserved ids; ordinary tokens start at FIRST
FIRST = 2


def _check_ids(name, ids, vocab):
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"{name} must be a (B, N) long tensor, got "
                         f"{getattr(ids, 'dtype', type(ids).__name__)} of shape {tuple(getattr(ids, 'shape', ()))}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab):
        raise ValueError(f"{name} must hold ids in [0, {vocab}), got {ids.min().item()}..{ids.max().item()}")


def _check_maps(name, maps):
    """maps: (L, H, N, N) or (L, N, N), rows of attention weights."""
    if not isinstance(maps, torch.Tensor) or maps.dim() not in (3, 4) or maps.shape[-1] != maps.shape[-2]:
        raise ValueError(f"{name} must be (L, H, N, N) or (L, N, N) attention maps, "
                         f"got shape {tuple(getattr(maps, 'shape', ()))}")


# ---------------------------------------------------------------- the tasks


def induction_task(batch, generator, vocab=24, n=16, min_len=3, max_len=6):
    """A random sequence of distinct tokens, then its repeat, at a random offset.

    Each row: `offset` random tokens, a segment of L random tokens (min_len <= L <= max_len),
    the same segment again, then random tokens to fill N. All tokens but the repeat are
    distinct, so each repeated token has exactly one previous occurrence. Returns ids (B, N),
    targets (B, N): the next token at the positions of the repeat where induction predicts
    it, -100 elsewhere; source (B, N): the copy source (the position after the previous
    occurrence of the token), -1 where there is none to copy.
    """
    length = torch.randint(min_len, max_len + 1, (batch, 1), generator=generator)  # (B, 1)
    offset = (torch.rand(batch, 1, generator=generator) * (n - 2 * length + 1)).long()  # (B, 1)
    tokens = FIRST + torch.rand(batch, vocab - FIRST, generator=generator).argsort(-1)  # (B, V - FIRST)
    p = torch.arange(n)[None, :]  # (1, N)
    second = offset + length  # (B, 1): where the repeat starts
    ids = tokens.gather(1, p - length * (p >= second))  # (B, N): the repeat re-reads the segment
    copies = (p >= second) & (p < second + length - 1)  # (B, N): the repeat's last token has no next
    source = torch.where(copies, p - length + 1, -1)  # (B, N)
    targets = torch.where(copies, ids.roll(-1, 1), -100)  # (B, N)
    return ids, targets, source


def marker_task(batch, generator, vocab=24, n=12):
    """[CLS] then N - 1 random tokens, one of them the MARKER; the answer is the token after it.

    Returns ids (B, N), the answer ids (B,) and the answer positions (B,). The marker sits
    anywhere from position 1 to N - 2, so the answer is at 2..N - 1.
    """
    ids = FIRST + torch.randint(0, vocab - FIRST, (batch, n), generator=generator)
    ids[:, 0] = CLS
    marker = torch.randint(1, n - 1, (batch,), generator=generator)  # (B,)
    rows = torch.arange(batch)
    ids[rows, marker] = MARKER
    return ids, ids[rows, marker + 1], marker + 1


# ---------------------------------------------------------------- the model


class Reader(nn.Module):
    """A small attention-only transformer: embeddings + learned positions, L pre-LN attention
    layers with residuals, a final LayerNorm and a linear read-out at every position.

    forward(ids) -> (logits (B, N, out), maps (B, L, H, N, N)). causal=True lets token i
    attend to tokens 0..i only. forward(embeds=...) takes the token embeddings (B, N, E)
    instead of ids (gradient x input needs them).
    """

    def __init__(self, vocab, n, dim=32, heads=2, layers=2, out=None, causal=False):
        super().__init__()
        self.vocab, self.n, self.causal = vocab, n, causal
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(n, dim)
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(layers))
        self.attns = nn.ModuleList(MultiHeadAttention(dim, heads) for _ in range(layers))
        self.out_norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, out or vocab)

    def forward(self, ids=None, *, embeds=None, sink=None):
        """ids (B, N) or embeds (B, N, E) -> (logits (B, N, out), maps (B, L, H, N, N)).

        sink (B,) positions, optional: an edit made on purpose, a planted attention sink. In
        layer 0 the query at position 0 gets SINK_BOOST added to its score for the sink
        token (so it looks there), and the sink's value is zeroed (so it passes nothing on).
        """
        if embeds is None:
            _check_ids("ids", ids, self.vocab)
            embeds = self.embed(ids)  # (B, N, E)
        B, N, _ = embeds.shape
        if N > self.n:
            raise ValueError(f"the model has {self.n} positions, got N = {N}")
        x = embeds + self.pos.weight[:N]  # (B, N, E)
        mask = masks.causal(N, device=x.device) if self.causal else None
        maps = []
        for layer, (norm, attn) in enumerate(zip(self.norms, self.attns)):
            h, w = attend(attn, norm(x), mask, sink if layer == 0 else None)  # (B, N, E), (B, H, N, N)
            x = x + h
            maps.append(w)
        return self.out(self.out_norm(x)), torch.stack(maps, 1)  # (B, N, out), (B, L, H, N, N)


SINK_BOOST = 20.0  # added to position 0's score for a planted sink: about e^20 times the weight


def attend(attn, x, mask=None, sink=None):
    """One attention layer from scratch with the weights of `attn` (a MultiHeadAttention).

    x (B, N, E); mask (N, N), True = may attend; sink (B,) positions: a planted sink (see
    Reader.forward). Returns (output (B, N, E), weights (B, H, N, N)); without a sink, equal
    to attn(x, mask=mask), to nn.MultiheadAttention and to F.scaled_dot_product_attention
    (tested).
    """
    q = attn.split_heads(attn.q_proj(x))  # (B, H, N, D)
    k = attn.split_heads(attn.k_proj(x))  # (B, H, N, D)
    v = attn.split_heads(attn.v_proj(x))  # (B, H, N, D)
    scores = q @ k.transpose(-2, -1) / attn.head_dim ** 0.5  # (B, H, N, N)
    if sink is not None:
        B, N = x.shape[:2]
        if sink.shape != (B,):
            raise ValueError(f"sink must hold one position per row, shape ({B},), got {tuple(sink.shape)}")
        at_sink = F.one_hot(sink, N).bool()  # (B, N)
        v = v.masked_fill(at_sink[:, None, :, None], 0.0)  # (B, H, N, D): the sink's value is 0
        bonus = torch.zeros(B, 1, N, N, dtype=scores.dtype, device=scores.device)
        bonus[:, 0, 0] = SINK_BOOST * at_sink  # only the query at position 0
        scores = scores + bonus
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)  # (B, H, N, N): every row keeps itself, never empty
    return attn.out_proj(attn.merge_heads(weights @ v)), weights


def _next_token_loss(model, batch):
    ids, targets, _ = batch
    return F.cross_entropy(model(ids)[0].flatten(0, 1), targets.flatten(), ignore_index=-100)


def train_induction(seed=0, steps=1000, batch=64, lr=1e-2, vocab=24, n=16, progress=True):
    """A causal 2-layer Reader, one head per layer, trained on induction_task; (model, losses)."""
    torch.manual_seed(seed)
    model = Reader(vocab, n, heads=1, causal=True)
    return fit(model, lambda g: induction_task(batch, g, vocab, n), _next_token_loss, steps, lr,
               seed, progress)


def _marker_loss(model, batch):
    ids, answer, _ = batch
    return F.cross_entropy(model(ids)[0][:, 0], answer)


def train_marker(seed=0, steps=400, batch=64, lr=1e-2, vocab=24, n=12, progress=True):
    """A 2-layer, 2-head Reader that reads the answer at [CLS], trained on marker_task."""
    torch.manual_seed(seed)
    model = Reader(vocab, n, causal=False)
    return fit(model, lambda g: marker_task(batch, g, vocab, n), _marker_loss, steps, lr,
               seed, progress)


# ---------------------------------------------------------------- reading the maps


def entropy_per_head(maps, keep=None):
    """Mean entropy (nats) of each head's rows. maps (B, L, H, N, N) -> (L, H)

    keep (N,) bool, optional: average over those query positions only.
    """
    e = entropy(maps)  # (B, L, H, N)
    if keep is not None:
        e = e[..., keep]
    return e.mean(dim=(0, -1))


def with_residual(maps):
    """The head-averaged map of each layer with the residual: 0.5 A + 0.5 I, rows renormalised.
    (L, H, N, N) or (L, N, N) -> (L, N, N)"""
    _check_maps("maps", maps)
    a = maps.mean(1) if maps.dim() == 4 else maps  # (L, N, N)
    a = 0.5 * a + 0.5 * torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    return a / a.sum(-1, keepdim=True)


def rollout(maps, residual=True):
    """Attention rollout (Abnar & Zuidema 2020). maps (L, H, N, N) or (L, N, N) -> (N, N)

    Row i: how much of output token i comes from each input token, if every layer mixed
    tokens by its head-averaged map (with the residual's identity, by default) and nothing
    else: the product A_L ... A_1.
    """
    _check_maps("maps", maps)
    a = with_residual(maps) if residual else (maps.mean(1) if maps.dim() == 4 else maps)
    out = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    for layer in a:  # first layer first
        out = layer @ out
    return out


def flow_graph(maps, residual=True):
    """The layered graph of attention flow: node (l, j) is token j before layer l (l = 0..L);
    an edge (l, j) -> (l + 1, i) has capacity A_l[i, j]. maps (L, H, N, N) or (L, N, N)."""
    import networkx as nx  # here, not at the top: `import attnlib` stays light

    a = with_residual(maps) if residual else (maps.mean(1) if maps.dim() == 4 else maps)
    graph = nx.DiGraph()
    L, N, _ = a.shape
    for layer in range(L):
        for i in range(N):
            for j in range(N):
                if a[layer, i, j] > 0:
                    graph.add_edge((layer + 1, i), (layer, j), capacity=float(a[layer, i, j]))
    return graph


def flow(maps, query, residual=True, graph=None):
    """Attention flow (Abnar & Zuidema 2020): the maximum flow from output token `query`
    (after the last layer) to each input token, through flow_graph. -> (N,) float64"""
    import networkx as nx
    from networkx.algorithms.flow import edmonds_karp

    _check_maps("maps", maps)
    L, N = maps.shape[0], maps.shape[-1]
    if not 0 <= query < N:
        raise ValueError(f"query must be in [0, {N}), got {query}")
    graph = flow_graph(maps, residual) if graph is None else graph
    values = [nx.maximum_flow_value(graph, (L, query), (0, j), flow_func=edmonds_karp)
              if graph.has_node((0, j)) and graph.has_node((L, query)) else 0.0 for j in range(N)]
    return torch.tensor(values, dtype=torch.float64)


def flow_matrix(maps, residual=True):
    """flow() for every output token, one graph built once. (L, H, N, N) -> (N, N) float64"""
    graph = flow_graph(maps, residual)
    return torch.stack([flow(maps, i, residual, graph) for i in range(maps.shape[-1])])


def replacements(ids, vocab, shift):
    """Each token replaced by another ordinary token: FIRST + ((id - FIRST) mod M + shift) mod M,
    M = vocab - FIRST. Special ids ([CLS], the marker) become ordinary tokens too. (B, N) -> (B, N)"""
    m = vocab - FIRST
    return FIRST + ((ids - FIRST) % m + shift) % m


def occlusion(model, ids, shifts=(1, 2, 3), sink=None):
    """How far the output distribution at each position i moves when token j is replaced by
    another ordinary token: total variation in [0, 1], averaged over the replacements of
    `shifts` (see replacements). ids (B, N) -> (B, N_readout i, N_token j)
    """
    B, N = ids.shape
    with torch.no_grad(), one_thread_deterministic():  # tiny tensors: one thread is fastest
        base = model(ids, sink=sink)[0].softmax(-1)  # (B, N, V)
        scores = torch.zeros(B, N, N)
        for shift in shifts:
            other = replacements(ids, model.vocab, shift)  # (B, N)
            for j in range(N):
                changed = ids.clone()
                changed[:, j] = other[:, j]
                p = model(changed, sink=sink)[0].softmax(-1)  # (B, N, V)
                scores[:, :, j] += 0.5 * (p - base).abs().sum(-1) / len(shifts)
    return scores


def grad_x_input(model, ids, readout):
    """|gradient of the predicted logit at position `readout` . each token's embedding|,
    the embedding's own share of that logit to first order. ids (B, N) -> (B, N)

    readout: an int, the same position for every row.
    """
    B = ids.shape[0]
    rows = torch.arange(B)
    embeds = model.embed(ids).detach().requires_grad_(True)  # (B, N, E)
    with torch.enable_grad(), one_thread_deterministic():
        logits = model(embeds=embeds)[0][:, readout]  # (B, V)
        logits[rows, logits.argmax(-1)].sum().backward()
    return (embeds.grad * embeds).sum(-1).abs().detach()  # (B, N)


def shares(scores):
    """Scores (..., N) -> each token's share of the row's total."""
    return scores / scores.sum(-1, keepdim=True).clamp_min(1e-12)


# ---------------------------------------------------------------- measured figures


@torch.no_grad()
def induction_scores(model, batch=200, seed=1, vocab=24, n=16):
    """Held-out figures of an induction model: accuracy on the repeat, and each head's mean
    weight on the copy source. Returns {'accuracy': float, 'copy weight': (L, H)}."""
    ids, targets, source = induction_task(batch, torch.Generator().manual_seed(seed), vocab, n)
    logits, maps = model(ids)  # (B, N, V), (B, L, H, N, N)
    keep = source >= 0  # (B, N)
    accuracy = (logits.argmax(-1)[keep] == targets[keep]).float().mean().item()
    b, q = keep.nonzero(as_tuple=True)
    copy = maps[b, :, :, q, source[b, q]]  # (M, L, H)
    return {"accuracy": accuracy, "copy weight": copy.mean(0)}


def filler_position(answer_pos, n=12):
    """A position that holds neither [CLS], the marker nor the answer: the last one, or 1 when
    the answer is last. (B,) -> (B,)"""
    return torch.where(answer_pos == n - 1, 1, n - 1)


def marker_reading(model, ids, answer_pos, flows=50, occluded=None):
    """Each method's share of the answer token, read at [CLS]. -> {method: (B,)}

    raw: the last layer's [CLS] row, heads averaged; the others: [CLS]'s row, as shares of
    the row's total. Flow (slow) is read on the first `flows` rows only. occluded (B, N):
    occlusion(model, ids)[:, 0] if already computed.
    """
    rows = torch.arange(ids.shape[0])
    with torch.no_grad():
        maps = model(ids)[1]  # (B, L, H, N, N)
    found = {"raw": maps[:, -1, :, 0].mean(1),  # (B, N)
             "rollout": torch.stack([rollout(m)[0] for m in maps]),  # (B, N)
             "flow": shares(torch.stack([flow(m, 0) for m in maps[:flows]]).float()),  # (flows, N)
             "occlusion": shares(occlusion(model, ids)[:, 0] if occluded is None else occluded),
             "grad x input": shares(grad_x_input(model, ids, 0))}  # (B, N)
    return {name: s[rows[:len(s)], answer_pos[:len(s)]] for name, s in found.items()}


def reading_maps(model, ids):
    """Every method's (N, N) map for one sequence, rows = output positions, columns = input
    tokens. ids (N,) -> {'raw': (L, H, N, N), 'rollout', 'flow', 'occlusion', 'grad x input'}"""
    ids = ids[None]  # (1, N)
    with torch.no_grad(), one_thread_deterministic():
        maps = model(ids)[1][0]  # (L, H, N, N)
    gxi = torch.stack([grad_x_input(model, ids, i)[0] for i in range(ids.shape[1])])  # (N, N)
    return {"raw": maps, "rollout": rollout(maps), "flow": flow_matrix(maps).float(),
            "occlusion": occlusion(model, ids)[0], "grad x input": shares(gxi)}


METHODS = ("raw", "rollout", "flow", "occlusion", "grad x input")


def reading_explorer(cases):
    """Browse the five readings of trained models. cases: {name: (token labels, reading_maps
    output, note)}, computed in advance (flow is slow). Controls: the sequence, the method,
    and the layer and head of the raw map (a model with fewer heads shows its last head)."""
    import ipywidgets as W

    from .widgets import Explorer, Panels, show

    L = max(found["raw"].shape[0] for _, found, _ in cases.values())
    H = max(found["raw"].shape[1] for _, found, _ in cases.values())
    controls = {"sequence": W.Dropdown(options=list(cases), description="sequence"),
                "method": W.Dropdown(options=METHODS, description="method"),
                "layer": W.IntSlider(value=L - 1, min=0, max=L - 1, description="layer",
                                     continuous_update=False),
                "head": W.IntSlider(value=0, min=0, max=max(H - 1, 1), description="head",
                                    continuous_update=False)}

    def adjust(name, controls):
        raw = controls["method"].value == "raw"
        show(controls["layer"], raw)
        show(controls["head"], raw and H > 1)

    def draw(sequence, method, layer, head):
        labels, found, note = cases[sequence]
        if method == "raw":
            layer, head = min(layer, found["raw"].shape[0] - 1), min(head, found["raw"].shape[1] - 1)
            weights, what = found["raw"][layer, head], f"raw, layer {layer}, head {head}"
        else:
            weights, what = found[method], method
        top = weights.argmax(-1).tolist()
        readout = (f"<b>{what}</b> · {note}<br>each row's top token: "
                   + ", ".join(f"{labels[i]}&rarr;{labels[j]}" for i, j in enumerate(top)))
        return Panels(weights, labels, labels, title=f"{sequence}: {what}", xlabel="input token",
                      ylabel="output position", annotate=False), readout

    explorer = Explorer("reading", controls, draw, height="480px", adjust=adjust)
    for labels, found, _ in cases.values():
        explorer.prepare(Panels(found["rollout"], labels, labels, title="", annotate=False,
                                xlabel="input token", ylabel="output position"))
    return explorer
