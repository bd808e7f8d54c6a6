"""check_refer.py and check_partimagenet.py on broken data (issue 10 items 13, 14)."""

import json
import os
import os.path as osp
import pickle

from script_loader import load_script


def test_check_refer_decodes_images_and_flags_empty_sentences(
    synthetic_refcoco_root, tmp_path, capsys
):
    check_refer = load_script('tools/dataset_converters/check_refer.py')
    source = osp.join(synthetic_refcoco_root, 'refcoco')
    with open(osp.join(source, 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(source, 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    refs[0]['sentences'][0]['sent'] = ' '
    os.makedirs(tmp_path / 'refcoco')
    with open(tmp_path / 'refcoco' / 'instances.json', 'w') as f:
        json.dump(instances, f)
    with open(tmp_path / 'refcoco' / 'refs(unc).p', 'wb') as f:
        pickle.dump(refs, f, protocol=2)
    os.makedirs(tmp_path / 'train2014')
    used = sorted({ref['image_id'] for ref in refs})
    by_id = {image['id']: image for image in instances['images']}
    for image_id in used:
        name = by_id[image_id]['file_name']
        os.symlink(
            osp.join(synthetic_refcoco_root, 'train2014', name), tmp_path / 'train2014' / name
        )
    empty, garbage, resized = (tmp_path / 'train2014' / by_id[i]['file_name'] for i in used[:3])
    for path in (empty, garbage):
        os.remove(path)
    empty.write_bytes(b'')
    garbage.write_bytes(b'not an image' * 10)
    by_id[used[2]]['height'] += 1
    with open(tmp_path / 'refcoco' / 'instances.json', 'w') as f:
        json.dump(instances, f)

    assert check_refer.main([str(tmp_path), '--check-images', '--strict']) == 1
    out = capsys.readouterr().out
    sent_id = refs[0]['sentences'][0]['sent_id']
    assert (
        f"1 x empty sentence ('sent' blank): ref_id={refs[0]['ref_id']} sent_id={sent_id}"
    ) in out
    assert f'1 x image file empty (0 bytes): {empty}' in out
    assert f'1 x image file not decodable: {garbage}' in out
    height = by_id[used[2]]['height']
    assert (f'1 x image size differs from instances.json: {resized}: ') in out
    assert f'instances.json says {by_id[used[2]]["width"]}x{height}' in out


def test_check_partimagenet_fails_on_a_missing_annotation_file(tmp_path, capsys):
    check = load_script('tools/dataset_converters/check_partimagenet.py')
    assert check.main([str(tmp_path), '--splits', 'val']) == 2
    out = capsys.readouterr().out
    assert 'val.json not found' in out and "no annotation file for split(s) ['val']" in out
