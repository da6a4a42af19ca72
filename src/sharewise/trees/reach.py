"""Reachability and loops over a tree's routes: pure graph code, no YAML and no messages.

A graph is a mapping from each question id to the ids its routes lead to (questions or outcomes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["find_loops", "reached_from"]


def reached_from(roots: Sequence[str], edges: Mapping[str, list[str]], pulls: Mapping[str, Sequence[str]]) -> set[str]:
    """Every id reached from ``roots`` along ``edges``; reaching an id in ``pulls`` reaches its list too.

    (An outcome pulls in the record questions it asks.)
    """
    reached: set[str] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in reached:
            continue
        reached.add(current)
        if current in edges:
            stack.extend(edges[current])
        elif current in pulls:
            stack.extend(pulls[current])
    return reached


def find_loops(start: str, edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Each loop once, in the order a depth-first walk from ``start`` (then every other id) meets it.

    A loop is given as the path round it back to where it began: ``[a, b, c, a]``.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    reported: set[frozenset[str]] = set()
    found: list[list[str]] = []
    for root in [start, *edges]:
        if colour.get(root) != white:
            continue
        colour[root] = grey
        path = [root]
        iters = [iter(edges[root])]
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                iters.pop()
                continue
            state = colour.get(nxt)
            if state is None or state == black:
                continue
            if state == grey:
                loop = path[path.index(nxt) :]
                key = frozenset(loop)
                if key not in reported:
                    reported.add(key)
                    found.append([*loop, nxt])
                continue
            colour[nxt] = grey
            path.append(nxt)
            iters.append(iter(edges[nxt]))
    return found
