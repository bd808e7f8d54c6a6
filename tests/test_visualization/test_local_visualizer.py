import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.visualization import RefSegLocalVisualizer, binary_mask

TEXT = 'the man in the red shirt'


@pytest.fixture(scope='module')
def visualizer():
    return RefSegLocalVisualizer.get_instance('test_local_visualizer', alpha=0.5)


def grey_image(height=96, width=128):
    return np.full((height, width, 3), 100, np.uint8)


def test_expression_is_drawn_in_the_top_left(visualizer):
    img = grey_image()
    with_text = visualizer.draw_expression(img, None, TEXT, visualizer.pred_color)
    without = visualizer.draw_expression(img, None, '', visualizer.pred_color)
    assert np.array_equal(without, img)
    changed = (with_text != without).any(axis=2)
    rows, cols = np.nonzero(changed)
    assert changed[:20, :60].mean() > 0.3  # the dark box behind the text
    assert rows.max() < img.shape[0] // 2 and cols.min() < 5
    assert not changed[-20:].any()  # the rest of the image is untouched


def test_mask_is_blended_with_its_colour(visualizer):
    img = grey_image()
    mask = np.zeros(img.shape[:2], bool)
    mask[60:90, 80:120] = True
    drawn = visualizer.draw_expression(img, mask, None, (255, 0, 0))
    assert np.array_equal(drawn[~mask], img[~mask])
    inside = drawn[mask].astype(int)
    assert (inside[:, 0] > 150).all() and (inside[:, 1] < 60).all()
    with pytest.raises(ValueError, match='differs from the image size'):
        visualizer.draw_expression(img, mask[:10], None, (255, 0, 0))


def test_add_datasample_draws_gt_and_prediction(visualizer, tmp_path):
    img = grey_image()
    gt = torch.zeros(1, 96, 128)
    gt[:, 10:50, 10:50] = 1
    pred = torch.zeros(1, 96, 128, dtype=torch.uint8)
    pred[:, 40:90, 60:120] = 1
    sample = SegDataSample(metainfo=dict(text=TEXT))
    sample.gt_sem_seg = PixelData(data=gt)
    sample.pred_sem_seg = PixelData(data=pred)
    out_file = str(tmp_path / 'drawn.png')
    drawn = visualizer.add_datasample('sample', img, sample, out_file=out_file)
    assert drawn.shape == (96, 256, 3)
    gt_panel, pred_panel = drawn[:, :128], drawn[:, 128:]
    assert np.array_equal(gt_panel[80, 20], img[80, 20])  # outside the GT
    assert not np.array_equal(gt_panel[45, 45], img[45, 45])  # inside, below the text
    assert not np.array_equal(pred_panel[85, 110], img[85, 110])
    assert np.array_equal(pred_panel[85, 20], img[85, 20])
    import mmcv
    assert mmcv.imread(out_file).shape == (96, 256, 3)

    only_pred = visualizer.add_datasample('sample', img, sample, draw_gt=False,
                                          out_file=out_file)
    assert np.array_equal(only_pred, pred_panel)


def test_binary_mask_handles_soft_and_ignored_values():
    soft = np.array([[[0., 0.49, 0.5, 1.0, 255.]]])
    assert binary_mask(soft).tolist() == [[False, False, True, True, False]]
    assert binary_mask(torch.ones(2, 3)).all()
    with pytest.raises(ValueError, match='single mask'):
        binary_mask(np.zeros((2, 3, 3)))
