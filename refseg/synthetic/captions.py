"""Image-text pairs for contrastive pretraining, worded with the expressions' vocabulary.

Scene captions describe a whole image (what is there, how it is arranged); object captions
describe one object by all its attributes ("a small red star").
"""

from collections import Counter
from typing import List, Sequence

import numpy as np

from .expressions import Scene
from .phrasing import NUMBERS, object_phrase, with_article
from .world import PLURALS

NUM_RELATION_CAPTIONS = 2


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ', '.join(parts[:-1]) + ' and ' + parts[-1]


def _counted(count: int, singular: str, plural: str) -> str:
    return with_article(singular) if count == 1 else f'{NUMBERS[count]} {plural}'


def inventory_caption(scene: Scene, rng: np.random.Generator) -> str:
    """'three stars, two circles and a heart': how many of each shape."""
    counts = Counter(obj.shape for obj in scene.objects)
    shapes = [str(s) for s in rng.permutation(sorted(counts))]
    return _join([_counted(counts[s], s, PLURALS[s]) for s in shapes])


def colour_caption(scene: Scene, rng: np.random.Generator) -> str:
    """'two red circles, a blue star and ...': how many of each colour and shape."""
    counts = Counter((obj.colour, obj.shape) for obj in scene.objects)
    keys = sorted(counts)
    keys = [keys[i] for i in rng.permutation(len(keys))]
    return _join([_counted(counts[(c, s)], f'{c} {s}', f'{c} {PLURALS[s]}') for c, s in keys])


def listing_caption(scene: Scene, rng: np.random.Generator, num: int = 3) -> str:
    """Some objects with all their attributes, from left to right."""
    chosen = rng.choice(len(scene.objects), min(num, len(scene.objects)), replace=False)
    chosen = sorted(chosen, key=lambda i: scene.objects[i].x)
    return 'from left to right: ' + _join([object_phrase(scene.objects[i]) for i in chosen])


def relation_caption(scene: Scene, rng: np.random.Generator) -> str:
    """'a red star left of a blue circle' for a pair clearly apart along one axis."""
    for _ in range(20):
        i, j = (int(v) for v in rng.choice(len(scene.objects), 2, replace=False))
        a, b = scene.objects[i], scene.objects[j]
        axis = str(rng.choice(['x', 'y']))
        delta = (b.x - a.x) if axis == 'x' else (b.y - a.y)
        if abs(delta) < scene.margin:
            continue
        word = {
            ('x', True): 'left of',
            ('x', False): 'right of',
            ('y', True): 'above',
            ('y', False): 'below',
        }[(axis, delta > 0)]
        return (
            f'{with_article(f"{a.colour} {a.shape}")} {word} '
            f'{with_article(f"{b.colour} {b.shape}")}'
        )
    return inventory_caption(scene, rng)


def image_pairs(
    scene: Scene, annotations: Sequence[dict], image_path: str, rng: np.random.Generator
) -> List[dict]:
    """The pairs of one image: 5 scene captions, then one caption per object."""
    captions = [
        inventory_caption(scene, rng),
        colour_caption(scene, rng),
        listing_caption(scene, rng),
    ]
    captions += [relation_caption(scene, rng) for _ in range(NUM_RELATION_CAPTIONS)]
    pairs = [
        dict(image=image_path, caption=caption, kind='scene', bbox=None, ann_id=None)
        for caption in captions
    ]
    for obj, ann in zip(scene.objects, annotations):
        pairs.append(
            dict(
                image=image_path,
                caption=object_phrase(obj),
                kind='object',
                bbox=list(ann['bbox']),
                ann_id=ann['id'],
            )
        )
    return pairs
