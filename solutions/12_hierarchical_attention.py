"""Worked solutions for notebook 12. Try the exercises first."""

import torch


def attention_pool(h, keys, u, mask):
    scores = keys @ u  # (B, N): one score per item against the context vector
    scores = scores.masked_fill(~mask, float("-inf"))  # padding can never win
    # A row of -inf only: softmax would give 0/0 = NaN. Give it finite scores, then zero it.
    empty = ~mask.any(-1, keepdim=True)  # (B, 1)
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    return (weights[:, :, None] * h).sum(1), weights  # (B, E), (B, N)


def document_masks(ids):
    words = ids != 0  # (B, S, N): True for a real word
    return words, words.any(-1)  # a sentence is real if it has one real word


def word_shares(word_w, sentence_w):
    # d = sum_i alpha_i s_i = sum_i alpha_i sum_t beta_it h_it: word t's share is alpha_i beta_it.
    return sentence_w[:, :, None] * word_w  # (B, S, N)


CHECKS = {
    "check_attention_pool": attention_pool,
    "check_document_masks": document_masks,
    "check_word_shares": word_shares,
}
