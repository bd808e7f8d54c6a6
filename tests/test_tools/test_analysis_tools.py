"""tools/analysis_tools: browse_dataset.py and analyze_logs.py."""

import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch

from script_loader import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REFCOCO_CONFIG = osp.join(ROOT, 'configs', 'cris', 'cris_r50_refcoco.py')


browse_dataset = load_script('tools/analysis_tools/browse_dataset.py')
analyze_logs = load_script('tools/analysis_tools/analyze_logs.py')


@pytest.mark.parametrize('split,shape', [('train', (416, 416, 3)), ('test', (64, 80, 3))])
def test_browse_dataset_draws_masks_with_expressions(
    synthetic_refcoco_root, tmp_path, split, shape
):
    out_dir = tmp_path / split
    status = browse_dataset.main(
        [
            REFCOCO_CONFIG,
            '--split',
            split,
            '--not-show',
            '--output-dir',
            str(out_dir),
            '--max-samples',
            '2',
            '--cfg-options',
            f'{split}_dataloader.dataset.data_root={synthetic_refcoco_root}',
        ]
    )
    assert status == 0
    names = sorted(os.listdir(out_dir))
    assert len(names) == 2
    assert [n.split('_')[:2] for n in names] == [[split, f'{i:05d}'] for i in range(2)]
    assert all('_ref' in n for n in names)
    for name in names:
        drawing = mmcv.imread(str(out_dir / name))
        scale = -(-320 // shape[1])  # small images are enlarged to >= 320 px wide
        image_rows = shape[0] * scale
        assert drawing.shape[1] == shape[1] * scale and drawing.shape[0] > image_rows
        if split == 'train':  # letterboxed: the top rows are CLIP-mean padding
            background = np.array([104, 116, 123])
        else:  # drawn over the original image
            stem = name.split('_ref')[0].split('_', 2)[2]
            image = mmcv.imread(osp.join(synthetic_refcoco_root, 'train2014', stem + '.jpg'))
            background = image[:4, :20].reshape(-1, 3).mean(0)
        # the expression in a dark caption strip below the image, not over it
        assert drawing[image_rows:].reshape(-1, 3).mean(0).sum() < background.sum() * 0.5
        assert np.abs(drawing[:4, :20].reshape(-1, 3).mean(0) - background).max() < 40


def test_browse_dataset_needs_somewhere_to_draw():
    with pytest.raises(SystemExit):
        browse_dataset.parse_args([REFCOCO_CONFIG, '--not-show'])


def write_log(path, records):
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return str(path)


EPOCH_LOG = [
    dict(lr=1e-3, loss=1.0, epoch=1, iter=5, step=5),
    dict(lr=1e-3, loss=0.8, epoch=1, iter=10, step=10),
    dict(mIoU=20.0, oIoU=25.0, step=1),
    dict(lr=1e-3, loss=0.5, epoch=2, iter=20, step=20),
    {'refcoco/mIoU': 30.0, 'refcoco/oIoU': 33.0, 'step': 2},
]


def test_curves_are_placed_on_iterations():
    curves = analyze_logs.extract_curves(EPOCH_LOG, ['loss', 'mIoU', 'oIoU', 'absent'])
    assert curves['loss'] == ([5, 10, 20], [1.0, 0.8, 0.5])
    # validation after epoch 1 and 2 -> the last iterations of those epochs
    assert curves['mIoU'] == ([10, 20], [20.0, 30.0])
    assert curves['oIoU'] == ([10, 20], [25.0, 33.0])
    assert 'absent' not in curves
    iter_log = [dict(loss=1.0, iter=50, step=50), dict(mIoU=10.0, step=50)]
    assert analyze_logs.extract_curves(iter_log, ['mIoU'])['mIoU'] == ([50], [10.0])


def test_plot_curve_writes_an_image(tmp_path):
    first = write_log(tmp_path / 'a.json', EPOCH_LOG)
    second = write_log(tmp_path / 'b.json', EPOCH_LOG[:2])
    out = str(tmp_path / 'curves.png')
    assert (
        analyze_logs.main(
            [
                'plot_curve',
                first,
                second,
                '--keys',
                'loss',
                'mIoU',
                '--out',
                out,
                '--legend',
                'run a',
                'run b',
            ]
        )
        == 0
    )
    image = mmcv.imread(out)
    assert image.shape[0] > image.shape[1] / 2  # two stacked panels
    assert (image < 128).any()  # something is drawn


def test_plot_curve_errors_name_the_problem(tmp_path):
    log = write_log(tmp_path / 'a.json', EPOCH_LOG)
    with pytest.raises(KeyError, match="'accuracy'.*loss"):
        analyze_logs.plot_curves([log], ['accuracy'], str(tmp_path / 'x.png'))
    broken = tmp_path / 'broken.json'
    broken.write_text('{"loss": 1.0, "iter": 1}\nnot json\n')
    with pytest.raises(ValueError, match='broken.json:2'):
        analyze_logs.read_json_log(str(broken))


@pytest.fixture
def keep_threads():
    """The tools set torch's thread count for the process; put it back afterwards."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_benchmark_multi_text_runs_all_three_paths(tmp_path, capsys, keep_threads):
    benchmark = load_script('tools/analysis_tools/benchmark_multi_text.py')
    out = tmp_path / 'bench.json'
    assert (
        benchmark.main(
            [
                osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py'),
                '--num-texts',
                '1',
                '2',
                '--repeats',
                '1',
                '--image-size',
                '32',
                '48',
                '--threads',
                '1',
                '--clock',
                'cpu',
                '--out',
                str(out),
            ]
        )
        == 0
    )
    results = json.loads(out.read_text())['results']
    assert [r['num_texts'] for r in results] == [1, 2]
    for row in results:
        assert min(row['separate_ms'], row['image_batch_ms'], row['encode_once_ms']) > 0
        assert row['speedup'] == pytest.approx(row['separate_ms'] / row['encode_once_ms'])
    assert '| 2 |' in capsys.readouterr().out


TINY_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')


def test_benchmark_train_times_steps_that_learn(tmp_path, keep_threads):
    tool = load_script('tools/analysis_tools/benchmark_train.py')
    out = tmp_path / 'train.jsonl'
    result = tool.main(
        [
            TINY_CONFIG,
            *('--batch-size', '2', '--input-size', '32', '--iters', '4', '--warmup', '1'),
            *('--device', 'cpu', '--threads', '1', '--out', str(out)),
        ]
    )
    assert json.loads(out.read_text()) == result
    assert result['optim_wrapper'] == 'OptimWrapper'
    assert (result['batch_size'], result['input_size'], result['threads']) == (2, 32, 1)
    assert result['throughput_img_s'] == pytest.approx(2000 / result['iter_ms_median'], rel=0.01)
    assert result['peak_rss_mib'] > 0
    assert np.isfinite([result['loss_first'], result['loss_last']]).all()


def test_benchmark_train_steps_update_the_weights():
    tool = load_script('tools/analysis_tools/benchmark_train.py')
    from mmengine.optim import build_optim_wrapper

    from refseg.apis import init_model

    model = init_model(TINY_CONFIG)
    optim_wrapper = build_optim_wrapper(
        model, tool.optim_wrapper_cfg(model.cfg.optim_wrapper, False)
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = tool.benchmark(model, optim_wrapper, tool.make_train_batch(2, 32, 0), 'cpu', 2, 0)
    assert result['iter_ms_median'] > 0
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith('backbone.') for k in changed)
    assert any(k.startswith('decode_head.') for k in changed)


def test_benchmark_train_precision_follows_the_flag():
    tool = load_script('tools/analysis_tools/benchmark_train.py')
    optimizer = dict(type='Adam', lr=1e-4)
    amp = dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=optimizer)
    fp32 = dict(type='OptimWrapper', optimizer=optimizer)
    assert tool.optim_wrapper_cfg(amp, None) == amp
    assert tool.optim_wrapper_cfg(amp, False) == fp32
    assert tool.optim_wrapper_cfg(fp32, True) == amp
    assert tool.optim_wrapper_cfg(fp32, False) == fp32


def test_benchmark_train_refuses_fp16_on_the_cpu():
    tool = load_script('tools/analysis_tools/benchmark_train.py')
    with pytest.raises(SystemExit, match='needs a GPU; pass --no-amp'):
        tool.main([TINY_CONFIG, '--amp', '--device', 'cpu', '--input-size', '32'])


def test_risclip_vs_naive_applies_cfg_options_to_training_and_scoring(tmp_path):
    tool = load_script('tools/analysis_tools/risclip_vs_naive.py')
    tool._import_heavy()
    seen = []

    class RecordingRunner:
        """Stands in for mmengine's Runner: records the config each call would run."""

        def __init__(self, cfg):
            self.cfg = cfg
            self.model = torch.nn.Linear(2, 1)

        @classmethod
        def from_cfg(cls, cfg):
            seen.append(cfg)
            return cls(cfg)

        def train(self):
            return self.model

        def test(self):
            return {'mIoU': 1.0, 'oIoU': 2.0, 'Prec@50': 3.0}

    tool.Runner = RecordingRunner
    options = ['img_size=192', 'train_dataloader.num_workers=0']
    run = tool.train('risclip_tiny_synthetic_stage1.py', 30, str(tmp_path), 1, options)
    scores = tool.evaluate(
        'risclip_tiny_synthetic_naive.py',
        run['checkpoint'],
        'testB',
        str(tmp_path),
        options,
        no_text=True,
    )
    assert scores == {'mIoU': 1.0, 'oIoU': 2.0, 'Prec@50': 3.0}
    trained, scored = seen
    for cfg in seen:
        assert cfg.img_size == 192
        assert cfg.model.data_preprocessor.size == (192, 192)
        assert cfg.train_dataloader.num_workers == 0
    letterboxes = [s for s in trained.train_dataloader.dataset.pipeline if s.type == 'LetterBox']
    assert [s.size for s in letterboxes] == [192]
    assert (trained.train_cfg.max_iters, trained.randomness.seed) == (30, 1)
    assert run['checkpoint'] == osp.join(str(tmp_path), 'iter_30.pth')
    assert scored.test_dataloader.dataset.split == 'testB'
    assert scored.model.text_override == ''
    assert scored.load_from == run['checkpoint']


def test_cpu_floor_counts_each_work_and_bounds_the_ratio(tmp_path, keep_threads):
    tool = load_script('tools/analysis_tools/cpu_floor.py')
    out = tmp_path / 'floor.json'
    report = tool.main(
        [TINY_CONFIG, '--input-size', '64', '--num-texts', '3', '--official', 'predict=40']
        + ['--official', 'train=100', '--out', str(out)]
    )
    assert json.loads(out.read_text()) == report
    works = report['works']
    shared = report['image_part_gflop']
    assert 0 < shared < works['forward']['gflop']
    # K expressions: the text-independent part once, the rest K times.
    assert works['texts']['gflop'] == pytest.approx(
        shared + 3 * (works['forward']['gflop'] - shared)
    )
    assert works['train']['gflop'] > 2 * works['forward']['gflop']  # batch 2, with backward
    peak = report['peak_gflops']
    assert peak == max(report['rates_gflops'].values()) > 0
    for row in works.values():
        assert row['floor_ms'] == pytest.approx(row['gflop'] / peak * 1000)
    assert works['forward']['max_ratio'] == pytest.approx(40 / works['forward']['floor_ms'])
    assert 'official_ms' not in works['texts']
    with pytest.raises(ValueError, match='WORK=MS'):
        tool.parse_official(['backward=3'])
    with pytest.raises(ValueError, match='not a time'):
        tool.parse_official(['train=fast'])


def test_benchmark_vs_official_runs_refseg_paths(keep_threads):
    """The refseg side of the side-by-side benchmark (no official checkout needed): its
    prediction is the inference API's, and its training step trains a copy."""
    from refseg.apis import inference_refseg, init_model

    tool = load_script('tools/analysis_tools/benchmark_vs_official.py')
    tool._import_heavy()
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG, device='cpu')
    photo = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    texts = ['the red star', 'the small blue square on the left']
    with torch.no_grad():
        masks = tool._refseg_predict(model, photo, texts)
    expected = inference_refseg(model, photo, texts)
    assert len(masks) == 2
    for mask, pred in zip(masks, expected):
        assert np.array_equal(mask[0].numpy().astype(bool), pred.mask)
    step = tool._train_steps(model, None, ['torch'], 64, 17)['torch']
    before = [p.detach().clone() for p in model.parameters()]
    step()  # a deep copy trains, the benchmarked model stays as it was
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_prediction_grid_takes_gres_kinds_in_turn_and_says_no_target(tmp_path):
    grid = load_script('tools/analysis_tools/prediction_grid.py')
    # REFER items: one per image first, then the repeats.
    assert grid.spread_indices(['a', 'a', 'b', 'c'], 4) == [0, 2, 3, 1]
    infos = [
        dict(img_path='a', no_target=False, num_targets=1),
        dict(img_path='a', no_target=True, num_targets=0),
        dict(img_path='b', no_target=False, num_targets=1),
        dict(img_path='c', no_target=False, num_targets=3),
        dict(img_path='c', no_target=False, num_targets=1),
        dict(img_path='d', no_target=True, num_targets=0),
    ]
    kinds = [grid.target_kind(info) for info in infos]
    assert kinds == ['single', 'none', 'single', 'multi', 'single', 'none']
    assert grid.target_kind(dict(img_path='a')) is None
    # single, none, multi in turn (first-seen order), each kind one per image first.
    assert grid.spread_indices([i['img_path'] for i in infos], 5, kinds) == [0, 1, 3, 2, 5]

    assert grid.prediction_label(dict(no_target_score=None), 42.4) == 'prediction (IoU 42)'
    assert grid.prediction_label(dict(no_target_score=0.934), 100.0) == (
        'prediction (IoU 100)\nno-target score 0.93'
    )
    image = np.full((24, 32, 3), 200, np.uint8)
    empty, square = np.zeros((24, 32), bool), np.zeros((24, 32), bool)
    square[4:12, 4:12] = True
    rows = [
        dict(
            image=image,
            text='the square',
            pred=square,
            gt=square,
            no_target_score=0.1,
            pred_no_target=False,
            gt_no_target=False,
        ),
        dict(
            image=image,
            text='the star',
            pred=empty,
            gt=empty,
            no_target_score=0.9,
            pred_no_target=True,
            gt_no_target=True,
        ),
    ]
    out = tmp_path / 'grid.png'
    grid.draw_grid(rows, str(out), 'gRES')
    drawn = mmcv.imread(str(out))
    assert drawn.shape == (432, 768, 3)  # 2 rows of 2.7 x 9.6 inches at 80 dpi
    # Without the head's fields the picture is another: no scores, no "no target" boxes.
    plain = [{k: v for k, v in row.items() if 'no_target' not in k} for row in rows]
    grid.draw_grid(plain, str(tmp_path / 'plain.png'), 'gRES')
    assert np.any(drawn != mmcv.imread(str(tmp_path / 'plain.png')))
