"""tools/dataset_converters/{check_refer,generate_synthetic}.py."""

import json
import os
import os.path as osp
import pickle

import pytest

from script_loader import load_script

check_refer = load_script('tools/dataset_converters/check_refer.py')
generate_synthetic = load_script('tools/dataset_converters/generate_synthetic.py')


def split_counts(root):
    with open(osp.join(root, 'synthetic_refer.json')) as f:
        return json.load(f)['counts']['splits']


def test_check_refer_counts_and_flags_differences(synthetic_refcoco_root, capsys):
    assert check_refer.main([synthetic_refcoco_root, '--check-images']) == 0
    out = capsys.readouterr().out
    for split, counts in split_counts(synthetic_refcoco_root).items():
        row = next(line for line in out.splitlines() if line.startswith(f'{split} '))
        numbers = [int(v.replace(',', '')) for v in row.split()[1:]]
        assert numbers[:4] == [
            counts['images'],
            counts['refs'],
            counts['refs'],
            counts['sentences'],
        ]
        assert numbers[4] == check_refer.PUBLISHED[('refcoco', 'unc')]['refs'][split]
    train_refs = split_counts(synthetic_refcoco_root)['train']['refs']
    assert f'MISMATCH: train has {train_refs} refs, published 42,404' in out
    assert 'no problems found (image files checked)' in out
    assert check_refer.main([synthetic_refcoco_root, '--strict']) == 1


def test_check_refer_reports_problems(synthetic_refcoco_root, tmp_path, capsys):
    with open(osp.join(synthetic_refcoco_root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(synthetic_refcoco_root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    bad_ann = refs[1]['ann_id']
    for ann in instances['annotations']:
        if ann['id'] == bad_ann:
            ann['segmentation'] = [[1.0, 1.0, 2.0]]
    refs[0]['ann_id'] = 10_000
    os.makedirs(tmp_path / 'refcoco')
    os.makedirs(tmp_path / 'train2014')  # no image files
    with open(tmp_path / 'refcoco' / 'instances.json', 'w') as f:
        json.dump(instances, f)
    with open(tmp_path / 'refcoco' / 'refs(unc).p', 'wb') as f:
        pickle.dump(refs, f)
    assert check_refer.main([str(tmp_path), '--check-images']) == 0
    out = capsys.readouterr().out
    assert f'1 x ann_id missing from instances.json: ref_id={refs[0]["ref_id"]} ann_id=10000' in out
    assert (
        f'1 x invalid referent mask: ref_id={refs[1]["ref_id"]} ann_id={bad_ann}: '
        'polygon 0 has 3 coordinates'
    ) in out
    assert f'{len(instances["images"])} x image file missing' in out
    assert check_refer.main([str(tmp_path), '--strict']) == 1


def test_check_refer_without_published_counts_or_files(synthetic_refcoco_root, tmp_path, capsys):
    assert check_refer.main([synthetic_refcoco_root, '--split-by', 'google']) == 2
    assert 'refs(google).p does not exist' in capsys.readouterr().out
    # The same files under a partition name without published numbers.
    os.makedirs(tmp_path / 'refcoco')
    source = osp.join(synthetic_refcoco_root, 'refcoco')
    os.symlink(osp.join(source, 'instances.json'), tmp_path / 'refcoco' / 'instances.json')
    os.symlink(osp.join(source, 'refs(unc).p'), tmp_path / 'refcoco' / 'refs(fake).p')
    assert check_refer.main([str(tmp_path), '--split-by', 'fake', '--strict']) == 0
    out = capsys.readouterr().out
    assert 'no published counts for refcoco (fake)' in out and 'MISMATCH' not in out


def test_generate_synthetic_cli(tmp_path, capsys):
    out_dir = str(tmp_path / 'synthetic')
    assert (
        generate_synthetic.main(
            [
                out_dir,
                '--num-images',
                '5',
                '--seed',
                '2',
                '--image-size',
                '64',
                '72',
                '--splits',
                'train=3',
                'val=1',
                '--no-progress',
            ]
        )
        == 0
    )
    assert 'wrote 5 images' in capsys.readouterr().out
    with open(osp.join(out_dir, 'synthetic_refer.json')) as f:
        marker = json.load(f)
    assert marker['args']['seed'] == 2 and marker['args']['image_size'] == [64, 72]
    assert set(marker['counts']['splits']) == {'train', 'val'}
    assert len(os.listdir(osp.join(out_dir, 'train2014'))) == 5
    with pytest.raises(SystemExit):
        generate_synthetic.main([out_dir, '--splits', 'train'])
