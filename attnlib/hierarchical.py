"""Hierarchical attention: words within sentences, sentences within documents (notebook 12).
Work in progress."""
