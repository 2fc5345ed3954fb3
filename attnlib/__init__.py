"""attnlib: the small PyTorch package behind the attention notebook series.

Modules, one concept each: core (scaled dot-product attention), masks, multihead,
positional, blocks (encoder and decoder blocks), efficient (attention that scales),
timing, bench (FLOPs, memory, sweeps), analysis (entropy and friends), viz (heatmaps),
widgets (live explorers), data (embeddings and toy tasks), models and train (tiny models
and their training loops), exercises (checks for the notebooks' exercises).
"""

from . import masks, timing
from .core import masked_softmax, scaled_dot_product_attention
from .multihead import MultiHeadAttention

__version__ = "0.1.0"

__all__ = ["MultiHeadAttention", "masked_softmax", "masks", "scaled_dot_product_attention", "timing"]
