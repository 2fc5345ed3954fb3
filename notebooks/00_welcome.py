# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: series
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Check your set-up, and see how explorers, proof cells, timings and exercises
#       work.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/00_welcome.ipynb)

# %% slideshow={"slide_type": "skip"} tags=["colab-setup"]
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
# # 00 · Welcome: how this series works
#
# This series builds attention mechanisms from scratch in PyTorch, one idea per notebook.
# Every notebook follows the same arc: an intuition, the maths, a step-by-step build, a
# check of the build against PyTorch, a cell that **proves** the lesson, a live explorer,
# the cost on your machine, a summary and exercises.
#
# **In this notebook you will:**
# - check that your environment has everything the series needs;
# - see the four kinds of cell you will meet everywhere: proof, explorer, timing, exercise;
# - meet the small sentences and word vectors that every heatmap in Part I is computed from.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your environment
#
# The next cell reports versions and the device. Its output differs from machine to
# machine, so it is marked to be skipped by the automatic output comparison (nbval).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import platform

import ipywidgets
import matplotlib
import torch

import attnlib
from attnlib import timing

print(f"Python     {platform.python_version()}")
print(f"PyTorch    {torch.__version__}")
print(f"ipywidgets {ipywidgets.__version__}")
print(f"matplotlib {matplotlib.__version__}")
print(f"attnlib    {attnlib.__version__}")
print(f"device     {timing.default_device()}: {timing.describe_device()}")

# %% [markdown] slideshow={"slide_type": "-"}
# Every module of `attnlib` should import. If this cell fails, run `make install` again
# (or, on Colab, re-run the first cell).

# %% slideshow={"slide_type": "-"}
import importlib
import pkgutil

modules = sorted(m.name for m in pkgutil.iter_modules(attnlib.__path__))
for name in modules:
    importlib.import_module(f"attnlib.{name}")
print(f"all {len(modules)} attnlib modules import: {', '.join(modules)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Real inputs, not random numbers
#
# Attention weights only mean something when they are computed from real inputs. In Part I
# our inputs are short sentences, each word turned into a 32-dimensional vector. The
# vectors come from `data/embeddings.safetensors`, which `data/make_data.py` builds from
# word co-occurrence counts in a small corpus: words used in similar contexts get similar
# vectors. Nothing is downloaded.

# %% slideshow={"slide_type": "-"}
from attnlib.data import SENTENCES, embed, load_embeddings

vocab, vectors = load_embeddings()
tokens, x = embed(SENTENCES[0])
print(f"vocabulary: {len(vocab)} words, vectors of size {vectors.shape[1]}")
print(f"{SENTENCES[0]!r} -> tokens {tokens}, x of shape {tuple(x.shape)}")


# %% [markdown] slideshow={"slide_type": "-"}
# Similar words have a large dot product, unrelated words a small one. That dot product is
# exactly the raw score attention starts from. The check below fails if the vectors did not
# capture similarity.

# %% slideshow={"slide_type": "-"}
def similarity(a, b):
    (_, va), (_, vb) = embed(a), embed(b)
    return (va @ vb.T).item() / vectors.shape[1]


for a, b in [("cat", "dog"), ("cat", "car"), ("red", "blue"), ("teacher", "doctor")]:
    print(f"{a:>8} . {b:<8} = {similarity(a, b):+.2f}")
assert similarity("cat", "dog") > similarity("cat", "car") + 0.3

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A proof cell
#
# Each notebook makes claims and proves them with a cell that would fail if the claim were
# false: an `assert`, or a printed figure that the automatic checks compare. Here is the
# first claim of the series: the attention weights of every query are a probability
# distribution over the keys, so each row sums to 1,
#
# $$\sum_{j=1}^{N_k} \operatorname{softmax}(s_i)_j = 1 .$$

# %% slideshow={"slide_type": "-"}
from attnlib import scaled_dot_product_attention

tokens, x = embed(SENTENCES[2])
output, weights = scaled_dot_product_attention(x, x, x)
row_sums = weights.sum(dim=-1)
print("row sums:", row_sums.numpy().round(6))
assert torch.allclose(row_sums, torch.ones(len(tokens)))

# %% [markdown] slideshow={"slide_type": "-"}
# The same weights as a heatmap: one row per query word, one column per key word.
# `attnlib.viz.heatmap` draws every heatmap in the series.

# %% slideshow={"slide_type": "-"}
from attnlib import viz

viz.heatmap(weights, tokens, tokens, title="Self-attention of raw word vectors")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## An explorer
#
# Explorers put sliders next to an idea. Edit the sentence, drag the length or the
# temperature, pick a mask: the heatmap redraws when you release the control. Saved
# notebooks (and GitHub) show the last picture; the live controls need a running kernel.
#
# Each word vector matches itself best, so the heatmap above is mostly its diagonal. This
# explorer starts with that self-match removed (its title says so): each row then shows
# which *other* words the word resembles. Set "self-match" to "kept" to see the diagonal
# come back.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import widgets

widgets.weights_explorer(self_match="removed")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A timing cell
#
# Timing cells measure on the device you have, with warm-up, synchronisation on a GPU and
# the median over repeats (`attnlib.timing`). Their numbers vary from run to run and machine
# to machine, so they are skipped by the output comparison.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import torch.nn.functional as F

device = timing.default_device()
q = torch.randn(8, 256, 64, device=device)
ours = timing.time_fn(scaled_dot_product_attention, q, q, q)
torch_sdpa = timing.time_fn(F.scaled_dot_product_attention, q, q, q)
print(f"attnlib  {ours}")
print(f"PyTorch  {torch_sdpa}")

# %% [markdown] slideshow={"slide_type": "-"}
# Cells that need a GPU check for one and skip with a message when there is none:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    print(f"GPU found: {torch.cuda.get_device_name()}; GPU cells will run.")
else:
    print("No GPU here: GPU-only cells will skip with a message like this one.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `make install` and `make test` set up and check everything; on Colab the first cell of
#   each notebook does the set-up.
# - Heatmaps show weights computed from real inputs: here, word vectors of real sentences.
# - Proof cells fail if a claim is false; explorers redraw on release; timing cells measure
#   your own device.
#
# ## Exercises
#
# Each exercise is a function for you to complete. The cell after it checks your answer on
# inputs you have not seen and prints `[correct]` or what is still wrong. Worked solutions
# are in `solutions/00_welcome.py`: try first.
#
# **Exercise 1.** Write `softmax(s)` for a 1-D tensor of scores without calling
# `torch.softmax`. Subtract the maximum first, so that large scores do not overflow.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb00


def softmax(s):
    raise NotImplementedError


ok = nb00.check_softmax(softmax)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `raw_scores(text)` returning the $(N, N)$ matrix of dot products
# $x_i \cdot x_j$ between the word vectors of `text` (use `embed`).

# %% slideshow={"slide_type": "-"}
def raw_scores(text):
    raise NotImplementedError


ok = nb00.check_raw_scores(raw_scores)
