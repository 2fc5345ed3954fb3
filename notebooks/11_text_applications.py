# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Four tiny attention models trained in seconds (sentiment with negation
#       and contrast, entity tags, extractive QA, copied headlines), what their attention
#       learned, and where it fails.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/11_text_applications.ipynb)

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
# # 11 · Text applications
#
# One attention layer over word vectors already solves real-looking text tasks, if the
# task is small. Here we train four such models, each in seconds, on data the series
# writes itself (`data/gen_text.py`), and test them on sentences built from templates and
# words that training never used.
#
# **In this notebook you will:**
# - classify sentiment through an attention pooling layer, and see where the pooling
#   looks when "not" flips a word and when "but" changes the verdict;
# - tag people, organisations, places and dates, answer questions by pointing at a span
#   of the passage, and write headlines by copying words with attention;
# - measure what each model learned on held-out data, including two honest failures
#   and one shortcut.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four tasks, one pattern
#
# Every task is a list of records. Words are separated by spaces; every position is a
# word index. One record of each training split:

# %% slideshow={"slide_type": "-"}
from attnlib import data

examples = {"sentiment": data.load_sentiment("train")[1], "entities": data.load_entities("train")[1],
            "qa": data.load_qa("train")[1], "headlines": data.load_headlines("train")[0]}
for name, record in examples.items():
    print(f"{name:9}", {k: v for k, v in record.items() if k not in ("template", "heldout")})

# %% [markdown] slideshow={"slide_type": "-"}
# Each model embeds the words (a table learned from the training vocabulary; a word
# never seen in training becomes `<unk>`), adds a learned vector per position, and runs
# one self-attention block (`attnlib.blocks.EncoderBlock`). What comes after the block
# is where the four tasks differ, and each is attention again:
#
# | task | read-out | the attention we inspect |
# |---|---|---|
# | sentiment | **attention pooling**: one learned query over the words, then 2 logits | the pooling weights $(N,)$ |
# | entities | a linear layer per word | self-attention $(N, N)$ |
# | QA | the question's summary scores every passage word as start and as end | start and end distributions |
# | headlines | a decoder query per step; its attention weights **are** the copy distribution | cross-attention $(T, N)$ |
#
# With $h_j \in \mathbb{R}^E$ the block's output at word $j$ and padding left out of
# every softmax, attention pooling is
#
# $$a_j = \operatorname{softmax}_j\!\Big(\frac{q \cdot W_k h_j}{\sqrt{E}}\Big), \qquad
#   s = \sum_j a_j h_j, \qquad \text{logits} = W_o s + b_o,$$
#
# extractive QA scores passage word $j$ as the start and the end of the answer with the
# question summary $u$ (an attention pooling over the question's words),
#
# $$\text{start}_j = \frac{(W_s u) \cdot h_j}{\sqrt{E}}, \qquad
#   \text{end}_j = \frac{(W_e u) \cdot h_j}{\sqrt{E}},$$
#
# and the headline decoder at step $t$ copies source word $j$ with probability
# $p_{tj} = \operatorname{softmax}_j\big((W_q q_t) \cdot (W_k h_j) / \sqrt{E}\big)$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build, checked against PyTorch
#
# Attention pooling is scaled dot-product attention with a single query. We build the
# sentiment model untrained (seeded), run two real sentences of different lengths padded
# into one batch, and compute the pooling by hand from the formula.

# %% slideshow={"slide_type": "-"}
import math

import torch
import torch.nn.functional as F

from attnlib import textapps

vocab = textapps.vocab_for("sentiment")
torch.manual_seed(0)
model = textapps.SentimentClassifier(len(vocab)).eval()
sentences = [["the", "film", "was", "not", "bad"], ["this", "book", "is", "dull"]]
ids, key_mask = vocab.encode(sentences)  # (B, N) = (2, 5); key_mask True = real word
with torch.no_grad():
    h, _ = model.encoder(ids, key_mask)  # (B, N, E) after the self-attention block
    scores = model.pool.k_proj(h) @ model.pool.query / math.sqrt(h.shape[-1])  # (B, N)
    a = torch.softmax(scores.masked_fill(~key_mask, float("-inf")), dim=-1)  # (B, N)
    s = (a[:, :, None] * h).sum(1)  # (B, E)
    summary, weights = model.pool(h, key_mask)
print("ids", tuple(ids.shape), "pool weights", tuple(weights.shape))
print("by hand equals the layer:", torch.allclose(a, weights) and torch.allclose(s, summary))
print("weight on the padded position:", weights[1, 4].item())
assert torch.allclose(a, weights) and torch.allclose(s, summary) and weights[1, 4] == 0

# %% [markdown] slideshow={"slide_type": "-"}
# PyTorch's `F.scaled_dot_product_attention` with the one query and the same padding
# mask gives the same summary, and the self-attention block's attention equals
# `nn.MultiheadAttention` with copied weights (PyTorch's padding mask means the opposite,
# `True` = padding; `attnlib.masks.to_mha_key_padding_mask` converts). Rows of padded
# queries are left out: nobody reads them.

# %% slideshow={"slide_type": "-"}
from attnlib.masks import to_mha_key_padding_mask

with torch.no_grad():
    q = model.pool.query.expand(2, 1, -1)  # (B, 1, E): one query per sentence
    sdpa = F.scaled_dot_product_attention(q, model.pool.k_proj(h), h, attn_mask=key_mask[:, None, :])
    x = model.encoder.embed(ids)  # (B, N, E): words + positions
    ours, w_ours = model.encoder.blocks[0].self_attn(x, key_mask=key_mask)
    theirs, w_theirs = model.encoder.blocks[0].self_attn.to_torch()(
        x, x, x, key_padding_mask=to_mha_key_padding_mask(key_mask), average_attn_weights=False)
real = key_mask[:, :, None]
print("pooling == F.scaled_dot_product_attention:", torch.allclose(sdpa[:, 0], summary, atol=1e-6))
print("self-attention == nn.MultiheadAttention:  ",
      torch.allclose(ours * real, theirs * real, atol=1e-6) and torch.allclose(w_ours, w_theirs, atol=1e-6))
assert torch.allclose(sdpa[:, 0], summary, atol=1e-6)
assert torch.allclose(ours * real, theirs * real, atol=1e-6) and torch.allclose(w_ours, w_theirs, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Sentiment with negation and contrast
#
# Training sentences say "the film was good", "this book is not bad" ("not" flips the
# adjective) or "the meal was good but a bit bland" (the clause after "but" decides).
# Each training sentence gets 0 to 4 filler words in front ("well so the film was …"),
# and words outside the deciding ones are sometimes replaced by `<unk>`. Without the
# fillers every template puts its adjective at a fixed position, and the model can learn
# positions instead of words. `train_sentiment` trains with `attnlib.train.fit`
# (300 seeded steps of Adam).

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
sentiment_model, sentiment_vocab, losses = textapps.train_sentiment(seed=0)
print(f"loss {losses[0]:.2f} -> {losses[-1]:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The test split holds fresh sentences of the training templates (`heldout="none"`) and
# sentences of templates, nouns and filler words training never saw
# (`heldout="template"`, e.g. "honestly the album felt not dull"). Accuracy on each:

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
sentiment_test = data.load_sentiment("test")
sentiment_acc = {h: textapps.sentiment_scores(sentiment_model, sentiment_vocab,
                                              textapps.select(sentiment_test, heldout=h))[0]
                 for h in ("none", "template")}
print({h: round(v, 3) for h, v in sentiment_acc.items()})

# %% [markdown] slideshow={"slide_type": "-"}
# The check asserts what held on every one of five seeds (`tests/test_learned_claims_11.py`).

# %% slideshow={"slide_type": "-"}
print("accuracy above 0.75 on both:", all(v > 0.75 for v in sentiment_acc.values()))
assert all(v > 0.75 for v in sentiment_acc.values())

# %% [markdown] slideshow={"slide_type": "-"}
# **Where the pooling looks.** For negated sentences, the share of the pooling weight
# on "not" and its adjective, against the share a uniform attention would give those
# two words:

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
negated = textapps.select(sentiment_test, kind="negated", heldout="none") + \
    textapps.select(sentiment_test, kind="negated", heldout="template")
_, share, uniform = textapps.sentiment_scores(sentiment_model, sentiment_vocab, negated)
print(f"weight on 'not' + adjective: {share:.3f}  (uniform: {uniform:.3f})")

# %% slideshow={"slide_type": "-"}
print("more than 1.5 times the uniform share:", share > 1.5 * uniform)
assert share > 1.5 * uniform

# %% [markdown] slideshow={"slide_type": "-"}
# A few sentences from the held-out templates, one row each (padding is blank: weight 0).
# The verdicts come from this one trained model: another seed may get a different one
# wrong (the bounds above are what holds on every seed), so this cell's output is not
# compared by the tests.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import viz

shown = ["honestly the album felt not dull", "we found this cafe not lovely",
         "honestly the series felt good but rather awful", "we found this novel very clever"]
ids, key_mask = sentiment_vocab.encode([s.split() for s in shown])
with torch.no_grad():
    logits, pool_w, _ = sentiment_model(ids, key_mask)
verdicts = ["pos" if p else "neg" for p in logits.argmax(-1).tolist()]
print(dict(zip(shown, verdicts)))
width = pool_w.shape[1]
viz.heatmap(pool_w, [f"word {j}" for j in range(width)],
            [f"{s.split()[-2]} {s.split()[-1]} -> {v}" for s, v in zip(shown, verdicts)],
            title="Sentiment: attention pooling weights", xlabel="word position",
            ylabel="sentence (last two words -> verdict)", size=(7.5, 3.4), annotate=True)

# %% [markdown] slideshow={"slide_type": "-"}
# **Two limits, measured.** Training never negates "fresh" or "bland": it shows them only
# plainly and in contrasts. Test sentences that negate them ("the film was not bland"),
# and the pooling's share on the clause after "but" in contrast sentences:

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
unseen_negation = textapps.sentiment_scores(sentiment_model, sentiment_vocab,
                                            textapps.select(sentiment_test, heldout="negation"))[0]
_, but_share, but_uniform = textapps.sentiment_scores(sentiment_model, sentiment_vocab,
                                                      textapps.select(sentiment_test, kind="contrast"))
print(f"accuracy, never-negated adjectives negated: {unseen_negation:.3f}")
print(f"weight on the clause after 'but': {but_share:.3f}  (uniform: {but_uniform:.3f})")

# %% [markdown] slideshow={"slide_type": "-"}
# Neither is reliable across seeds: retrained on five seeds, the accuracy on negated
# never-negated adjectives and the share on the "but"-clause change a lot from seed to
# seed (the slow test checks the spread). "not" + adjective is learned as a pair for the
# adjectives training negated; nothing teaches the model what "not" does to the others.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Entities: a tag per word
#
# Tags are O, PER, ORG, LOC and DATE; an entity is a run of one tag ("anna lopez" is one
# PER). Training replaces 20% of the words by `<unk>`, so that the model learns to tag
# from the context too. The held-out sentences use new templates, verbs, names,
# organisations and places: most of their names are `<unk>` to the model.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
tagger, tag_vocab, losses = textapps.train_tagger(seed=0)
entities_test = data.load_entities("test")
f1 = {h: textapps.entity_f1(tagger, tag_vocab, textapps.select(entities_test, heldout=h))
      for h in ("none", "template")}
for h, scores in f1.items():
    print(f"heldout={h:9}", {t: round(v, 3) for t, v in scores.items()})

# %% [markdown] slideshow={"slide_type": "-"}
# Held-out sentences are hard for a model that saw seven templates. We also take the
# attention's context away (every word may attend only to itself, a diagonal mask):

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
held = textapps.select(entities_test, heldout="template")
alone = textapps.entity_f1(tagger, tag_vocab, held, alone=True)
mean_f1 = sum(f1["template"].values()) / 4
mean_alone = sum(alone.values()) / 4
print(f"held-out mean entity F1: with attention {mean_f1:.3f}, each word alone {mean_alone:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Over five seeds the held-out F1 stays low, and taking the context away lowers it on
# most seeds but not on all: the context this model learned from seven templates does
# not carry over reliably to new ones. The check asserts what held on every seed.

# %% slideshow={"slide_type": "-"}
print("in-distribution F1 above 0.99 for every type:", min(f1["none"].values()) > 0.99)
print("held-out mean F1 below 0.3:", mean_f1 < 0.3)
assert min(f1["none"].values()) > 0.99 and mean_f1 < 0.3

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Extractive QA: point at the answer
#
# The input is "question `<sep>` passage"; a segment vector marks the passage. The
# answer is a span of the passage: the model scores every passage word as its start and
# as its end, and we take the best start, then the best end at or after it.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
reader, qa_vocab, losses = textapps.train_reader(seed=0)
qa_test = data.load_qa("test")
exact = {h: textapps.qa_exact_match(reader, qa_vocab, textapps.select(qa_test, heldout=h))
         for h in ("none", "template", "roles")}
print({h: round(v, 3) for h, v in exact.items()})

# %% slideshow={"slide_type": "-"}
print("exact match on fresh passages of the training templates: 1.0:", exact["none"] == 1.0)
assert exact["none"] == 1.0

# %% [markdown] slideshow={"slide_type": "-"}
# **A shortcut.** The "roles" test asks for a city that is a word training only ever
# showed as a person's first name ("ivan is at summit media , based in jordan since
# 2014 ."). A model that read the passage's structure would not care; a model that
# partly learned "city words answer *where*" stumbles. On some seeds it does (the slow
# test records the spread); the tagged cell above prints this seed's figure. The unseen
# templates (new question wording, new passage wording, unseen cities) are far harder
# still for a model that saw two passage templates.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Headlines by copying
#
# A headline here is a few words of its source, reordered ("on monday the council of
# oslo approved a new budget" → "oslo council approved budget"). The decoder's attention
# weights over the source are its output: at each step it copies the word it attends to
# most, then asks again from that word, until it copies `<end>`.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
headliner, head_vocab, losses = textapps.train_headliner(seed=0)
headlines_test = data.load_headlines("test")
head_scores = {h: textapps.headline_scores(headliner, head_vocab,
                                           textapps.select(headlines_test, heldout=h))
               for h in ("none", "words", "template")}
for h, (right, on_copy) in head_scores.items():
    print(f"heldout={h:9} exact headlines {right:.3f}, attention on the copied word {on_copy:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Copying positions, not vocabulary, lets it write words it never saw: "words" fills the
# training templates with names, places and verbs that training never used. New
# templates ("template") are another matter: which words make the headline is exactly
# what the model learned per template, and it has no way to know it for a new one.

# %% slideshow={"slide_type": "-"}
right_words, share_words = head_scores["words"]
print("exact on fresh and on unseen-word headlines above 0.98:",
      head_scores["none"][0] > 0.98 and right_words > 0.98)
print("attention on the copied word above 0.9:", head_scores["none"][1] > 0.9 and share_words > 0.9)
assert head_scores["none"][0] > 0.98 and right_words > 0.98
assert head_scores["none"][1] > 0.9 and share_words > 0.9

# %% slideshow={"slide_type": "-"}
source = "on friday the union of quito sold a new stadium <end>"
ids, key_mask = head_vocab.encode([source.split()])
copied, cross = headliner.greedy(ids, key_mask, head_vocab.stoi["<end>"])
out = [source.split()[j] for j in copied[0].tolist()]
out = out[:out.index("<end>") + 1]
print("unknown to the model:", head_vocab.unknown(source.split()), "->", " ".join(out))
assert out == ["quito", "union", "sold", "stadium", "<end>"]
viz.heatmap(cross[0, :len(out)], source.split(), out, title="Copy attention: headline from source",
            xlabel="source word", ylabel="headline word (copied)", size=(7.5, 3.6), annotate=False)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore the four models
#
# Pick a task and type a sentence (for QA: a question, then `|`, then the passage). The
# picture shows the attention that decides: the pooling weights (sentiment), the
# self-attention of head 0 (entities), the start and end distributions (QA), the copy
# attention (headlines). Words the model never saw are flagged.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
import ipywidgets as W

from attnlib import widgets

EXAMPLES = {
    "sentiment": "honestly the album felt good but rather awful",
    "entities": "kofi haddad joined orbit labs in riga on 3 may 2021",
    "qa": "where is zenith bank based ? | omar chen is at zenith bank , based in lima since 2004 .",
    "headlines": "on monday the council of oslo approved a new budget <end>",
}


def explain(task, text):
    """(Panels, readout) for one task and one input text."""
    words = text.split()
    if task == "sentiment":
        ids, key_mask = sentiment_vocab.encode([words])
        logits, w, _ = sentiment_model(ids, key_mask)
        verdict = ["negative", "positive"][logits.argmax().item()]
        return (widgets.Panels(w, words, [verdict], title="attention pooling", ylabel="verdict",
                               xlabel="word"), f"verdict: <b>{verdict}</b>", sentiment_vocab)
    if task == "entities":
        ids, key_mask = tag_vocab.encode([words])
        logits, w = tagger(ids, key_mask)
        tags = [textapps.TAGS[i] for i in logits[0].argmax(-1).tolist()]
        labels = [f"{t}:{tag}" for t, tag in zip(words, tags)]
        return (widgets.Panels(w[0, 0, 0], words, labels, title="self-attention, head 0"),
                "tags: " + " ".join(labels), tag_vocab)
    if task == "qa":
        question, passage = (part.split() for part in text.split("|"))
        ids, key_mask = qa_vocab.encode([question + [textapps.SEP] + passage])
        segments = torch.tensor([[0] * (len(question) + 1) + [1] * len(passage)])
        start, end, _ = reader(ids, key_mask, segments)
        p = torch.stack([start[0].softmax(-1), end[0].softmax(-1)])[:, len(question) + 1:]
        a, b = p[0].argmax().item(), p[1].argmax().item()
        return (widgets.Panels(p, passage, ["start", "end"], title="answer start and end",
                               xlabel="passage word", ylabel=""),
                "answer: <b>" + " ".join(passage[a:b + 1]) + "</b>", qa_vocab)
    ids, key_mask = head_vocab.encode([words])
    copied, cross = headliner.greedy(ids, key_mask, head_vocab.stoi["<end>"])
    out = [words[j] for j in copied[0].tolist()]
    out = out[:out.index("<end>") + 1] if "<end>" in out else out
    return (widgets.Panels(cross[0, :len(out)], words, out, title="copy attention",
                           xlabel="source word", ylabel="headline word"),
            "headline: <b>" + " ".join(out) + "</b>", head_vocab)


def draw(task, text):
    panels, readout, vocab_used = explain(task, text.strip() or EXAMPLES[task])
    unknown = vocab_used.unknown(text.replace("|", " ").split())
    if unknown:
        readout += f" &nbsp; <i>not in the training vocabulary: {', '.join(unknown)}</i>"
    return panels, readout


controls = {"task": W.Dropdown(options=list(EXAMPLES), value="sentiment", description="task"),
            "text": W.Text(value=EXAMPLES["sentiment"], description="input",
                           continuous_update=False, layout=W.Layout(width="70%"))}


def adjust(name, controls):
    if name == "task":
        controls["text"].value = EXAMPLES[controls["task"].value]


explorer = widgets.Explorer("text applications", controls, draw, adjust=adjust)
explorer

# %% [markdown] slideshow={"slide_type": "-"}
# The redraw time of the explorer's last change, and of each task once (a model run
# plus a redraw of the picture):

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
for task in EXAMPLES:
    explorer.set(task=task)
    print(f"{task:9} redraw {1000 * explorer.last_redraw_s:5.1f} ms")
explorer.set(task="sentiment")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# One forward pass of each trained model on a batch of 64 held-out inputs, and attnlib's
# self-attention against `nn.MultiheadAttention` on the same (random) inputs at this
# size ($B = 64$, $N = 12$, $E = 32$, $H = 2$).

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import timing

batch = textapps.select(sentiment_test, heldout="template")[:64]
ids, key_mask, _, _ = textapps.sentiment_inputs(sentiment_vocab, batch)
mha = sentiment_model.encoder.blocks[0].self_attn
x = torch.randn(64, 12, 32)  # random inputs for timing
with torch.no_grad():
    print(f"sentiment model, B=64        {timing.time_fn(sentiment_model, ids, key_mask, device='cpu')}")
    print(f"attnlib MultiHeadAttention   {timing.time_fn(mha, x, device='cpu')}")
    print(f"nn.MultiheadAttention        {timing.time_fn(mha.to_torch(), x, x, x, device='cpu')}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One self-attention block plus one more attention (pooling, span scores, a copy
#   pointer) solves four small text tasks in seconds of training each; the pooling and
#   the self-attention equal PyTorch's `F.scaled_dot_product_attention` and
#   `nn.MultiheadAttention`, and padding gets weight exactly 0.
# - Sentiment: the pooling puts more weight on "not" + adjective than uniform attention
#   would, and random filler prefixes keep the model from learning positions. Negating
#   adjectives that training never negated, and focusing on the clause after "but", are
#   not reliable across seeds.
# - Entities: perfect on fresh sentences of the training templates, poor on new templates
#   with unknown names: seven templates do not teach context that carries over.
# - QA and headlines: answers and headline words are positions picked by attention.
#   Copying positions writes unseen words; a city word seen only as a person can trip the
#   reader, and new templates are beyond what these models could learn from two to four.
#
# ## Exercises
#
# Worked solutions are in `solutions/11_text_applications.py`: try first.
#
# **Exercise 1.** Turn tags into entities: `entity_spans(tags)` returns the set of
# `(type, start, end)` for each run of one tag other than `"O"`, with `end` exclusive.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb11


def entity_spans(tags):
    raise NotImplementedError


ok = nb11.check_entity_spans(entity_spans)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** The best answer span: `best_span(start, end, max_len)` returns the pair
# `(i, j)` with $i \le j < i + \text{max\_len}$ that maximises `start[i] + end[j]`.

# %% slideshow={"slide_type": "-"}
def best_span(start, end, max_len):
    raise NotImplementedError


ok = nb11.check_best_span(best_span)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** The measurement behind the negation claim: `focus_share(weights, focus,
# key_mask)` returns a tensor of two numbers: the mean over sentences of the weight on the
# focus words, and the mean share that uniform weights over the real words would give them.

# %% slideshow={"slide_type": "-"}
def focus_share(weights, focus, key_mask):
    raise NotImplementedError


ok = nb11.check_focus_share(focus_share)
