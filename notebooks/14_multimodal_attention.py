# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: A question cross-attends over the patches of synthetic scenes to find the
#       object it asks about; pooling the image first leaves nothing to choose from.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/14_multimodal_attention.ipynb)

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
# # 14 · Multimodal attention: a question looks at a picture
#
# Cross-attention does not care where its queries and keys come from. Here the query is a
# question, written in words, and the keys and values are the patches of a picture. The
# question "what colour is the circle?" must find the circle's patch and read its colour.
#
# **In this notebook you will:**
# - build scenes of coloured shapes on a grid of patches, and a model whose question
#   cross-attends over the patches, checked against PyTorch's `nn.MultiheadAttention`;
# - train it and see it answer about objects at places it never saw them, with its
#   attention on the asked object's patch;
# - prove what goes wrong when the picture is pooled into one vector before the question
#   attends, and measure it.

# %% slideshow={"slide_type": "-"}
import torch
from torch import nn

from attnlib import multimodal as mm

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Scenes and questions
#
# A scene is a $4 \times 4$ grid of **patches** holding 3 objects, each a shape in a colour;
# in one scene no two objects share a shape or a colour. The question names a shape in the
# scene and asks for its colour. Scenes are drawn on the fly from a seeded generator.

# %% slideshow={"slide_type": "-"}
shapes, colours, cells, asked = mm.scenes(1, generator=torch.Generator().manual_seed(4))
for s, c, p in zip(shapes[0].tolist(), colours[0].tolist(), cells[0].tolist()):
    print(f"{mm.COLOURS[c]:<7} {mm.SHAPES[s]:<9} in patch {p} (row {p // 4}, column {p % 4})")
question = mm.question_words(mm.SHAPES[shapes[0, asked[0]]])
print("question:", " ".join(question), " answer:", mm.COLOURS[colours[0, asked[0]]])

# %% slideshow={"slide_type": "-"}
mm.scene_figure(shapes[0].tolist(), colours[0].tolist(), cells[0].tolist(),
                title="A scene: 3 objects on 16 patches")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Patch features and word ids
#
# Each patch becomes the vector a small vision encoder might give: 4 **shape channels**
# and 5 **colour channels**, one-hot, all zero for an empty patch. A scene is a tensor of
# shape $(B, P, F) = (B, 16, 9)$. The question becomes word ids $(B, L) = (B, 6)$.

# %% slideshow={"slide_type": "-"}
x = mm.patch_features(shapes, colours, cells)
words = mm.encode_words([question])
print("patches:", tuple(x.shape), " question:", tuple(words.shape))
print("patch", cells[0, 0].item(), "channels:", x[0, cells[0, 0]].int().tolist())
print("empty patches are all zero:", int((x[0].sum(-1) == 0).sum()), "of 16")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The model: the question asks, the patches answer
#
# Each patch is embedded linearly and given a learned position, $m_p = W_e x_p + e_p$ (as a
# vision transformer embeds its patches). The question's word embeddings are summed into
# one vector $u$. One head of cross-attention:
#
# $$q = W_q u, \quad k_p = W_k m_p, \quad v_p = W_v m_p, \qquad
#   \alpha_p = \operatorname{softmax}_p\!\Big(\frac{q \cdot k_p}{\sqrt{E}}\Big), \qquad
#   o = W_o \sum_p \alpha_p v_p ,$$
#
# and a small network reads $[u ; o]$ and scores the 5 colours. Step by step, untrained:

# %% slideshow={"slide_type": "-"}
model = mm.PatchQA(width=32)
att = model.attend
with torch.no_grad():
    m = model.memory(x)  # (B, P, E): every patch embedded, plus its position
    u = model.words(words).sum(1, keepdim=True)  # (B, 1, E): one query per question
    q, k, v = att.q_proj(u), att.k_proj(m), att.v_proj(m)
    weights = (q @ k.transpose(-2, -1) / 32**0.5).softmax(-1)  # (B, 1, P)
    o = att.out_proj(weights @ v)  # (B, 1, E)
    logits = model.head(torch.cat([u[:, 0], o[:, 0]], -1))  # (B, 5)
print("weights:", tuple(weights.shape), " logits:", tuple(logits.shape))

# %% [markdown] slideshow={"slide_type": "-"}
# The same steps through the model's `forward`, and the attention through PyTorch's
# `nn.MultiheadAttention` with the weights copied:

# %% slideshow={"slide_type": "-"}
torch_att = nn.MultiheadAttention(32, 1, batch_first=True)
with torch.no_grad():
    torch_att.in_proj_weight.copy_(torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight]))
    torch_att.in_proj_bias.copy_(torch.cat([att.q_proj.bias, att.k_proj.bias, att.v_proj.bias]))
    torch_att.out_proj.load_state_dict(att.out_proj.state_dict())
    ours_logits, ours_weights = model(x, words)
    torch_o, torch_w = torch_att(u, m, m)
print("build == model:", torch.allclose(logits, ours_logits, atol=1e-6)
      and torch.allclose(weights[:, 0], ours_weights, atol=1e-6))
print("attention == nn.MultiheadAttention:", torch.allclose(o, torch_o, atol=1e-6)
      and torch.allclose(weights, torch_w, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Train, then ask about objects never seen there
#
# Eight objects are **held out**: a shape in a colour at one patch, such as a green circle
# in patch 5. No training scene contains any of them (green circles appear elsewhere, and
# other things appear in patch 5). Every test scene asks about one of them.

# %% slideshow={"slide_type": "-"}
print("held out (shape, colour, patch):", mm.HELD_OUT[:3], "...")
train_shapes, train_colours, train_cells, _ = mm.scenes(5000, generator=torch.Generator().manual_seed(0))
test_shapes, test_colours, test_cells, test_asked = mm.scenes(
    500, held_out=True, generator=torch.Generator().manual_seed(1))
rows = torch.arange(500)
print("held-out objects in 5000 training scenes:",
      int(mm.held_out_objects(train_shapes, train_colours, train_cells).sum()))
print("test scenes asking about a held-out object:",
      int(mm.held_out_objects(test_shapes, test_colours, test_cells)[rows, test_asked].sum()), "of 500")

# %% [markdown] slideshow={"slide_type": "-"}
# The model trains for 500 steps of 64 fresh scenes, then answers 2000 held-out scenes:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
trained, _ = mm.train_qa("cross-attention", seed=0)
right, on_asked = mm.evaluate(trained)
print(f"held-out accuracy {right:.3f}, mean weight on the asked object's patch {on_asked:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The claims, as bounds that hold on each of five seeds in `tests/test_learned_claims_14.py`:

# %% slideshow={"slide_type": "-"}
assert right >= 0.95 and on_asked >= 0.8
print("held-out accuracy >= 0.95 and >= 0.8 of the weight on the asked patch: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where the question looks
#
# The trained model on a held-out scene: each patch is shaded and labelled with the weight
# the question gives it.

# %% slideshow={"slide_type": "-"}
b = 0
with torch.no_grad():
    test_x = mm.patch_features(test_shapes[b:b + 1], test_colours[b:b + 1], test_cells[b:b + 1])
    shape = mm.SHAPES[test_shapes[b, test_asked[b]]]
    logits, w = trained(test_x, mm.encode_words([mm.question_words(shape)]))
mm.scene_figure(test_shapes[b].tolist(), test_colours[b].tolist(), test_cells[b].tolist(), w[0],
                title=f"what colour is the {shape}? {mm.COLOURS[logits.argmax()]}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The mistake: pooling the picture first
#
# A tempting shortcut averages the patches into one vector and lets the question attend to
# that. With one key, the softmax has nothing to choose: its one weight is 1. Worse, the
# average of linear patch embeddings only counts shapes and colours, so it forgets which
# colour belongs to which shape. Two scenes with the colours of two objects swapped give
# the pooled model exactly the same input, so it must get at least one of them wrong:

# %% slideshow={"slide_type": "-"}
pooled = mm.PooledQA()
swapped = colours.clone()
swapped[0, [0, 1]] = colours[0, [1, 0]]  # the first two objects exchange colours
with torch.no_grad():
    a_logits, a_w = pooled(mm.patch_features(shapes, colours, cells), words)
    b_logits, b_w = pooled(mm.patch_features(shapes, swapped, cells), words)
    c_logits, _ = model(mm.patch_features(shapes, swapped, cells), words)
print("pooled: one weight, equal to 1:", tuple(a_w.shape), bool((a_w == 1).all()))
print("pooled: same answer scores for both scenes:", torch.allclose(a_logits, b_logits, atol=1e-6))
print("cross-attention: same answer scores for both scenes:",
      torch.allclose(ours_logits, c_logits, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "-"}
# Trained the same way on the same scenes, the two side by side:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
trained_pooled, _ = mm.train_qa("pooled", seed=0)
pooled_right, pooled_weight = mm.evaluate(trained_pooled)
print(f"{'model':<16} {'accuracy':>9} {'weight on the asked object':>27}")
print(f"{'cross-attention':<16} {right:>9.3f} {on_asked:>27.3f}")
print(f"{'pooled':<16} {pooled_right:>9.3f} {pooled_weight:>27.3f}  (its only vector)")

# %% slideshow={"slide_type": "-"}
assert pooled_weight == 1.0 and right - pooled_right >= 0.5
print("pooled: weight 1.0 on its one vector, accuracy >= 0.5 below cross-attention: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: ask about a scene
#
# Pick a scene and the shape to ask about, and watch where the question looks. Ask about a
# shape that is not in the scene to see where the attention goes when there is nothing to
# find (patches under 0.01 are shaded but not labelled), and switch to the pooled model:
# its single weight covers every patch.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W

from attnlib.widgets import Explorer

picture = mm.ScenePicture()
models = {"cross-attention": trained, "pooled": trained_pooled}


def draw_scene(scene, shape, model_name):
    s, c, p, _ = (t[0] for t in mm.scenes(1, held_out=True, generator=torch.Generator().manual_seed(scene)))
    with torch.no_grad():
        logits, w = models[model_name](mm.patch_features(s[None], c[None], p[None]),
                                       mm.encode_words([mm.question_words(shape)]))
    answer = mm.COLOURS[logits.argmax()]
    pooled = w.shape[-1] == 1  # its one weight is on the average of all patches
    shown = picture.show(s.tolist(), c.tolist(), p.tolist(), w[0].expand(16) if pooled else w[0],
                         title=f"scene {scene}, {model_name}: what colour is the {shape}? {answer}",
                         label_min=2 if pooled else 0.01)
    here = [k for k in range(3) if mm.SHAPES[s[k]] == shape]
    truth = f"the {shape} is {mm.COLOURS[c[here[0]]]}" if here else f"there is no {shape} here"
    looked = "weight 1.00 on the one pooled vector" if pooled else f"largest weight {w.max():.2f}"
    return shown, f"answer: {answer}; {truth}; {looked}"


scene_explorer = Explorer("scene", {
    "scene": W.IntSlider(value=0, min=0, max=99, description="scene", continuous_update=False),
    "shape": W.Dropdown(options=mm.SHAPES, value="cross", description="ask about"),
    "model_name": W.Dropdown(options=list(models), value="cross-attention", description="model"),
}, draw_scene)
scene_explorer

# %% [markdown] slideshow={"slide_type": "-"}
# The redraw time of each model, median over asking about each shape in turn (a model run
# plus a repaint of the picture):

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import statistics

for name in models:
    times = []
    for shape in mm.SHAPES:
        scene_explorer.set(model_name=name, shape=shape)
        times.append(1000 * scene_explorer.last_redraw_s)
    print(f"{name:<16} redraw {statistics.median(times):5.1f} ms (median of {len(times)})")
scene_explorer.set(model_name="cross-attention", shape="cross")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# One answer for 1024 scenes at once, for each model.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

x_many, q_many, _, _ = mm.task(1024, generator=torch.Generator().manual_seed(2))
for name, net in models.items():
    print(f"{name:<16} {timing.time_fn(lambda n=net: n(x_many, q_many))}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - In multimodal cross-attention the query comes from words and the keys and values from
#   image patches; the attention step is exactly `nn.MultiheadAttention`'s.
# - Trained on the scenes, the question's attention lands on the asked object's patch
#   (at least 0.8 of the weight) and answers at least 0.95 of scenes about objects never
#   seen at that place, on every seed tested.
# - Pooling the picture into one vector first leaves the softmax one choice (weight 1)
#   and loses which colour goes with which shape: two swapped scenes look identical, and
#   accuracy falls by at least 0.5.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Worked solutions are in `solutions/14_multimodal_attention.py`: try first.
#
# **Exercise 1.** Write `patch_index(rows, cols, grid)`: the index of each patch in the
# flattened grid, row by row (patch 0 is the top-left, patch `grid` starts the second row).

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb14


def patch_index(rows, cols, grid):
    raise NotImplementedError


ok = nb14.check_patch_index(patch_index)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `question_attends(u, m, w_q, w_k, w_v)`: one head of cross-attention
# without biases from question vectors $u$ $(B, 1, E)$ over patches $m$ $(B, P, E)$, with
# weight matrices $(E, E)$ used as `x @ w`. Return (output $(B, 1, E)$, weights $(B, 1, P)$).

# %% slideshow={"slide_type": "-"}
def question_attends(u, m, w_q, w_k, w_v):
    raise NotImplementedError


ok = nb14.check_question_attends(question_attends)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write `weight_on_asked(weights, asked)`: from weights $(B, P)$ and the
# asked object's patch $(B,)$, the mean weight on the asked patch, as a float.

# %% slideshow={"slide_type": "-"}
def weight_on_asked(weights, asked):
    raise NotImplementedError


ok = nb14.check_weight_on_asked(weight_on_asked)
