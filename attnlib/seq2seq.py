"""A transformer encoder-decoder for sequence-to-sequence tasks (notebook 10). Work in progress."""
