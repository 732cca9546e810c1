"""The operation diagram: each branch a column of its actions, the declared order in grey, and
the path actually taken (including jumps and returns to main) drawn over it. Pure geometry:
the template draws it as SVG, so the page needs no JavaScript library."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.operations.models import Action
from webapp.operations.queries import OperationDetail

NODE_WIDTH = 190
NODE_HEIGHT = 46
COLUMN_GAP = 70
ROW_GAP = 34
MARGIN = 24
HEADER = 26
LABEL_CHARS = 24


def _classes(kind: str, variant: str, **flags: bool) -> str:
    """``kind kind-variant``, then the name of each flag that is set."""
    return " ".join([kind, f"{kind}-{variant}", *(name for name, on in flags.items() if on)])


@dataclass(frozen=True)
class Node:
    action_id: int
    x: int
    y: int
    label: str
    title: str
    state: str
    taken: bool
    current: bool
    step: int | None  # its place on the path taken (1, 2, ...), None if not on it

    @property
    def classes(self) -> str:
        return _classes("node", self.state, taken=self.taken, current=self.current)


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    d: str  # the SVG path
    taken: bool
    via: str  # "seq" (declared order, not taken), or how the path went: next/jump/return

    @property
    def classes(self) -> str:
        return _classes("edge", self.via, taken=self.taken)


@dataclass(frozen=True)
class Column:
    name: str
    x: int


@dataclass
class Diagram:
    width: int
    height: int
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT
    columns: list[Column] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def _label(action: Action) -> str:
    name = action.short_name
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _route(a: tuple[int, int], b: tuple[int, int]) -> str:
    """An SVG path between two node boxes (their top-left corners)."""
    (ax, ay), (bx, by) = a, b
    if ax == bx:
        cx = ax + NODE_WIDTH // 2
        if by > ay:  # straight down the column
            return f"M{cx},{ay + NODE_HEIGHT} L{cx},{by}"
        # Back up the same column: loop out to the right of it.
        right = ax + NODE_WIDTH
        out = right + COLUMN_GAP // 2
        sy, ty = ay + NODE_HEIGHT // 2, by + NODE_HEIGHT // 2
        return f"M{right},{sy} C{out},{sy} {out},{ty} {right},{ty}"
    # Across columns: leave from the side facing the target, arrive at the other side;
    # rightward edges run a little higher than leftward ones so a there-and-back pair (a jump
    # and the return to main) stays two lines.
    if bx > ax:
        sx, tx, level = ax + NODE_WIDTH, bx, NODE_HEIGHT * 2 // 5
    else:
        sx, tx, level = ax, bx + NODE_WIDTH, NODE_HEIGHT * 3 // 5
    sy, ty = ay + level, by + level
    mid = (sx + tx) // 2
    return f"M{sx},{sy} C{mid},{sy} {mid},{ty} {tx},{ty}"


def build_diagram(detail: OperationDetail) -> Diagram:
    """Lay out the branches of one operation and mark the path it took."""
    on_path = {step.action.id: i + 1 for i, step in enumerate(detail.path)}
    current = {step.action.id for step in detail.path if step.current}
    origin: dict[int, tuple[int, int]] = {}
    rows = max((len(b.actions) for b in detail.branches), default=0)
    diagram = Diagram(
        width=2 * MARGIN
        + len(detail.branches) * NODE_WIDTH
        + max(len(detail.branches) - 1, 0) * COLUMN_GAP
        + COLUMN_GAP // 2,  # room for an edge looping back up the last column
        height=2 * MARGIN + HEADER + rows * NODE_HEIGHT + max(rows - 1, 0) * ROW_GAP,
    )
    for col, branch in enumerate(detail.branches):
        x = MARGIN + col * (NODE_WIDTH + COLUMN_GAP)
        diagram.columns.append(Column(branch.name, x))
        for row, action in enumerate(branch.actions):
            y = MARGIN + HEADER + row * (NODE_HEIGHT + ROW_GAP)
            origin[action.id] = (x, y)
            diagram.nodes.append(
                Node(
                    action_id=action.id,
                    x=x,
                    y=y,
                    label=_label(action),
                    title=f"{action.name} ({action.state})",
                    state=action.state,
                    taken=action.id in on_path,
                    current=action.id in current,
                    step=on_path.get(action.id),
                )
            )
    path_edges = {
        (prev.action.id, step.action.id): step.via
        for prev, step in zip(detail.path, detail.path[1:], strict=False)
    }
    for branch in detail.branches:
        for a, b in zip(branch.actions, branch.actions[1:], strict=False):
            if (a.id, b.id) not in path_edges:
                diagram.edges.append(
                    Edge(a.id, b.id, _route(origin[a.id], origin[b.id]), False, "seq")
                )
    # The path last, so it is drawn over the declared order.
    for (source, target), via in path_edges.items():
        diagram.edges.append(
            Edge(source, target, _route(origin[source], origin[target]), True, via)
        )
    return diagram
