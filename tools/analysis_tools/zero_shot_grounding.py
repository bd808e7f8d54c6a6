"""Zero-shot referring segmentation from a CLIP's own image-text alignment (no training).

    python tools/analysis_tools/zero_shot_grounding.py CLIP_CONFIG CLIP_FILE \
        [--data-root data/synthetic] [--img-size 96] [--context-length 17] \
        [--splits val testA testB] [--no-text] [--objects {map,crop}] [--grid x.png]

The CLIP (towers as in the pretraining config ``CLIP_CONFIG``, weights from any file
``CLIPPretrained`` reads, e.g. an export of
``tools/model_converters/clip_refseg_to_openai.py``; head counts are not stored in a state
dict, hence the config) embeds every expression (EOT token) and
every image position in the joint space:

* ViT: the patch tokens through ``ln_post`` and ``proj`` (as RISCLIP's naive baseline);
* ResNet: MaskCLIP's dense attention pool, the value and output projections
  (``c_proj(v_proj(x + pos))``) applied at every position of the last stage.

By default the cosine map is min-max normalised per expression, brought back to the
original image through the inverse letterbox, and thresholded. The threshold is the one of
a fixed grid that gives the best mIoU on the first split (val); the other splits use it
unchanged.

With ``--objects`` the answer is one of the image's annotated objects (``--ann-file``), the
same candidates the text-blind rules choose from (``text_blind_baselines.py``), so the
comparison isolates what the expression adds; zero-shot referring expression comprehension
scores CLIP on ground-truth proposals the same way. ``map`` takes the object with the
highest mean cosine over its mask; ``crop`` the object whose crop (its box with the
pretraining's margin, letterboxed to the CLIP's input size) has the highest cosine with the
expression, through the pooled image embedding, the view the CLIP learnt object captions on.

``--no-text`` embeds the empty string instead of the expression (the no-text control).
Prints mIoU, oIoU and Prec@50 per split as a Markdown table.
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Tuple


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global np, torch, F, Config, pseudo_collate, init_default_scope
    global CLIPResNet, resize_pos_embed, tokenize_expressions, DATASETS, MODELS
    global warp_to_original, THRESHOLDS, CropToBox, LetterBox, context_box
    global annotations_by_image, object_masks
    import numpy as np
    import torch
    import torch.nn.functional as F
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from refseg.datasets.image_text_pairs import context_box
    from refseg.datasets.transforms import CropToBox, LetterBox
    from refseg.models.backbones.clip import CLIPResNet, resize_pos_embed
    from refseg.models.utils.tokenizer import tokenize_expressions
    from refseg.registry import DATASETS, MODELS
    from refseg.structures.letterbox import warp_to_original
    from refseg.synthetic.text_blind import annotations_by_image, object_masks

    THRESHOLDS = np.round(np.arange(0.3, 0.951, 0.05), 2)


CLIP_MEAN = [122.7709, 116.7460, 104.0937]
CLIP_STD = [68.5005, 66.6322, 70.3232]


def normalise(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) BGR uint8 -> normalised RGB, as the models' SegDataPreProcessor does."""
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (images.float().flip(1) - mean) / std


def build_towers(config: str, path: str, img_size: int, context_length: int):
    """The image and text towers of the ``CLIPPretrainer`` config, loaded from ``path``
    through ``CLIPPretrained``."""
    model_cfg = Config.fromfile(config).model
    visual, text = model_cfg.visual.to_dict(), model_cfg.text_encoder.to_dict()
    visual['input_resolution'] = img_size
    if visual['type'] == 'CLIPResNet':
        visual.update(dense_attnpool=False, out_indices=(3,))
    text['context_length'] = context_length
    towers = []
    for tower_cfg in (visual, text):
        tower_cfg['init_cfg'] = dict(type='CLIPPretrained', checkpoint=path)
        tower = MODELS.build(tower_cfg)
        tower.init_weights()
        towers.append(tower.eval())
    return towers


def dense_embeddings(visual, images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, E, h, w) per-position embeddings in the joint space."""
    if isinstance(visual, CLIPResNet):
        feats = visual(images)[-1]  # (B, C, h, w), layer4
        pool = visual.attnpool
        height, width = feats.shape[-2:]
        tokens = feats.flatten(2).transpose(1, 2)
        tokens = tokens + resize_pos_embed(pool.positional_embedding, (height, width))[1:]
        dense = pool.c_proj(pool.v_proj(tokens))  # (B, hw, E)
    else:
        out = visual(images)
        (height, width), dense = out['grid'], out['patch_tokens']
    return dense.transpose(1, 2).unflatten(2, (height, width))


def cosine_maps(
    visual, text, dataset, context_length: int, no_text: bool, batch_size: int = 32
) -> Iterator[Tuple[torch.Tensor, dict, np.ndarray]]:
    """(1, H, W) cosine map at the letterboxed input, metainfo and (h, w) ground truth at
    the original resolution, per expression."""
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        )
        images = normalise(torch.stack(batch['inputs']))
        metas = [sample.metainfo for sample in batch['data_samples']]
        texts = ['' if no_text else meta['text'] for meta in metas]
        with torch.no_grad():
            dense = F.normalize(dense_embeddings(visual, images), dim=1)
            sent = F.normalize(
                text(tokenize_expressions(texts, context_length))['sent_feat'], dim=-1
            )
            cosine = torch.einsum('behw,be->bhw', dense, sent)[:, None]
            cosine = F.interpolate(
                cosine, size=images.shape[-2:], mode='bilinear', align_corners=False
            )
        for cos_map, meta, data_sample in zip(cosine, metas, batch['data_samples']):
            yield cos_map, meta, data_sample.gt_sem_seg.data[0].numpy() > 0.5


def to_original(cos_map: torch.Tensor, meta: dict) -> np.ndarray:
    """(1, H, W) letterboxed map -> (h, w) map on the original image."""
    shape = tuple(meta['ori_shape'][:2])
    return warp_to_original(cos_map, meta['letterbox_matrix'], shape, mode='bilinear')[0].numpy()


def split_maps(visual, text, dataset, context_length: int, no_text: bool) -> List[dict]:
    """Cosine maps min-max normalised per expression (over the whole letterboxed input) on
    the original images, and ground truths, of a split."""
    samples = []
    for cos_map, meta, gt in cosine_maps(visual, text, dataset, context_length, no_text):
        low, high = cos_map.min(), cos_map.max()
        samples.append(
            dict(
                prob=to_original((cos_map - low) / (high - low).clamp(min=1e-6), meta),
                gt=gt,
                text=meta['text'],
                img_path=meta['img_path'],
            )
        )
    return samples


def image_objects(
    annotations: List[dict], height: int, width: int
) -> List[Tuple[list, np.ndarray]]:
    """(box, mask) of each decodable annotated object of an image."""
    objects = []
    for ann in annotations:
        masks = object_masks([ann], height, width)
        if masks:
            objects.append((ann['bbox'], masks[0]))
    return objects


def choose_by_map(visual, text, dataset, context_length, no_text, objects_of) -> List[dict]:
    """Per expression, the annotated object of highest mean dense cosine over its mask."""
    samples = []
    for cos_map, meta, gt in cosine_maps(visual, text, dataset, context_length, no_text):
        cos_map = to_original(cos_map, meta)
        objects = objects_of(meta['image_id'], *cos_map.shape)
        object_scores = [cos_map[mask].mean() for _, mask in objects]
        samples.append(
            dict(
                pred=objects[int(np.argmax(object_scores))][1],
                gt=gt,
                text=meta['text'],
                img_path=meta['img_path'],
            )
        )
    return samples


def choose_by_crop(
    clip, dataset, crop_size: int, crop_context: float, no_text: bool, objects_of
) -> List[dict]:
    """Per expression, the annotated object whose crop CLIP matches best with it.

    A crop is the object's box enlarged by ``crop_context`` on each side, letterboxed to
    ``crop_size``: the view object captions were paired with in pretraining.
    """
    crop, letterbox = CropToBox(), LetterBox(size=crop_size)
    samples, embedded_image, crop_embeds, objects = [], None, None, []
    for index in range(len(dataset)):
        item = dataset[index]
        meta = item['data_samples'].metainfo
        if meta['image_id'] != embedded_image:
            image = item['inputs'].permute(1, 2, 0).numpy()  # the original image, BGR
            objects = objects_of(meta['image_id'], *image.shape[:2])
            views = [
                letterbox(crop(dict(img=image, crop_bbox=context_box(box, crop_context))))['img']
                for box, _ in objects
            ]
            views = torch.from_numpy(np.stack(views)).permute(0, 3, 1, 2)
            with torch.no_grad():
                crop_embeds = clip.encode_image(normalise(views))
            embedded_image = meta['image_id']
        with torch.no_grad():
            sent = clip.encode_text(['' if no_text else meta['text']])[0]
        samples.append(
            dict(
                pred=objects[int((crop_embeds @ sent).argmax())][1],
                gt=item['data_samples'].gt_sem_seg.data[0].numpy() > 0.5,
                text=meta['text'],
                img_path=meta['img_path'],
            )
        )
    return samples


def scores(samples: List[dict], threshold: Optional[float] = None) -> Dict[str, float]:
    """mIoU, oIoU and Prec@50 (percent) of the samples' ``pred`` masks, or of their ``prob``
    maps above ``threshold``."""
    inters, unions, ious = [], [], []
    for sample in samples:
        pred = sample['pred'] if threshold is None else sample['prob'] > threshold
        inter = np.logical_and(pred, sample['gt']).sum()
        union = np.logical_or(pred, sample['gt']).sum()
        inters.append(inter)
        unions.append(union)
        ious.append(inter / union if union else 1.0)
    ious = np.array(ious)
    return dict(
        mIoU=100 * ious.mean(),
        oIoU=100 * sum(inters) / max(sum(unions), 1),
        prec50=100 * (ious > 0.5).mean(),
    )


def build_clip(config: str, path: str):
    """The ``CLIPPretrainer`` of ``config`` with both towers loaded from ``path``."""
    model_cfg = Config.fromfile(config).model
    for tower in ('visual', 'text_encoder'):
        model_cfg[tower]['init_cfg'] = dict(type='CLIPPretrained', checkpoint=path)
    clip = MODELS.build(model_cfg)
    clip.init_weights()
    return clip.eval()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CLIPPretrainer config (tower architecture)')
    parser.add_argument('clip', help='CLIP weights (OpenAI layout)')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument(
        '--ann-file',
        default='refcoco/instances.json',
        help='COCO instances file under data_root (the objects of --objects)',
    )
    parser.add_argument('--img-size', type=int, default=96, help='scene input size')
    parser.add_argument('--context-length', type=int, default=17)
    parser.add_argument('--splits', nargs='+', default=['val', 'testA', 'testB'])
    parser.add_argument('--no-text', action='store_true')
    parser.add_argument(
        '--objects',
        choices=('map', 'crop'),
        help='choose one annotated object per expression instead of thresholding the pixel '
        "map: 'map' by the mean of the dense cosine over the object's mask, 'crop' by the "
        "CLIP embedding of a crop around the object's box",
    )
    parser.add_argument(
        '--crop-context',
        type=float,
        default=0.5,
        help='crop margin, a fraction of the box side on each side (default 0.5, the '
        "pretraining's object views); the crop is letterboxed to the config's input size",
    )
    parser.add_argument(
        '--threshold',
        type=float,
        default=None,
        help='use this threshold instead of choosing one on the first split',
    )
    parser.add_argument('--grid', help='draw the first val predictions into this PNG')
    args = parser.parse_args(argv)
    if args.objects and args.threshold is not None:
        parser.error('--threshold applies to the pixel map; --objects answers without one')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    _import_heavy()

    init_default_scope('refseg')
    if args.objects == 'crop':
        clip = build_clip(args.config, args.clip)
        visual = clip.visual
        crop_size = clip.visual.input_resolution
        # the scene stays at its original size: only its objects' crops are embedded
        pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadRefMask')]
    else:
        visual, text = build_towers(args.config, args.clip, args.img_size, args.context_length)
        pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LetterBox', size=args.img_size),
            dict(type='LoadRefMask'),
        ]
    pipeline.append(dict(type='PackRefSegInputs'))
    if args.objects:
        annotations = annotations_by_image(args.data_root, args.ann_file)

        def objects_of(image_id: int, height: int, width: int):
            objects = image_objects(annotations.get(image_id, []), height, width)
            if not objects:
                raise ValueError(
                    f'image {image_id} has no decodable object in {args.ann_file} under '
                    f'{args.data_root}: --objects needs at least one per image'
                )
            return objects

    threshold = args.threshold
    rows = []
    for split in args.splits:
        dataset = DATASETS.build(
            dict(
                type='RefCOCODataset',
                data_root=args.data_root,
                split=split,
                sentence_mode='all',
                test_mode=True,
                pipeline=pipeline,
            )
        )
        if args.objects == 'crop':
            samples = choose_by_crop(
                clip, dataset, crop_size, args.crop_context, args.no_text, objects_of
            )
        elif args.objects == 'map':
            samples = choose_by_map(
                visual, text, dataset, args.context_length, args.no_text, objects_of
            )
        else:
            samples = split_maps(visual, text, dataset, args.context_length, args.no_text)
            if threshold is None:
                threshold = max(THRESHOLDS, key=lambda t: scores(samples, t)['mIoU'])
            for sample in samples:
                sample['pred'] = sample.pop('prob') > threshold
        rows.append((split, scores(samples), len(samples)))
        if args.grid and split == args.splits[0]:
            draw(samples, args.grid, f'zero-shot {describe(args, visual, threshold)}')
    print(
        f'\nzero-shot {describe(args, visual, threshold)}'
        f'{", expressions replaced by empty strings" if args.no_text else ""}'
    )
    print('| split | mIoU | oIoU | Prec@50 | expressions |\n|---|---:|---:|---:|---:|')
    for split, result, count in rows:
        print(
            f'| {split} | {result["mIoU"]:.2f} | {result["oIoU"]:.2f} | '
            f'{result["prec50"]:.2f} | {count} |'
        )


def describe(args: argparse.Namespace, visual, threshold: Optional[float]) -> str:
    tower = type(visual).__name__
    if args.objects == 'crop':
        return f'choice among the annotated objects by crop embedding, {tower}'
    if args.objects == 'map':
        return f'choice among the annotated objects by mean dense cosine, {tower}'
    return f'cosine map, {tower}, threshold {threshold:.2f} (chosen on {args.splits[0]})'


def draw(samples: List[dict], path: str, title: str) -> None:
    """The first val predictions, one per image, as a prediction grid."""
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    import mmcv
    from prediction_grid import draw_grid, spread_indices

    chosen = spread_indices([s['img_path'] for s in samples], 6)
    draw_grid(
        [
            dict(
                image=mmcv.imread(samples[i]['img_path'], channel_order='rgb'),
                text=samples[i]['text'],
                pred=samples[i]['pred'],
                gt=samples[i]['gt'],
            )
            for i in chosen
        ],
        path,
        title,
    )


if __name__ == '__main__':
    main()
