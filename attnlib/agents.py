"""An agent that attends over the entities of a small grid world (notebook 16).

The world: a G x G grid holding the agent and K other entities, each with a colour. The
goal is the one entity whose colour matches the agent's; the others are distractors. The
right move is a step towards the goal. Every entity is a feature vector (is it the agent,
its colour, its row and column); the entities come in a shuffled order, so a model must
find the goal by what it is, not where it sits in the list.

Three policies of about the same size read the same entities:
    EntityAttention  the agent's own features make the query; it attends over all entities
    MeanPool         the entities' encodings are averaged, then read with the agent's
    FlatMLP          all entities' features concatenated into one vector
"""

import torch
import torch.nn.functional as F
from torch import nn

from .core import scaled_dot_product_attention
from .train import fit

GRID = 7
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange")
MOVES = ("up", "down", "left", "right")
STEP = torch.tensor([[-1, 0], [1, 0], [0, -1], [0, 1]])  # (4, 2): (row, column) change per move
FEATURES = 1 + len(COLOURS) + 2 * GRID  # is-agent flag, colour one-hot, row and column one-hot


def world(batch, entities=8, generator=None):
    """A batch of worlds: colours (B, K), cells (B, K, 2), agent index (B,), goal index (B,).

    Entity order is shuffled. The agent and the goal share a colour; every distractor has
    another colour. All entities sit on different cells.
    """
    n_colours = len(COLOURS)
    agent_colour = torch.randint(n_colours, (batch,), generator=generator)
    others = torch.randint(n_colours - 1, (batch, entities - 2), generator=generator)
    others = others + (others >= agent_colour[:, None]).long()  # any colour but the agent's
    colours = torch.cat([agent_colour[:, None], agent_colour[:, None], others], dim=1)  # (B, K)
    cells = torch.rand(batch, GRID * GRID, generator=generator).argsort(-1)[:, :entities]
    cells = torch.stack([cells // GRID, cells % GRID], dim=-1)  # (B, K, 2) distinct cells
    order = torch.rand(batch, entities, generator=generator).argsort(-1)  # a shuffle per world
    colours, cells = colours.gather(1, order), cells.gather(1, order[..., None].expand_as(cells))
    position = order.argsort(-1)  # where each original entity went
    return colours, cells, position[:, 0], position[:, 1]


def features(colours, cells, agent):
    """Entity features (B, K, FEATURES): is-agent flag, colour, row and column one-hot."""
    is_agent = F.one_hot(agent, colours.shape[1]).float()[..., None]  # (B, K, 1)
    return torch.cat([is_agent, F.one_hot(colours, len(COLOURS)).float(),
                      F.one_hot(cells[..., 0], GRID).float(),
                      F.one_hot(cells[..., 1], GRID).float()], dim=-1)


def good_moves(cells, agent, goal):
    """(B, 4) bool: the moves that bring the agent one step closer to the goal."""
    rows = torch.arange(len(cells))
    gap = cells[rows, goal] - cells[rows, agent]  # (B, 2)
    return (STEP[None] * gap[:, None]).sum(-1) > 0  # the move goes the way of the gap


def task(batch, entities=8, generator=None):
    """x (B, K, FEATURES), agent index (B,), good moves (B, 4), goal index (B,)."""
    colours, cells, agent, goal = world(batch, entities, generator)
    return features(colours, cells, agent), agent, good_moves(cells, agent, goal), goal


class EntityAttention(nn.Module):
    """The agent's features make one query, every entity's features a key; the values are
    the entities' encodings. The attended value and the agent's encoding choose a move."""

    def __init__(self, width=32):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(FEATURES, width), nn.ReLU(), nn.Linear(width, width))
        self.q, self.k = nn.Linear(FEATURES, width), nn.Linear(FEATURES, width)
        self.v = nn.Linear(width, width)
        self.head = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, 4))

    def forward(self, x, agent):
        """x (B, K, F), agent (B,) -> move logits (B, 4), weights (B, K)."""
        rows = torch.arange(len(x))
        h = self.encode(x)  # (B, K, W)
        q = self.q(x[rows, agent])[:, None]  # (B, 1, W): the agent asks
        out, weights = scaled_dot_product_attention(q, self.k(x), self.v(h))  # (B, 1, W), (B, 1, K)
        logits = self.head(torch.cat([h[rows, agent], out[:, 0]], dim=-1))  # (B, 4)
        return logits, weights[:, 0]


class MeanPool(nn.Module):
    """Encode every entity, average the encodings, read them with the agent's encoding."""

    def __init__(self, width=44):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(FEATURES, width), nn.ReLU(), nn.Linear(width, width))
        self.head = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, 4))

    def forward(self, x, agent):
        h = self.encode(x)  # (B, K, W)
        me = h[torch.arange(len(h)), agent]
        weights = torch.full(h.shape[:2], 1.0 / h.shape[1])  # (B, K): equal, by design
        return self.head(torch.cat([me, h.mean(1)], dim=-1)), weights


class FlatMLP(nn.Module):
    """All entities' features in one vector (the order they come in), then an MLP."""

    def __init__(self, entities=8, width=36):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(entities * FEATURES, width), nn.ReLU(),
                                 nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 4))

    def forward(self, x, agent):
        return self.net(x.flatten(1)), None


POLICIES = {"attention": EntityAttention, "mean-pool": MeanPool, "flat MLP": FlatMLP}


def move_loss(model, batch):
    """Minus the log of the probability the policy gives to the good moves together."""
    x, agent, good, _ = batch
    logits, _ = model(x, agent)
    log_p = logits.log_softmax(-1).masked_fill(~good, float("-inf"))
    return -log_p.logsumexp(-1).mean()


def train_policy(kind="attention", steps=600, batch=128, lr=1e-2, seed=0, progress=True):
    """A policy of the given kind trained on fresh worlds; (model, losses)."""
    torch.manual_seed(seed)
    model = POLICIES[kind]()
    return fit(model, lambda gen: task(batch, generator=gen), move_loss, steps, lr, seed, progress)


@torch.no_grad()
def evaluate(model, batch=2000, seed=1):
    """(share of worlds where the chosen move is good, mean attention weight on the goal)."""
    x, agent, good, goal = task(batch, generator=torch.Generator().manual_seed(seed))
    logits, weights = model(x, agent)
    right = good.gather(1, logits.argmax(-1, keepdim=True)).float().mean().item()
    if weights is None:
        return right, None
    return right, weights[torch.arange(batch), goal].mean().item()


# ---------------------------------------------------------------- pictures

PAINT = {"red": "#d62728", "green": "#2ca02c", "blue": "#1f77b4", "yellow": "#e8c100",
         "purple": "#9467bd", "orange": "#ff7f0e"}


class WorldPicture:
    """The grid drawn once; `show(...)` puts one world on it and returns an
    attnlib.widgets.Backdrop (an explorer repaints only the entities; `.fig` is whole).

    The agent is a star, the goal is ringed, every entity is labelled with the attention
    weight the agent gives it (if weights (K,) is given); an arrow shows the chosen move.
    """

    def __init__(self, entities=8):
        from matplotlib.figure import Figure

        from .widgets import Backdrop

        fig = Figure(figsize=(5.0, 4.4))
        ax = fig.add_subplot()
        ax.set_xlim(-0.6, GRID - 0.4)
        ax.set_ylim(GRID - 0.4, -0.6)  # row 0 at the top, so "up" points up
        ax.set_xticks(range(GRID))
        ax.set_yticks(range(GRID))
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        ax.grid(True, color="0.9")
        ax.set_axisbelow(True)  # the grid lines behind the entities
        self.others = ax.scatter([0] * (entities - 1), [0] * (entities - 1), s=260, marker="s",
                                 edgecolors="black", linewidths=0.5)
        self.agent = ax.scatter([0], [0], s=520, marker="*", edgecolors="black")
        self.goal = ax.scatter([0], [0], s=700, facecolors="none", edgecolors="black",
                               linewidths=2)
        self.labels = [ax.annotate("", (0, 0), xytext=(0, -17), textcoords="offset points",
                                   ha="center", fontsize=8) for _ in range(entities)]
        self.arrow = ax.annotate("", (0, 0), (0, 0), arrowprops={"arrowstyle": "->", "lw": 2})
        self.title = ax.set_title(" ", fontsize=10)
        fig.tight_layout()
        self.fig = fig
        self.backdrop = Backdrop(fig, [self.others, self.agent, self.goal, *self.labels,
                                       self.arrow, self.title])

    def show(self, colours, cells, agent, goal, weights=None, move=None, *, title):
        """colours (K,), cells (K, 2), agent and goal indices, weights (K,) or None, move or None."""
        rows, cols = cells[:, 0].tolist(), cells[:, 1].tolist()
        paint = [PAINT[COLOURS[c]] for c in colours.tolist()]
        others = [j for j in range(len(rows)) if j != agent]
        self.others.set_offsets([(cols[j], rows[j]) for j in others])
        self.others.set_facecolors([paint[j] for j in others])
        self.agent.set_offsets([(cols[agent], rows[agent])])
        self.agent.set_facecolors([paint[agent]])
        self.goal.set_offsets([(cols[goal], rows[goal])])
        for j, label in enumerate(self.labels):
            label.xy = (cols[j], rows[j])
            label.set_text("" if weights is None else f"{weights[j]:.2f}")
        self.arrow.set_visible(move is not None)
        if move is not None:
            dr, dc = STEP[move].tolist()
            self.arrow.xy = (cols[agent] + 0.8 * dc, rows[agent] + 0.8 * dr)
            self.arrow.set_position((cols[agent], rows[agent]))
        self.title.set_text(title)
        return self.backdrop


def world_figure(colours, cells, agent, goal, weights=None, move=None, *, title):
    """A Figure of one world (see WorldPicture, which an explorer should keep and reuse)."""
    picture = WorldPicture(len(colours))
    picture.show(colours, cells, agent, goal, weights, move, title=title)
    return picture.fig
