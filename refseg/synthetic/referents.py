"""Which objects of an image become referents, and with which expressions."""

from typing import Dict, List, Tuple

import numpy as np

from .expressions import Expression, Scene, candidate_expressions
from .phrasing import render

NUM_REFS = (1, 2, 3)
NUM_REFS_P = (0.3, 0.4, 0.3)
# The largest and the most central object are chosen half as often as the others, so that
# text-blind rules that always answer with them stay near chance.
SALIENT_WEIGHT = 0.5


def pick_texts(found: Dict[str, List[Expression]], rng: np.random.Generator, num: int) -> List[str]:
    """Up to ``num`` distinct phrasings, drawn from as many kinds as possible."""
    kinds = [str(k) for k in rng.permutation(sorted(found))]
    pools = {kind: [found[kind][i] for i in rng.permutation(len(found[kind]))] for kind in kinds}
    texts: List[str] = []
    while len(texts) < num and any(pools.values()):
        for kind in kinds:
            if pools[kind] and len(texts) < num:
                text = render(pools[kind].pop(), rng)
                if text not in texts:
                    texts.append(text)
    return texts


def referent_weights(scene: Scene) -> np.ndarray:
    """Sampling weight of each object as a referent (salient objects down-weighted)."""
    weights = np.ones(len(scene.objects))
    largest = max(range(len(scene.objects)), key=scene.area)
    cx, cy = scene.width / 2, scene.height / 2
    central = min(range(len(scene.objects)), key=lambda i: scene.distance(i, cx, cy))
    weights[largest] *= SALIENT_WEIGHT
    weights[central] *= SALIENT_WEIGHT
    return weights / weights.sum()


def choose_referents(scene: Scene, rng: np.random.Generator) -> List[Tuple[int, List[str]]]:
    """1-3 referents of an image, each with 2-3 expressions that select it alone.

    Returns:
        list[tuple[int, list[str]]]: (object index, sentences), by object index; empty if
        no object has two distinct expressions.
    """
    num_refs = int(rng.choice(NUM_REFS, p=NUM_REFS_P))
    order = rng.choice(
        len(scene.objects), len(scene.objects), replace=False, p=referent_weights(scene)
    )
    referents = []
    for target in order:
        found = candidate_expressions(scene, int(target), rng)
        texts = pick_texts(found, rng, int(rng.integers(2, 4)))
        if len(texts) >= 2:
            referents.append((int(target), texts))
        if len(referents) == num_refs:
            break
    return sorted(referents)
