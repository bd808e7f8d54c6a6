"""Whole-object instances from a PartImageNet part file, for an object-level detector.

Usage::

    python tools/dataset_converters/partimagenet_objects.py \
        data/partimagenet_synthetic/annotations/train/train.json \
        data/partimagenet_synthetic/annotations/train/train_objects.json

For every image, the part annotations of each superclass become one object annotation
(the union of their polygons) of the class that ``--class-map`` gives the superclass; by
default COCO's names for the superclasses COCO covers (Quadruped -> dog, Bird -> bird,
Car -> car, Bicycle -> bicycle, Boat -> boat, Aeroplane -> airplane, Bottle -> bottle) and
none for Biped, Fish, Snake and Reptile, which COCO lacks. The synthetic study
(tools/run_partseg_study.sh) trains a tiny Mask R-CNN on these objects as the offline
stand-in for a COCO-pretrained detector (baseline A). Degenerate polygons are dropped as
the referring loader drops them.
"""

import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, Optional, Sequence

COCO_NAMES: Dict[str, str] = dict(
    Quadruped='dog',
    Bird='bird',
    Car='car',
    Bicycle='bicycle',
    Boat='boat',
    Aeroplane='airplane',
    Bottle='bottle',
)


def objects_from_parts(coco: dict, class_map: Dict[str, str]) -> dict:
    """The object-level COCO dict of a part-level one (see the module docstring)."""
    from pycocotools import mask as mask_utils

    from refseg.datasets.partimagenet import valid_polygons

    supercategory = {cat['id']: cat['supercategory'] for cat in coco['categories']}
    names = sorted(set(class_map.values()))
    category_ids = {name: index for index, name in enumerate(names)}
    images = {image['id']: image for image in coco['images']}
    groups: Dict[tuple, list] = {}
    for ann in coco['annotations']:
        if ann.get('area', 1) == 0 or not isinstance(ann['segmentation'], list):
            continue
        name = class_map.get(supercategory[ann['category_id']])
        polygons, _ = valid_polygons(ann['segmentation'])
        if name is None or not polygons:
            continue
        groups.setdefault((ann['image_id'], name), []).extend(polygons)
    annotations = []
    for (image_id, name), polygons in sorted(groups.items()):
        image = images[image_id]
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, image['height'], image['width']))
        area = float(mask_utils.area(rle))
        if area == 0:
            continue
        annotations.append(
            dict(
                id=len(annotations) + 1,
                image_id=image_id,
                category_id=category_ids[name],
                segmentation=polygons,
                area=area,
                iscrowd=0,
                bbox=[float(v) for v in mask_utils.toBbox(rle)],
            )
        )
    categories = [
        dict(id=index, name=name, supercategory='object') for name, index in category_ids.items()
    ]
    return dict(images=coco['images'], annotations=annotations, categories=categories)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='a PartImageNet <split>.json')
    parser.add_argument('out_file', help='where to write the object-level file')
    parser.add_argument(
        '--class-map', help='JSON file {superclass: class name} (default: the COCO names above)'
    )
    args = parser.parse_args(argv)
    from mmengine.fileio import load

    class_map = load(args.class_map) if args.class_map else COCO_NAMES
    objects = objects_from_parts(load(args.ann_file), class_map)
    out_dir = osp.dirname(osp.abspath(args.out_file))
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile('w', dir=out_dir, suffix='.json', delete=False) as tmp:
        json.dump(objects, tmp)
    os.replace(tmp.name, args.out_file)
    print(
        f'{args.out_file}: {len(objects["annotations"])} objects of '
        f'{[c["name"] for c in objects["categories"]]} in {len(objects["images"])} images'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
