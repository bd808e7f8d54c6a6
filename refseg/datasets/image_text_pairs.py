"""Image-text pairs (``pairs_{split}.json``) for contrastive (CLIP) pretraining."""

import json
import os.path as osp
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from refseg.registry import DATASETS

PAIR_KINDS = ('scene', 'object')


def _check_pair(pair: dict, index: int, path: str) -> None:
    where = f'{path}: pairs[{index}]'
    if not isinstance(pair, dict):
        raise ValueError(f'{where} must be an object, got {type(pair).__name__}')
    for key in ('image', 'caption', 'kind'):
        if not isinstance(pair.get(key), str) or not pair[key]:
            raise ValueError(f'{where}.{key} must be a non-empty string, got {pair.get(key)!r}')
    if pair['kind'] not in PAIR_KINDS:
        raise ValueError(f'{where}.kind must be one of {PAIR_KINDS}, got {pair["kind"]!r}')
    bbox = pair.get('bbox')
    if pair['kind'] == 'object':
        if (
            not isinstance(bbox, (list, tuple))
            or len(bbox) != 4
            or not all(isinstance(v, (int, float)) for v in bbox)
            or bbox[2] <= 0
            or bbox[3] <= 0
        ):
            raise ValueError(
                f'{where}.bbox must be [x, y, w, h] with w, h > 0 for an '
                f'object caption, got {bbox!r}'
            )


def load_pairs(path: str) -> List[dict]:
    """Read and check a ``pairs_{split}.json`` file.

    Format: ``{"version": int, "pairs": [{"image": path relative to the data root,
    "caption": str, "kind": "scene" | "object", "bbox": [x, y, w, h] or null,
    "ann_id": int or null}, ...]}``; ``bbox`` is required for object captions.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-text pairs file not found: {path}')
    with open(path) as f:
        try:
            content = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not valid JSON: {error}') from error
    if not isinstance(content, dict) or not isinstance(content.get('pairs'), list):
        raise ValueError(f'{path} must hold {{"version": int, "pairs": [...]}}')
    for index, pair in enumerate(content['pairs']):
        _check_pair(pair, index, path)
    return content['pairs']


def context_box(bbox: Sequence[float], crop_context: float) -> List[float]:
    """The [x, y, w, h] box ``bbox`` enlarged by ``crop_context`` of its side on each side:
    the crop an object caption is paired with (``object_view='crop'``)."""
    x, y, w, h = bbox
    margin_x, margin_y = crop_context * w, crop_context * h
    return [x - margin_x, y - margin_y, w + 2 * margin_x, h + 2 * margin_y]


@DATASETS.register_module()
class ImageTextPairDataset(BaseDataset):
    """Images with captions, from ``{data_root}/pairs_{split}.json``.

    Training (``test_mode=False``): one item per image; each access draws one of the
    image's captions at random, so an image (and hence its own captions) appears at most
    once per batch: no image is a false negative of itself. Evaluation
    (``test_mode=True``): one item per (image, caption) pair.

    Object captions describe one object. With ``object_view='crop'`` their image is the
    crop around the object's box, enlarged by ``crop_context`` on each side (the item
    carries ``crop_bbox``; see :class:`CropToBox`); with ``'image'`` it is the whole
    image, so a caption about one object must be matched by the scene's embedding.

    Args:
        data_root (str): Folder of ``pairs_{split}.json`` and the images.
        split (str): ``train``, ``val``, ``testA``, ...
        kinds (Sequence[str]): Caption kinds to keep. Defaults to both.
        object_view (str): ``'image'`` or ``'crop'``. Defaults to ``'image'``.
        crop_context (float): Crop margin, as a fraction of the box side.
        generate_cfg (dict, optional): Arguments of
            :func:`refseg.datasets.ensure_synthetic_refer`: the synthetic world (and its
            pairs) is generated under ``data_root`` first when missing or different.
        pipeline (list): Transforms.
        test_mode (bool): Evaluation mode (all pairs).
    """

    METAINFO = dict(classes=('image',))

    def __init__(
        self,
        data_root: str,
        split: str = 'train',
        kinds: Sequence[str] = PAIR_KINDS,
        object_view: str = 'image',
        crop_context: float = 0.5,
        generate_cfg: Optional[dict] = None,
        pipeline: Sequence[Union[dict, Callable]] = (),
        test_mode: bool = False,
        **kwargs,
    ) -> None:
        bad = [kind for kind in kinds if kind not in PAIR_KINDS]
        if bad or not kinds:
            raise ValueError(f'kinds must be a non-empty subset of {PAIR_KINDS}, got {kinds}')
        if object_view not in ('image', 'crop'):
            raise ValueError(f"object_view must be 'image' or 'crop', got {object_view!r}")
        if crop_context < 0:
            raise ValueError(f'crop_context must be >= 0, got {crop_context}')
        if generate_cfg is not None:
            from refseg.synthetic import ensure_synthetic_refer

            ensure_synthetic_refer(data_root, **generate_cfg)
        self.split = split
        self.kinds = tuple(kinds)
        self.object_view = object_view
        self.crop_context = crop_context
        super().__init__(
            data_root=data_root, pipeline=list(pipeline), test_mode=test_mode, **kwargs
        )

    def _view(self, pair: dict) -> Optional[List[float]]:
        """The crop box of a pair's image view, or None for the whole image."""
        if pair['kind'] != 'object' or self.object_view == 'image':
            return None
        return context_box(pair['bbox'], self.crop_context)

    def load_data_list(self) -> List[dict]:
        path = osp.join(self.data_root, f'pairs_{self.split}.json')
        pairs = [p for p in load_pairs(path) if p['kind'] in self.kinds]
        if not pairs:
            raise ValueError(f'{path} has no pairs of kinds {self.kinds}')
        views: Dict[tuple, dict] = OrderedDict()
        for pair in pairs:
            crop = self._view(pair)
            key = (pair['image'], None if crop is None else tuple(crop))
            view = views.setdefault(
                key,
                dict(
                    img_path=osp.join(self.data_root, pair['image']),
                    crop_bbox=crop,
                    image_key=f'{pair["image"]}@{crop}',
                    captions=[],
                ),
            )
            if pair['caption'] not in view['captions']:
                view['captions'].append(pair['caption'])
        if not self.test_mode:
            return list(views.values())
        return [
            dict(view, captions=[caption])
            for view in views.values()
            for caption in view['captions']
        ]

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        captions = info.pop('captions')
        # test mode holds one caption per item; training draws one per access
        info['text'] = captions[np.random.randint(len(captions))]
        return self.pipeline(info)
