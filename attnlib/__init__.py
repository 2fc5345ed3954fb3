"""attnlib: the small PyTorch package behind the attention notebook series.

`import attnlib` makes every concept module reachable: attnlib.core (scaled dot-product
attention), masks, multihead, positional, blocks (encoder and decoder blocks), efficient
(attention that scales), timing, bench (the sweep over implementations), flops (FLOPs and
GPU peaks), memory (peak memory), report (the sweep's tables, plots and environment),
analysis (entropy and friends), validate, viz (heatmaps), widgets (live explorers), data
(embeddings and toy tasks), models and train (tiny models and their training loop),
recurrent (RNN encoder-decoders with Bahdanau and Luong attention), seq2seq (a transformer
encoder-decoder), textapps (text applications), graphs (graph attention), agents (an agent
attending over entities), multimodal (a question attending over image patches),
hierarchical (word- then sentence-level attention), vision (attention over images: a
conv feature map, patches, a tiny ViT), flash_triton
(a FlashAttention kernel in Triton; triton is imported only when it is used), kvcache (the
KV cache and cached decoding), gqa (grouped-query attention and KV-cache sizes), mla
(multi-head latent attention), pruning (removing heads), pretrained (a real pretrained
encoder in attnlib's blocks), attribution (reading attention: rollout, flow, ablation),
bugs (the classic attention bugs and the checks that catch them), exercises (one check
module per notebook). Importing it changes no global setting: call
attnlib.viz.use_style() to give your own matplotlib figures the series' look.
"""

import sys

PYTHON_FLOOR = (3, 11)
"""The oldest Python the series supports; pyproject.toml and the README say the same."""

if sys.version_info < PYTHON_FLOOR:
    raise ImportError(
        f"attnlib needs Python {PYTHON_FLOOR[0]}.{PYTHON_FLOOR[1]} or newer, "
        f"this is {sys.version.split()[0]}"
    )

from . import (  # noqa: E402  (after the version check, on purpose)
    agents,
    analysis,
    attribution,
    bench,
    blocks,
    bugs,
    core,
    data,
    efficient,
    exercises,
    flash_triton,
    flops,
    gqa,
    graphs,
    hierarchical,
    kvcache,
    masks,
    memory,
    mla,
    models,
    multihead,
    multimodal,
    positional,
    pretrained,
    pruning,
    recurrent,
    report,
    seq2seq,
    textapps,
    timing,
    train,
    validate,
    vision,
    viz,
    widgets,
)
from .core import masked_softmax, scaled_dot_product_attention  # noqa: E402
from .multihead import MultiHeadAttention  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "MultiHeadAttention", "agents", "analysis", "attribution", "bench", "blocks", "bugs",
    "core", "data", "efficient", "exercises", "flash_triton", "flops", "gqa", "graphs",
    "hierarchical", "kvcache", "masked_softmax", "masks", "memory", "mla", "models",
    "multihead", "multimodal", "positional", "pretrained", "pruning",
    "recurrent",
    "report", "scaled_dot_product_attention", "seq2seq", "textapps", "timing", "train",
    "validate", "vision", "viz", "widgets",
]
