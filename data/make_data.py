"""Regenerate data/embeddings.safetensors, deterministically.

The series embeds sentences with a small word embedding it makes itself, so that every
heatmap shows attention computed from real inputs without downloading anything:

1. write a corpus of simple English sentences from templates (seeded);
2. count how often two words occur within two positions of each other;
3. turn the counts into positive pointwise mutual information (PPMI);
4. keep the top D singular directions (truncated SVD) as word vectors.

Words used in similar contexts ("cat", "dog") get similar vectors, so their dot product,
the raw attention score, is high. Run:  python data/make_data.py (or make data), which
also runs every data/gen_<name>.py: one generator per dataset, each documenting its files.
"""

import json
import random
import runpy
from pathlib import Path

import torch
from safetensors.torch import save_file

DIM = 32
SEED = 0
OUT = Path(__file__).with_name("embeddings.safetensors")

WORDS = {
    "animal": ["cat", "dog", "bird", "horse", "cow", "mouse", "fox", "rabbit"],
    "food": ["fish", "bread", "apple", "cheese", "rice", "soup", "cake", "grass"],
    "person": ["teacher", "doctor", "child", "student", "farmer", "driver", "artist", "nurse"],
    "vehicle": ["car", "bike", "bus", "train", "boat", "truck"],
    "place": ["park", "river", "school", "city", "garden", "forest", "market", "station"],
    "colour": ["red", "blue", "green", "yellow", "black", "white"],
    "eat": ["eats", "likes", "wants", "finds"],
    "move": ["drives", "rides", "takes", "parks"],
    "see": ["sees", "watches", "follows", "chases"],
    "size": ["small", "big", "old", "young", "quick", "lazy"],
}
TEMPLATES = [
    "the {animal} {eat} the {food}",
    "the {size} {animal} {eat} {food}",
    "a {colour} {animal} {see} the {animal}",
    "the {person} {move} the {colour} {vehicle}",
    "the {person} {move} a {vehicle} to the {place}",
    "the {person} {eat} {food} in the {place}",
    "a {size} {person} {see} the {animal} in the {place}",
    "the {vehicle} is {colour} and {size}",
    "the {animal} sleeps in the {place}",
    "the {person} walks to the {place} by {vehicle}",
    "it is a {colour} {vehicle}",
    "the {animal} is {size} and {colour}",
]


def make_corpus(n_sentences=6000, seed=SEED):
    """A list of tokenised sentences drawn from the templates."""
    rng = random.Random(seed)
    corpus = []
    for _ in range(n_sentences):
        template = rng.choice(TEMPLATES)
        words = []
        for part in template.split():
            if part.startswith("{"):
                words.append(rng.choice(WORDS[part.strip("{}")]))
            else:
                words.append(part)
        corpus.append(words)
    return corpus


def ppmi_svd(corpus, dim=DIM, window=2):
    """Word vectors (V, dim) from the PPMI matrix of co-occurrence counts."""
    vocab = sorted({w for sentence in corpus for w in sentence})
    index = {w: i for i, w in enumerate(vocab)}
    counts = torch.zeros(len(vocab), len(vocab), dtype=torch.float64)
    for sentence in corpus:
        for i, w in enumerate(sentence):
            for j in range(max(0, i - window), min(len(sentence), i + window + 1)):
                if j != i:
                    counts[index[w], index[sentence[j]]] += 1
    total = counts.sum()
    p_word = counts.sum(1, keepdim=True) / total
    p_context = counts.sum(0, keepdim=True) / total
    pmi = torch.log((counts / total) / (p_word * p_context))
    ppmi = torch.where(torch.isfinite(pmi) & (pmi > 0), pmi, torch.zeros_like(pmi))
    u, s, _ = torch.linalg.svd(ppmi)
    vectors = u[:, :dim] * s[:dim].sqrt()  # (V, dim)
    # Fix each direction's sign so the file is identical on every machine.
    signs = torch.sign(vectors[vectors.abs().argmax(0), torch.arange(dim)])
    vectors = vectors * signs
    # Every word vector gets norm sqrt(dim): scores q.k are then of order dim, like
    # the unit-variance features a trained model's projections produce.
    vectors = vectors / vectors.norm(dim=1, keepdim=True) * dim**0.5
    return ["<unk>"] + vocab, torch.cat([torch.zeros(1, dim), vectors.float()])


def main():
    vocab, vectors = ppmi_svd(make_corpus())
    save_file({"vectors": vectors.contiguous()}, OUT, metadata={"vocab": json.dumps(vocab)})
    print(f"wrote {OUT.name}: {len(vocab)} words x {vectors.shape[1]} dims")
    # Every other dataset has its own generator beside this file: data/gen_<name>.py.
    for script in sorted(Path(__file__).parent.glob("gen_*.py")):
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
