"""A FlashAttention forward kernel in Triton (notebook 19). Work in progress."""
