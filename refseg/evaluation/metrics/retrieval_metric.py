"""Image-text retrieval recall (R@K) for contrastive pretraining."""

from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from refseg.registry import METRICS


def retrieval_recall(
    similarity: torch.Tensor, positives: torch.Tensor, topk: Sequence[int]
) -> Dict[int, float]:
    """Share of queries (rows) with a positive among their K best candidates.

    Args:
        similarity (Tensor): (Q, C) query-candidate scores.
        positives (Tensor): (Q, C) bool, True where a candidate is a right answer.
        topk (Sequence[int]): The K values.

    Returns:
        dict[int, float]: K -> recall in percent.
    """
    order = similarity.argsort(dim=1, descending=True)
    ranked = positives.gather(1, order)
    return {k: 100.0 * ranked[:, :k].any(dim=1).float().mean().item() for k in topk}


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Image->text and text->image recall@K on evaluation image-text pairs.

    Identical captions and identical image views are merged first: a caption (say "a red
    circle") may describe several images, and retrieving any of them is right. So the
    candidates are the distinct captions (image->text) and the distinct image views
    (text->image), and a query's positives are all the candidates it is paired with.
    ``chance_i2t@1`` and ``chance_t2i@1`` give the R@1 of a random ranking.

    Expects data samples with ``image_embed`` and ``text_embed`` (E, ), and ``text`` and
    ``image_key`` (or ``img_path``) in the metainfo, as ``CLIPPretrainer`` predicts.

    Args:
        topk (Sequence[int]): The K values. Defaults to (1, 5).
    """

    default_prefix = 'retrieval'

    def __init__(
        self,
        topk: Sequence[int] = (1, 5),
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not topk or any(int(k) != k or k < 1 for k in topk):
            raise ValueError(f'topk must be positive ints, got {topk}')
        self.topk = tuple(int(k) for k in topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            meta = sample.get('metainfo', sample)
            self.results.append(
                dict(
                    image_key=meta.get('image_key', meta.get('img_path')),
                    text=meta['text'],
                    image_embed=sample['image_embed'].float().cpu(),
                    text_embed=sample['text_embed'].float().cpu(),
                )
            )

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        images: Dict[str, torch.Tensor] = OrderedDict()
        texts: Dict[str, torch.Tensor] = OrderedDict()
        pairs = set()
        for result in results:
            images.setdefault(result['image_key'], result['image_embed'])
            texts.setdefault(result['text'], result['text_embed'])
            pairs.add((result['image_key'], result['text']))
        image_keys, captions = list(images), list(texts)
        positives = torch.tensor(
            [[(key, text) in pairs for text in captions] for key in image_keys]
        )  # (I, T)
        similarity = torch.stack(list(images.values())) @ torch.stack(list(texts.values())).t()
        metrics = OrderedDict()
        for name, sim, pos in (
            ('i2t', similarity, positives),
            ('t2i', similarity.t(), positives.t()),
        ):
            for k, recall in retrieval_recall(sim, pos, self.topk).items():
                metrics[f'{name}_R@{k}'] = recall
            metrics[f'chance_{name}@1'] = 100.0 * (pos.sum(1).float() / pos.shape[1]).mean().item()
        metrics['num_images'] = len(image_keys)
        metrics['num_captions'] = len(captions)
        return metrics
