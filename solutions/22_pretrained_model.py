"""Worked solutions for notebook 22. Try the exercises first."""

import re


def masked_mean(hidden, key_mask):
    keep = key_mask[..., None].to(hidden.dtype)  # (B, N, 1): 1 on real tokens, 0 on padding
    return (hidden * keep).sum(1) / keep.sum(1)  # (B, E): divide by each sentence's own count


INSIDE = {  # Hugging Face's BERT names -> attnlib's EncoderBlock names
    "attention.self.query": "self_attn.q_proj",
    "attention.self.key": "self_attn.k_proj",
    "attention.self.value": "self_attn.v_proj",
    "attention.output.dense": "self_attn.out_proj",
    "attention.output.LayerNorm": "norm1",  # post-norm: the norm after attention's add
    "intermediate.dense": "ff.linear1",
    "output.dense": "ff.linear2",
    "output.LayerNorm": "norm2",
}


def our_key(name):
    layer, inside, kind = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)", name).groups()
    return f"blocks.{layer}.{INSIDE[inside]}.{kind}"


def previous_token_head(weights):
    L, H = weights.shape[:2]
    previous = weights.diagonal(offset=-1, dim1=-2, dim2=-1)  # (L, H, N-1): query i, key i-1
    best = previous.mean(-1).argmax().item()  # over the flattened (L, H)
    return divmod(best, H)  # (layer, head)


CHECKS = {
    "check_masked_mean": masked_mean,
    "check_our_key": our_key,
    "check_previous_token_head": previous_token_head,
}
