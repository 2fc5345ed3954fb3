"""attnlib: the small PyTorch package behind the attention notebook series.

Modules, one concept each: core (scaled dot-product attention), masks, multihead,
timing, viz (heatmaps), widgets (live explorers), data (embeddings and toy tasks),
train (tiny training loops), exercises (checks for the notebooks' exercises).
"""

from . import masks, timing
from .core import masked_softmax, scaled_dot_product_attention
from .multihead import MultiHeadAttention

__version__ = "0.1.0"

__all__ = ["MultiHeadAttention", "masked_softmax", "masks", "scaled_dot_product_attention", "timing"]
