"""Recurrent encoder-decoders with and without attention (notebook 09). Work in progress."""
