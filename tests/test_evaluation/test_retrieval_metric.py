import pytest
import torch

from refseg.evaluation import RetrievalMetric


def _sample(key, text, image_embed, text_embed):
    return dict(
        image_key=key,
        text=text,
        image_embed=torch.tensor(image_embed),
        text_embed=torch.tensor(text_embed),
    )


def test_duplicates_merge_and_recall():
    metric = RetrievalMetric(topk=(1, 2))
    metric.dataset_meta = {}
    # image a: captions 'red' (shared with b) and 'left'; image b: 'red'; image c: 'blue'
    samples = [
        _sample('a', 'red', [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]),
        _sample('a', 'left', [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]),
        _sample('b', 'red', [0.9, 0.1, 0.0], [1.0, 0.0, 0.0]),
        _sample('c', 'blue', [0.0, 1.0, 0.0], [0.2, 1.0, 0.0]),
    ]
    metric.process({}, samples)
    result = metric.evaluate(4)
    assert result['retrieval/num_images'] == 3 and result['retrieval/num_captions'] == 3
    # every image ranks one of its captions first ('red' is right for a and b)
    assert result['retrieval/i2t_R@1'] == 100.0
    # 'red' -> a (right), 'left' -> a has score 0 with every image: argsort keeps a first,
    # 'blue' -> c (right)
    assert result['retrieval/t2i_R@2'] == 100.0
    assert result['retrieval/chance_i2t@1'] == pytest.approx(100 * (2 / 3 + 1 / 3 + 1 / 3) / 3)


def test_wrong_ranking_scores_zero():
    metric = RetrievalMetric(topk=(1,))
    metric.dataset_meta = {}
    metric.process(
        {},
        [
            _sample('a', 'x', [1.0, 0.0], [0.0, 1.0]),
            _sample('b', 'y', [0.0, 1.0], [1.0, 0.0]),
        ],
    )
    result = metric.evaluate(2)
    assert result['retrieval/i2t_R@1'] == 0.0 and result['retrieval/t2i_R@1'] == 0.0


def test_bad_topk():
    with pytest.raises(ValueError, match='topk'):
        RetrievalMetric(topk=(0,))
