"""Zero-shot referring segmentation from a CLIP's own patch-text cosine map (no training).

    python tools/analysis_tools/zero_shot_grounding.py CLIP_CONFIG CLIP_FILE \
        [--data-root data/synthetic] [--img-size 96] [--context-length 17] \
        [--splits val testA testB] [--no-text] [--grid docs/figures/x.png]

The CLIP (towers as in the pretraining config ``CLIP_CONFIG``, weights from any file
``CLIPPretrained`` reads, e.g. an export of
``tools/model_converters/clip_refseg_to_openai.py``; head counts are not stored in a state
dict, hence the config) embeds every expression (EOT token) and
every image position in the joint space:

* ViT: the patch tokens through ``ln_post`` and ``proj`` (as RISCLIP's naive baseline);
* ResNet: MaskCLIP's dense attention pool, the value and output projections
  (``c_proj(v_proj(x + pos))``) applied at every position of the last stage.

The cosine map is min-max normalised per expression, brought back to the original image
through the inverse letterbox, and thresholded. The threshold is the one of a fixed grid
that gives the best mIoU on the first split (val); the other splits use it unchanged.
``--no-text`` embeds the empty string instead of the expression (the no-text control).
Prints mIoU, oIoU and Prec@50 per split as a Markdown table.
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Dict, List


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global np, torch, F, Config, pseudo_collate, init_default_scope
    global CLIPResNet, resize_pos_embed, tokenize_expressions, DATASETS, MODELS
    global warp_to_original, THRESHOLDS
    import numpy as np
    import torch
    import torch.nn.functional as F
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from refseg.models.backbones.clip import CLIPResNet, resize_pos_embed
    from refseg.models.utils.tokenizer import tokenize_expressions
    from refseg.registry import DATASETS, MODELS
    from refseg.structures.letterbox import warp_to_original

    THRESHOLDS = np.round(np.arange(0.3, 0.951, 0.05), 2)


CLIP_MEAN = [122.7709, 116.7460, 104.0937]
CLIP_STD = [68.5005, 66.6322, 70.3232]


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


def split_maps(
    visual, text, dataset, context_length: int, no_text: bool, batch_size: int = 32
) -> List[dict]:
    """Normalised cosine maps at the original resolution and ground truths of a split."""
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    samples = []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        )
        # BGR uint8 -> normalised RGB, as the models' SegDataPreProcessor does
        images = (torch.stack(batch['inputs']).float().flip(1) - mean) / std
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
            low, high = cos_map.min(), cos_map.max()
            normalised = (cos_map - low) / (high - low).clamp(min=1e-6)
            prob = warp_to_original(
                normalised, meta['letterbox_matrix'], tuple(meta['ori_shape'][:2]), mode='bilinear'
            )[0]
            samples.append(
                dict(
                    prob=prob.numpy(),
                    gt=data_sample.gt_sem_seg.data[0].numpy() > 0.5,
                    text=meta['text'],
                    img_path=meta['img_path'],
                )
            )
    return samples


def scores(samples: List[dict], threshold: float) -> Dict[str, float]:
    """mIoU, oIoU and Prec@50 (percent) at ``threshold``."""
    inters, unions, ious = [], [], []
    for sample in samples:
        pred = sample['prob'] > threshold
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CLIPPretrainer config (tower architecture)')
    parser.add_argument('clip', help='CLIP weights (OpenAI layout)')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--img-size', type=int, default=96)
    parser.add_argument('--context-length', type=int, default=17)
    parser.add_argument('--splits', nargs='+', default=['val', 'testA', 'testB'])
    parser.add_argument('--no-text', action='store_true')
    parser.add_argument(
        '--threshold',
        type=float,
        default=None,
        help='use this threshold instead of choosing one on the first split',
    )
    parser.add_argument('--grid', help='draw the first val predictions into this PNG')
    args = parser.parse_args()
    _import_heavy()

    init_default_scope('refseg')
    visual, text = build_towers(args.config, args.clip, args.img_size, args.context_length)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LetterBox', size=args.img_size),
        dict(type='LoadRefMask'),
        dict(type='PackRefSegInputs'),
    ]
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
        samples = split_maps(visual, text, dataset, args.context_length, args.no_text)
        if threshold is None:
            threshold = max(THRESHOLDS, key=lambda t: scores(samples, t)['mIoU'])
        rows.append((split, scores(samples, threshold), len(samples)))
        if args.grid and split == args.splits[0]:
            sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
            import mmcv
            from prediction_grid import draw_grid, spread_indices

            chosen = spread_indices([s['img_path'] for s in samples], 6)
            draw_grid(
                [
                    dict(
                        image=mmcv.imread(samples[i]['img_path'], channel_order='rgb'),
                        text=samples[i]['text'],
                        pred=samples[i]['prob'] > threshold,
                        gt=samples[i]['gt'],
                    )
                    for i in chosen
                ],
                args.grid,
                f'zero-shot cosine map, {visual.__class__.__name__} (threshold {threshold:.2f})',
            )
    tower = type(visual).__name__
    print(
        f'\nzero-shot cosine grounding, {tower}, threshold {threshold:.2f} (chosen on '
        f'{args.splits[0]}){", expressions replaced by empty strings" if args.no_text else ""}'
    )
    print('| split | mIoU | oIoU | Prec@50 | expressions |\n|---|---:|---:|---:|---:|')
    for split, result, count in rows:
        print(
            f'| {split} | {result["mIoU"]:.2f} | {result["oIoU"]:.2f} | '
            f'{result["prec50"]:.2f} | {count} |'
        )


if __name__ == '__main__':
    main()
