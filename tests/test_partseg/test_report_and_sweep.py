"""tools/analysis_tools/partseg_report.py and sweep_thresholds.py on hand-made records."""

import json
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from refseg.synthetic.partimagenet import generate_partimagenet
from script_loader import load_script


@pytest.fixture(scope='module')
def split_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('report'))
    generate_partimagenet(root, num_images=dict(test=6), image_size=(40, 56))
    return root


def write_records(path, split, root, predict):
    """Records as the part metrics write them, with ``predict(key, gt) -> mask``."""
    records = []
    for ref_id, key in enumerate(split.keys):
        gt = split.gt(key)
        pred = predict(key, gt)
        inter, union = int((pred & gt).sum()), int((pred | gt).sum())
        rle = mask_utils.encode(np.asfortranarray(pred.astype(np.uint8)))
        image = split.images[key[0]]
        records.append(
            dict(
                ref_id=ref_id,
                image_id=key[0],
                category_id=key[1],
                text='x',
                iou=inter / union if union else 0.0,
                intersection=inter,
                union=union,
                img_path=osp.join(root, 'images', 'test', image['file_name']),
                pred_rle=dict(size=rle['size'], counts=rle['counts'].decode()),
            )
        )
    path.write_text(json.dumps(records))
    return str(path)


def test_report_tables_interval_and_figures(split_root, tmp_path):
    tool = load_script('tools/analysis_tools/partseg_report.py')
    ann_file = osp.join(split_root, 'annotations', 'test', 'test.json')
    split = tool.Split(ann_file)
    perfect = write_records(tmp_path / 'a.json', split, split_root, lambda k, gt: gt)
    empty = write_records(tmp_path / 'b.json', split, split_root, lambda k, gt: np.zeros_like(gt))
    out_dir = tmp_path / 'report'
    tool.main(
        [
            '--ann-file',
            ann_file,
            '--out-dir',
            str(out_dir),
            '--bootstrap',
            '50',
            '--run',
            'A',
            perfect,
            '128',
            'T0',
            '--run',
            'B',
            empty,
            '160',
            'class',
            '--grid-rows',
            '2',
        ]
    )
    report = (out_dir / 'report.md').read_text()
    # Perfect minus empty is 100 points, whatever the resample.
    assert '**+100.0** points, 95 % interval [+100.0, +100.0]' in report
    main_rows = [line for line in report.splitlines() if line.startswith('| A |')]
    assert main_rows and '| 100.0 |' in main_rows[0]
    assert 'text-blind: largest part' in report and '## By part size' in report
    with open(out_dir / 'per_part.csv') as f:
        rows = f.read().splitlines()
    assert len(rows) == 1 + len({k[1] for k in split.keys})
    assert all(row.endswith(',100.0') for row in rows[1:])
    for figure in ('per_part.png', 'qualitative.png'):
        assert (out_dir / figure).stat().st_size > 1000

    # Text-blind "all parts" answers every query with the whole object: below 100 unless
    # an image has a single part.
    blind = tool.text_blind_runs(split, seed=0)
    assert 0 < tool.summarise(blind['all parts (whole object)'])['mIoU'] < 100


def test_sweep_copies_the_metric_per_value_and_chooses():
    from mmengine.config import Config

    tool = load_script('tools/analysis_tools/sweep_thresholds.py')
    cfg = Config(
        dict(
            val_evaluator=dict(type='PartRefSegMetric', output_file='x.json'),
            default_scope='refseg',
        )
    )
    import refseg.evaluation  # noqa: F401  (registers the metrics)

    copies = tool.sweep_evaluator(cfg, 'val', 'threshold', [0.3, 0.5])
    assert [(m['threshold'], m['prefix']) for m in copies] == [
        (0.3, 'threshold=0.3'),
        (0.5, 'threshold=0.5'),
    ]
    assert all('output_file' not in m for m in copies)
    with pytest.raises(ValueError, match='score_thr'):
        tool.sweep_evaluator(cfg, 'val', 'score_thr', [0.5])
    results = {
        'threshold=0.3/mIoU_part': 40.0,
        'threshold=0.5/mIoU_part': 42.0,
        'threshold=0.7/mIoU_part': 42.0,
    }
    assert tool.choose(results, 'threshold', [0.3, 0.5, 0.7], 'mIoU_part') == 0.5
