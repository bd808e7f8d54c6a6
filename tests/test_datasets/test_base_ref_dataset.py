"""The sentence modes shared by RefCOCO, PartImageNet and any referring dataset."""

import numpy as np
import pytest

from refseg.datasets.base_ref_dataset import BaseRefDataset
from refseg.datasets.partimagenet import PartImageNetRefDataset
from refseg.datasets.refcoco import RefCOCODataset


class ToyRefDataset(BaseRefDataset):
    """Three referents with three sentences each, no files."""

    def load_data_list(self):
        items = []
        for ref_id in range(3):
            items += self.expand_sentences(
                dict(ref_id=ref_id),
                [f'ref {ref_id} sentence {i}' for i in range(3)],
                [10 * ref_id + i for i in range(3)],
            )
        return items


@pytest.mark.parametrize('test_mode, expected', [(True, 'all'), (False, 'random')])
def test_default_mode_follows_test_mode(test_mode, expected):
    assert ToyRefDataset(test_mode=test_mode).sentence_mode == expected


def test_modes_give_the_documented_items():
    every = ToyRefDataset(sentence_mode='all')
    assert len(every) == 9
    assert [every[i]['sent_id'] for i in range(9)] == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    first = ToyRefDataset(sentence_mode='first')
    assert [(item['text'], item['sent_id']) for item in map(first.get_data_info, range(3))] == [
        ('ref 0 sentence 0', 0),
        ('ref 1 sentence 0', 10),
        ('ref 2 sentence 0', 20),
    ]
    random = ToyRefDataset(sentence_mode='random')
    assert len(random) == 3
    np.random.seed(0)
    draws = [random.get_data_info(1) for _ in range(30)]
    assert {info['text'] for info in draws} == set(draws[0]['sentences'])
    assert all(info['sent_id'] == 10 + int(info['text'][-1]) for info in draws)
    assert 'sent_ids' not in draws[0]
    # One generator (NumPy's global one, seeded by mmengine): a seed replays the draws.
    np.random.seed(0)
    assert [random.get_data_info(1)['text'] for _ in range(30)] == [info['text'] for info in draws]


def test_weights_and_bad_values():
    weighted = ToyRefDataset(sentence_weights=[0.0, 1.0, 0.0])
    assert {weighted.get_data_info(0)['text'] for _ in range(10)} == {'ref 0 sentence 1'}
    with pytest.raises(ValueError, match='sentence_mode must be one of'):
        ToyRefDataset(sentence_mode='each')
    with pytest.raises(ValueError, match='sentence_weights'):
        ToyRefDataset(sentence_weights=[0.0, 0.0, 0.0])


@pytest.mark.parametrize('dataset_type', [RefCOCODataset, PartImageNetRefDataset])
def test_both_datasets_share_the_implementation(dataset_type):
    assert issubclass(dataset_type, BaseRefDataset)
    assert 'get_data_info' not in vars(dataset_type)
