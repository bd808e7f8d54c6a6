"""Draw the demo's example images: scenes of the synthetic world at 640 x 480.

    python demo/make_examples.py            # rewrites demo/demo.jpg, demo/examples/*

A scene is laid out as in the training data (96 x 128, where the main job's model
learnt the shapes' sizes and positions), then drawn 5x larger, so that the picture is
sharp at 640 x 480 and, once letterboxed to the model's input, looks like the training
images. The expressions are the world's own for the scene (2-3 per referent).
"""

import dataclasses
import json
import os.path as osp

import cv2
import mmcv
import numpy as np

from refseg.datasets.synthetic import _annotate, _draw, _sample_scene

DEMO_DIR = osp.dirname(osp.abspath(__file__))
SMALL = (96, 128)
SCALE = 5
# file -> seed; seeds chosen for scenes with 2-3 referents and varied shapes.
EXAMPLES = {
    'demo.jpg': 2,
    'examples/shapes_1.jpg': 4,
    'examples/shapes_2.jpg': 16,
    'examples/shapes_3.jpg': 21,
}


def make_scene(seed: int):
    """(BGR image 480 x 640, list of expressions) of one scene."""
    rng = np.random.default_rng(seed)
    shapes, referents = _sample_scene(rng, *SMALL)
    large = [
        dataclasses.replace(s, x=s.x * SCALE, y=s.y * SCALE, radius=s.radius * SCALE)
        for s in shapes
    ]
    height, width = SMALL[0] * SCALE, SMALL[1] * SCALE
    _, masks = _annotate(large, dict(id=0, height=height, width=width), 0)
    image = _draw(large, masks, rng, height, width)
    return image, [texts[0] for _, texts in referents] + [texts[1] for _, texts in referents[:1]]


def main() -> None:
    table = {
        '_comment': 'Written by demo/make_examples.py (synthetic world, seeds in '
        'the script): image -> expressions.'
    }
    for name, seed in EXAMPLES.items():
        image, texts = make_scene(seed)
        mmcv.imwrite(image, osp.join(DEMO_DIR, name), params=[cv2.IMWRITE_JPEG_QUALITY, 92])
        table[name] = texts
    with open(osp.join(DEMO_DIR, 'examples', 'expressions.json'), 'w', encoding='utf-8') as f:
        json.dump(table, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
