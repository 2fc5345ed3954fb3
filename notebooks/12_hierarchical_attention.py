# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Word attention pools each sentence, sentence attention pools the document;
#       when other sentences carry sentiment too, the trained model must find the one
#       that decides.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/12_hierarchical_attention.ipynb)

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
# # 12 · Hierarchical attention
#
# A document is made of sentences and a sentence is made of words. Hierarchical attention
# (Yang et al., 2016) follows that structure: one attention pools the words of each
# sentence into a sentence vector, a second one pools the sentence vectors into a document
# vector, and a classifier reads the document vector. Each pooling has a single learned
# query, a *context vector*, that asks "which of these matters?".
#
# **In this notebook you will:**
# - build word-level then sentence-level attention pooling step by step on padded
#   documents (padding gets weight exactly 0, an empty sentence gives no NaN), and prove
#   each pooling equals `F.scaled_dot_product_attention` with the context vector as the
#   one query;
# - train it on short reviews where one sentence decides the label, with neutral filler
#   and with filler that carries sentiment about other things, and compare with a model
#   that weights every sentence the same;
# - show that the sentence weight lands on the deciding sentence and follows it when it
#   moves.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Documents where one sentence decides
#
# The data (`attnlib.data.load_documents`, written by `data/gen_documents.py`) are short
# cinema reviews. One sentence judges the film (or its plot, acting, ending, ...); its
# sentiment is the label. The other sentences are filler of one of two kinds: *neutral*
# ("we went on a monday") or *distracting*: sentiment about something else, in the same
# frames and with the same adjectives ("the popcorn was awful"). `decisive` is the index
# of the film sentence.

# %% slideshow={"slide_type": "-"}
from attnlib import hierarchical as hi

train_docs = hi.documents("train")
test_docs = hi.documents("test")
print(f"{len(train_docs)} training and {len(test_docs)} held-out documents")
for record in (train_docs[2], train_docs[800]):
    print(record["filler"], "| label", hi.LABELS[record["label"]], "| decisive", record["decisive"])
    for i, sentence in enumerate(record["sentences"]):
        print(f"   {i}: {sentence}")

# %% [markdown] slideshow={"slide_type": "-"}
# The held-out documents are written in frames that training never shows, and their filler
# names things, days, people and places that training never shows either. A model reads
# those words as one id, `<unk>`. Only the film words and the adjectives are shared.

# %% slideshow={"slide_type": "-"}
vocab = hi.document_vocab()
held_out_words = sorted({w for r in test_docs for s in r["sentences"] for w in vocab.unknown(s)})
print(f"vocabulary: {len(vocab)} ids; words only the held-out documents use: {len(held_out_words)}")
print(held_out_words)
print(test_docs[200]["sentences"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths
#
# Word $t$ of sentence $i$ has a vector $h_{it} \in \mathbb{R}^E$ (here its embedding). The
# word level scores every word against a learned context vector $u_w$ and pools:
#
# $$k_{it} = \tanh(W_w h_{it} + b_w), \qquad
#   \beta_{it} = \frac{\exp(k_{it}^\top u_w)}{\sum_{t'} \exp(k_{it'}^\top u_w)}, \qquad
#   s_i = \sum_t \beta_{it}\, h_{it}.$$
#
# The sentence level does the same over the sentence vectors, with its own $W_s, b_s$ and
# context vector $u_s$, and a linear layer classifies the document vector $d$:
#
# $$\alpha_i = \operatorname{softmax}_i\big(\tanh(W_s s_i + b_s)^\top u_s\big), \qquad
#   d = \sum_i \alpha_i s_i, \qquad \hat y = \operatorname{softmax}(W_o d + b_o).$$
#
# Each pooling is attention with one query ($u$), keys $\tanh(Wh + b)$ and values $h$,
# without the $1/\sqrt{D}$ scale. Padding words and padding sentences are left out of the
# sums: their scores are set to $-\infty$ before the softmax. Yang et al. also run a GRU
# under each level; we leave both out, so each level's attention is the only thing that
# mixes its items.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build, step by step
#
# **1. Ids.** Two held-out documents of 3 and 6 sentences become one tensor $(B, S, N)$:
# $B$ documents, $S$ sentences, $N$ words, padded with id 0. The first document gets 3
# sentences of padding only.

# %% slideshow={"slide_type": "-"}
import torch

pair = [test_docs[200], test_docs[203]]
ids = vocab.encode([r["sentences"] for r in pair])  # (B, S, N)
word_mask = ids != hi.PAD  # (B, S, N), True = a real word
sentence_mask = word_mask.any(-1)  # (B, S), True = a sentence with a word
B, S, N = ids.shape
print("ids", tuple(ids.shape), "| sentences per document", [len(r["sentences"]) for r in pair])
print("real words per sentence:", word_mask.sum(-1).tolist())
print("sentence mask:", sentence_mask.tolist())

# %% [markdown] slideshow={"slide_type": "-"}
# **2. Word vectors.** The weights come from a fresh, seeded `HierarchicalAttention`
# (untrained: this section checks the computation, not what is learned). All sentences of
# all documents go through the word level together as one batch of $B \cdot S$ sentences.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
model = hi.HierarchicalAttention(len(vocab))
E = model.embed.embedding_dim
h = model.embed(ids).detach().view(B * S, N, E)  # (B*S, N, E)
words_real = word_mask.view(B * S, N)  # (B*S, N)
print("h", tuple(h.shape), "| E =", E)

# %% [markdown] slideshow={"slide_type": "-"}
# **3. Word scores and weights.** Keys $\tanh(W_w h + b_w)$, one score per word against
# $u_w$, $-\infty$ on padding. A plain softmax of a row that is all $-\infty$ (a padded
# sentence) is $0/0$: NaN. `attnlib.masked_softmax` gives such a row zeros instead.

# %% slideshow={"slide_type": "-"}
from attnlib import masked_softmax

W_w, b_w, u_w = (p.detach() for p in (model.word_attn.proj.weight, model.word_attn.proj.bias,
                                      model.word_attn.context))
keys = torch.tanh(h @ W_w.T + b_w)  # (B*S, N, E)
scores = (keys @ u_w).masked_fill(~words_real, float("-inf"))  # (B*S, N)
print("plain softmax, NaN in the padded sentences:", torch.softmax(scores, -1).isnan().any(-1).tolist())
beta = masked_softmax(scores)  # (B*S, N)
print("masked_softmax, any NaN:", beta.isnan().any().item())
print("row sums:", beta.sum(-1).round(decimals=6).tolist())
print("weight on padding is exactly 0:", (beta[~words_real] == 0).all().item())
assert not beta.isnan().any() and (beta[~words_real] == 0).all()

# %% [markdown] slideshow={"slide_type": "-"}
# **4. Sentence vectors** $s_i = \sum_t \beta_{it} h_{it}$. A padded sentence has all-zero
# weights, so its vector is zero.

# %% slideshow={"slide_type": "-"}
s = (beta[:, :, None] * h).sum(1).view(B, S, E)  # (B, S, E)
print("s", tuple(s.shape), "| padded sentences give zero vectors:",
      (s[~sentence_mask] == 0).all().item())
assert (s[~sentence_mask] == 0).all()

# %% [markdown] slideshow={"slide_type": "-"}
# **5. The sentence level** is the same pooling with $W_s, b_s, u_s$ over the sentence
# vectors, with the padded sentences masked; then the classifier.

# %% slideshow={"slide_type": "-"}
W_s, b_s, u_s = (p.detach() for p in (model.sentence_attn.proj.weight,
                                      model.sentence_attn.proj.bias, model.sentence_attn.context))
sentence_scores = (torch.tanh(s @ W_s.T + b_s) @ u_s).masked_fill(~sentence_mask, float("-inf"))
alpha = masked_softmax(sentence_scores)  # (B, S)
d = (alpha[:, :, None] * s).sum(1)  # (B, E)
logits = d @ model.out.weight.detach().T + model.out.bias.detach()  # (B, classes)
print("alpha", tuple(alpha.shape), "| row sums", alpha.sum(-1).round(decimals=6).tolist(),
      "| padded sentences get 0:", (alpha[~sentence_mask] == 0).all().item())
print("d", tuple(d.shape), "| logits", tuple(logits.shape))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check: the build == attnlib == PyTorch
#
# `HierarchicalAttention.forward` computes the same thing in one call.

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    lib_logits, lib_word_w, lib_sentence_w = model(ids)
print("logits", torch.allclose(lib_logits, logits, atol=1e-6),
      "| word weights", torch.allclose(lib_word_w, beta.view(B, S, N), atol=1e-6),
      "| sentence weights", torch.allclose(lib_sentence_w, alpha, atol=1e-6))
assert torch.allclose(lib_logits, logits, atol=1e-6)
assert torch.allclose(lib_word_w, beta.view(B, S, N), atol=1e-6)
assert torch.allclose(lib_sentence_w, alpha, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# Each pooling is attention with a single query. `F.scaled_dot_product_attention` takes
# the context vector as that query ($N_q = 1$), the keys $\tanh(Wh + b)$, the values $h$,
# `scale=1.0` (the pooling does not divide by $\sqrt{E}$) and the key mask as its boolean
# `attn_mask` (`True` = may attend, as in attnlib). We compare the sentences that have at
# least one word, and the documents' sentence level.

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

q_w = u_w.expand(B * S, 1, E)  # (B*S, 1, E): the one query of every sentence
ref_s = F.scaled_dot_product_attention(q_w, keys, h, attn_mask=words_real[:, None, :], scale=1.0)
real = sentence_mask.view(B * S)
print("word level == SDPA:", torch.allclose(ref_s[real, 0], s.view(B * S, E)[real], atol=1e-6))
assert torch.allclose(ref_s[real, 0], s.view(B * S, E)[real], atol=1e-6)

sentence_keys = torch.tanh(s @ W_s.T + b_s)  # (B, S, E)
ref_d = F.scaled_dot_product_attention(u_s.expand(B, 1, E), sentence_keys, s,
                                       attn_mask=sentence_mask[:, None, :], scale=1.0)
print("sentence level == SDPA:", torch.allclose(ref_d[:, 0], d, atol=1e-6))
assert torch.allclose(ref_d[:, 0], d, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# With the default scale, SDPA would divide the scores by $\sqrt{E}$ and give other
# weights: the match above needs `scale=1.0`.

# %% slideshow={"slide_type": "-"}
ref_default = F.scaled_dot_product_attention(u_s.expand(B, 1, E), sentence_keys, s,
                                             attn_mask=sentence_mask[:, None, :])
print("default scale 1/sqrt(E) also matches:", torch.allclose(ref_default[:, 0], d, atol=1e-6))
assert not torch.allclose(ref_default[:, 0], d, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Padding changes nothing
#
# Appending a sentence of padding and extra padding words to every sentence must leave the
# prediction and the real weights as they were: padding gets weight exactly 0.

# %% slideshow={"slide_type": "-"}
padded = torch.nn.functional.pad(ids, (0, 3, 0, 1))  # (B, S + 1, N + 3), all new ids 0
with torch.no_grad():
    p_logits, p_word_w, p_sentence_w = model(padded)
print("ids", tuple(ids.shape), "->", tuple(padded.shape))
print("same logits:", torch.allclose(p_logits, lib_logits, atol=1e-6),
      "| same sentence weights:", torch.allclose(p_sentence_w[:, :S], lib_sentence_w, atol=1e-6),
      "| new sentence gets 0:", (p_sentence_w[:, S] == 0).all().item())
assert torch.allclose(p_logits, lib_logits, atol=1e-6)
assert torch.allclose(p_word_w[:, :S, :N], lib_word_w, atol=1e-6) and (p_word_w[:, :, N:] == 0).all()

# %% [markdown] slideshow={"slide_type": "-"}
# Gradients flow through the padded sentences without NaN as well:

# %% slideshow={"slide_type": "-"}
model.zero_grad()
model(ids)[0].sum().backward()
print("any NaN in a gradient:", any(p.grad.isnan().any().item() for p in model.parameters()))
assert not any(p.grad.isnan().any() for p in model.parameters())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training: with neutral and with distracting filler
#
# We train four models with `attnlib.train.fit` (`hi.train_hierarchical`: 400 steps of 64
# documents; 30% of the words are replaced by `<unk>` during training, so that the model
# meets `<unk>` before the held-out documents show it): on neutral-filler documents and on distracting-filler
# documents, each with sentence attention and without. "Without" freezes $u_s = 0$: every
# score is then 0 and every real sentence gets the same weight, $1/S_{\text{real}}$, a
# masked mean.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
models = {}
for filler in ("neutral", "distracting"):
    for name, uniform in (("attention", False), ("uniform", True)):
        models[filler, name] = hi.train_hierarchical(filler, seed=0, uniform_sentences=uniform)[0]

# %% [markdown] slideshow={"slide_type": "-"}
# The uniform models' sentence weights are exactly $1/S_{\text{real}}$, whatever they read:

# %% slideshow={"slide_type": "-"}
test_ids, test_labels, test_decisive = hi.batch(test_docs)
with torch.no_grad():
    uniform_w = models["distracting", "uniform"](test_ids)[2]  # (B, S)
n_real = (test_ids != hi.PAD).any(-1).sum(-1, keepdim=True)  # (B, 1)
expected = (test_ids != hi.PAD).any(-1) / n_real
print("uniform sentence weights == 1/S_real:", torch.allclose(uniform_w, expected, atol=1e-6))
assert torch.allclose(uniform_w, expected, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# The held-out scores (exact figures depend on the seed): accuracy, the mean sentence weight
# on the film sentence, and the share of documents whose film sentence gets the most weight.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
results = {key: hi.scores(m, hi.documents("test", key[0])) for key, m in models.items()}
print(f"{'filler':<12} {'sentences':<10} {'accuracy':>8} {'weight on film':>15} {'film weighted most':>19}")
for (filler, name), r in results.items():
    print(f"{filler:<12} {name:<10} {r['accuracy']:8.3f} {r['weight on decisive']:15.3f} "
          f"{r['decisive weighted most']:19.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof: neutral filler does not need sentence attention; distracting filler does
#
# With neutral filler only the film sentence carries sentiment, so a plain mean of the
# sentence vectors already tells the label: the uniform model is right on more than 85%
# of held-out documents. With distracting filler the mean mixes the film's sentiment with
# that of the popcorn and the parking, and the uniform model stays below 80%, while the
# model with sentence attention is right on more than 97%. (Bounds that hold on seeds 0-4:
# `tests/test_learned_claims_12.py` retrains every claim.)

# %% slideshow={"slide_type": "-"}
neutral_ok = min(results["neutral", n]["accuracy"] for n in ("attention", "uniform")) > 0.85
print(f"neutral filler, both models above 0.85: {neutral_ok}")
print(f"distracting filler, uniform below 0.80: {results['distracting', 'uniform']['accuracy'] < 0.80}")
print(f"distracting filler, attention above 0.97: {results['distracting', 'attention']['accuracy'] > 0.97}")
assert neutral_ok
assert results["distracting", "uniform"]["accuracy"] < 0.80
assert results["distracting", "attention"]["accuracy"] > 0.97

# %% [markdown] slideshow={"slide_type": "-"}
# Where the model must choose, it chooses the film sentence: trained on distracting filler,
# it gives the film sentence the most weight in more than 99% of the held-out documents,
# and more than 0.7 of the weight on average. The neutral-filler model is not held to
# these bounds: nothing forces its choice, and on some seeds of
# `tests/test_learned_claims_12.py` its film sentence gets the most weight in fewer than
# 99% of the documents.

# %% slideshow={"slide_type": "-"}
chosen = results["distracting", "attention"]
print(f"film sentence weighted most in > 0.99 of documents: {chosen['decisive weighted most'] > 0.99}")
print(f"mean weight on the film sentence > 0.7: {chosen['weight on decisive'] > 0.7}")
assert chosen["decisive weighted most"] > 0.99 and chosen["weight on decisive"] > 0.7

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof: the weight follows the sentence
#
# First an exact fact: no position enters the sentence scores (each depends on its own
# sentence only), so permuting the sentences permutes the weights and changes nothing
# else. Checked on the held-out documents with a random permutation:

# %% slideshow={"slide_type": "-"}
trained = models["distracting", "attention"]
perm = torch.randperm(test_ids.shape[1], generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    logits_a, _, w_a = trained(test_ids)
    logits_b, _, w_b = trained(test_ids[:, perm])
print("permutation", perm.tolist())
print("weights permute with the sentences:", torch.allclose(w_b, w_a[:, perm], atol=1e-6),
      "| same logits:", torch.allclose(logits_a, logits_b, atol=1e-5))
assert torch.allclose(w_b, w_a[:, perm], atol=1e-6) and torch.allclose(logits_a, logits_b, atol=1e-5)

# %% [markdown] slideshow={"slide_type": "-"}
# The learned part: move the film sentence of every held-out distracting document to
# every position it can take (the other sentences keep their order) and ask, at each
# position, whether the most weight goes to where the film sentence now is.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
distracting_test = hi.documents("test", "distracting")
by_position = {}
for to in range(6):
    moved = [hi.move_sentence(r, to) for r in distracting_test if to < len(r["sentences"])]
    by_position[to] = hi.scores(trained, moved)
    print(f"film sentence at {to}: {len(moved)} documents, weighted most "
          f"{by_position[to]['decisive weighted most']:.3f}, mean weight "
          f"{by_position[to]['weight on decisive']:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# At every position, the film sentence gets the most weight in more than 99% of the moved
# documents, with more than 0.6 of the weight on average. (The mean is lower at the last
# positions, which only documents of 5 or 6 sentences have: more sentences share the
# weight.)

# %% slideshow={"slide_type": "-"}
follows = all(r["decisive weighted most"] > 0.99 and r["weight on decisive"] > 0.6
              for r in by_position.values())
print("the weight follows the film sentence to every position:", follows)
assert follows

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Both levels on one held-out document
#
# Rows are sentences, labelled with their sentence weight $\alpha_i$; each cell holds a
# word, coloured by its word weight $\beta_{it}$ (each row sums to 1).

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import viz

example = distracting_test[3]
ex_ids = vocab.encode([example["sentences"]])  # (1, S, N)
with torch.no_grad():
    ex_logits, ex_word_w, ex_sentence_w = trained(ex_ids)
print("label", hi.LABELS[example["label"]], "| predicted", hi.LABELS[ex_logits.argmax().item()])
fig = viz.heatmap(ex_word_w[0], [str(j) for j in range(ex_ids.shape[2])],
                  [f"{a:.2f}" for a in ex_sentence_w[0].tolist()], annotate=False,
                  title="Word weights (colour) and sentence weights (row labels)",
                  xlabel="word position", ylabel="sentence weight", size=(7.0, 3.4))
for i, sentence in enumerate(example["sentences"]):
    for j, word in enumerate(sentence.split()):
        fig.axes[0].text(j, i, word, ha="center", va="center", fontsize=8,
                         color="black" if ex_word_w[0, i, j] > 0.5 else "white")
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: edit the review
#
# Write the film sentence and the other sentences (one per line), choose where the film
# sentence sits and which trained model reads the document. The heatmap shows the word
# weights; the readout shows each sentence's weight, every word highlighted by its weight,
# and the prediction. Try a film sentence in a frame of your own, or make every other
# sentence praise the popcorn.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
explorer_models = {"distracting, attention": trained,
                   "neutral, attention": models["neutral", "attention"],
                   "distracting, uniform": models["distracting", "uniform"]}
hi.document_explorer(explorer_models)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# Both levels pool with one query, so the work grows linearly with the number of
# sentences $S$ (here $N = 8$ words each, $B = 32$ documents of random ids, untrained
# model).

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import timing

device = timing.default_device()
net = hi.HierarchicalAttention(len(vocab)).to(device).eval()
counts, times_ms = [4, 16, 64], []
for S_t in counts:
    random_ids = torch.randint(2, len(vocab), (32, S_t, 8), device=device)  # random ids
    result = timing.time_fn(net, random_ids, device=device)
    times_ms.append(result.median_s * 1e3)
    print(f"S = {S_t:>3}: {result}")
viz.line_plot(counts, {"HierarchicalAttention": times_ms}, logx=True, logy=True,
              title=f"Forward time, B = 32, N = 8 ({timing.describe_device(device)})",
              xlabel="sentences S", ylabel="ms per forward")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Hierarchical attention pools twice with one learned query each: $u_w$ over the words
#   of a sentence, $u_s$ over the sentences of a document. Each pooling equals
#   `F.scaled_dot_product_attention` with the context vector as the single query,
#   `scale=1.0` and the key mask.
# - Padded words and sentences get weight exactly 0; a sentence of padding only gives
#   zero weights and a zero vector, not NaN (`masked_softmax`), and adding padding changes
#   nothing.
# - With neutral filler a plain mean over sentences already classifies well: nothing
#   forces the sentence weights to choose. With filler that judges other things, the mean
#   fails and the attention model puts the most weight on the film sentence in more than
#   99% of held-out documents, wherever that sentence sits.
# - No position enters the sentence scores, so moving a sentence moves its weight exactly.
#
# ## Exercises
#
# Worked solutions are in `solutions/12_hierarchical_attention.py`: try first.
#
# **Exercise 1.** Write `attention_pool(h, keys, u, mask)`: $h$ $(B, N, E)$ values, keys
# $(B, N, E)$, context vector $u$ $(E,)$, mask $(B, N)$ with `True` = a real item. Return
# the pooled vectors $(B, E)$ and the weights $(B, N)$; a row with no real item gets zero
# weights and a zero vector.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb12


def attention_pool(h, keys, u, mask):
    raise NotImplementedError


ok = nb12.check_attention_pool(attention_pool)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `document_masks(ids)`: from word ids $(B, S, N)$ with 0 = padding,
# return the word mask $(B, S, N)$ and the sentence mask $(B, S)$ (`True` = real).

# %% slideshow={"slide_type": "-"}
def document_masks(ids):
    raise NotImplementedError


ok = nb12.check_document_masks(document_masks)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Each word's share of the document vector is $\alpha_i \beta_{it}$: $d =
# \sum_i \sum_t \alpha_i \beta_{it} h_{it}$. Write `word_shares(word_w, sentence_w)`:
# word weights $(B, S, N)$ and sentence weights $(B, S)$ -> shares $(B, S, N)$.

# %% slideshow={"slide_type": "-"}
def word_shares(word_w, sentence_w):
    raise NotImplementedError


ok = nb12.check_word_shares(word_shares)
