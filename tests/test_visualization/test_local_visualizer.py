import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.visualization import RefSegLocalVisualizer, binary_mask
from refseg.visualization.local_visualizer import contrasting_color

TEXT = 'the man in the red shirt'


@pytest.fixture(scope='module')
def visualizer():
    return RefSegLocalVisualizer.get_instance('test_local_visualizer')


def grey_image(height=96, width=128):
    return np.full((height, width, 3), 100, np.uint8)


def test_caption_strip_is_below_the_image(visualizer):
    img = grey_image()
    drawn = visualizer.draw_panel(img, None, TEXT)
    scale = 320 // 128 + 1  # enlarged to at least min_width=320
    height, width = 96 * scale, 128 * scale
    assert drawn.shape[1] == width and drawn.shape[0] > height
    assert (drawn[:height] == 100).all()  # the image is untouched
    strip = drawn[height:]
    assert (strip == 255).all(axis=2).any()  # white text on the dark strip
    longer = visualizer.draw_panel(img, None, TEXT + ' ' + TEXT + ' ' + TEXT)
    assert longer.shape[0] > drawn.shape[0]  # long expressions wrap onto more lines
    assert np.array_equal(
        visualizer.draw_panel(np.full((96, 400, 3), 100, np.uint8), None, '')[:, :, 0].shape,
        (96, 400),
    )


def test_mask_has_an_outline_and_a_light_fill(visualizer):
    img = np.full((160, 320, 3), 100, np.uint8)
    mask = np.zeros(img.shape[:2], bool)
    mask[60:120, 80:200] = True
    drawn = visualizer.draw_panel(img, mask, None, color=(255, 0, 0))
    assert drawn.shape[0] > img.shape[0]  # the legend strip
    drawn = drawn[: img.shape[0]]
    assert np.array_equal(drawn[0:40], img[0:40])  # far from the mask: unchanged
    inside = drawn[90, 140].astype(int)
    assert 100 < inside[0] < 200 and inside[1] < 100  # light fill: image still shows
    assert tuple(drawn[60, 140]) == (255, 0, 0)  # full-colour outline on the border
    assert tuple(drawn[58, 140]) == (0, 0, 0)  # dark rim outside it
    with pytest.raises(ValueError, match='differs from the image size'):
        visualizer.draw_panel(img, mask[:10], None)


def test_colour_contrasts_with_the_pixels_under_the_mask():
    green = np.zeros((20, 20, 3), np.uint8)
    green[..., 1] = 200
    mask = np.ones((20, 20), bool)
    assert contrasting_color(green, mask) != (0, 255, 0)
    assert contrasting_color(green, mask) == (255, 0, 255)
    blue = np.zeros((20, 20, 3), np.uint8)
    blue[..., 2] = 220
    chosen = contrasting_color(blue, mask)
    assert chosen[2] < 128  # not crimson-on-blue purple: no blue component
    assert contrasting_color(green, mask, avoid=[(255, 0, 255)]) != (255, 0, 255)


def test_empty_masks_are_written_in_the_legend(visualizer):
    img = grey_image()
    empty = np.zeros(img.shape[:2], bool)
    assert visualizer._legend('pred', False, 0.2) == 'prediction: no target  (score 0.20)'
    assert visualizer._legend('gt', False, None) == 'ground truth: (empty)'
    assert visualizer._legend('pred', True, None) == 'prediction'
    with_note = visualizer.draw_panel(img, empty, TEXT, kind='pred')
    without_mask = visualizer.draw_panel(img, None, TEXT)
    assert with_note.shape[0] > without_mask.shape[0]  # the legend line is there


def test_add_datasample_draws_gt_and_prediction_side_by_side(visualizer, tmp_path):
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
    scale = 3
    panel_w = 128 * scale
    assert drawn.shape[1] == 2 * panel_w + 4
    gt_panel, pred_panel = drawn[:, :panel_w], drawn[:, panel_w + 4 :]
    assert np.array_equal(gt_panel[80 * scale, 20 * scale], img[80, 20])  # outside GT
    assert not np.array_equal(gt_panel[30 * scale, 30 * scale], img[30, 30])  # inside
    assert not np.array_equal(pred_panel[85 * scale, 110 * scale], img[85, 110])
    assert np.array_equal(pred_panel[85 * scale, 20 * scale], img[85, 20])
    # the two panels use different colours, so the legend tells them apart
    assert not np.array_equal(gt_panel[30 * scale, 30 * scale], pred_panel[60 * scale, 90 * scale])
    assert mmcv.imread(out_file).shape == drawn.shape

    only_pred = visualizer.add_datasample('sample', img, sample, draw_gt=False, out_file=out_file)
    assert only_pred.shape[1] == panel_w


def test_no_target_decision_is_written_on_the_image(visualizer):
    """A gRES prediction (no_target_score, pred_no_target in the sample, as a model
    with a NoTargetHead writes them): "no target (score s)" in the legend and across
    the image when the head says so; the score beside the mask's otherwise."""
    img = grey_image()
    legend = visualizer._legend
    assert legend('pred', False, 0.0, 0.93, True) == 'prediction: no target (score 0.93)'
    assert legend('pred', True, 0.8, 0.04, False) == 'prediction  (score 0.80, no target 0.04)'
    assert legend('pred', False, None, 0.3, False) == 'prediction: (empty)  (no target 0.30)'
    height = 96 * 3
    panels = {}
    for no_target in (True, False, None):
        sample = SegDataSample(metainfo=dict(text=TEXT))
        sample.pred_sem_seg = PixelData(data=torch.zeros(1, 96, 128, dtype=torch.uint8))
        if no_target is not None:
            sample.set_field(0.93 if no_target else 0.2, 'no_target_score')
            sample.set_field(no_target, 'pred_no_target')
        (panels[no_target],) = visualizer.sample_panels(img, sample, draw_gt=False)
    # Empty masks all: only the no-target decision writes on the image itself.
    assert (panels[False][:height] == 100).all() and (panels[None][:height] == 100).all()
    label = (panels[True][:height] != 100).any(axis=2)
    assert label[height // 2 - 5 : height // 2 + 5].any(axis=0).sum() > 100  # wide text
    assert not label[:20].any() and not label[-20:].any()  # in the middle only
    assert (panels[True][height // 2 - 5 : height // 2 + 5] == 255).all(axis=2).any()  # white


def test_binary_mask_handles_soft_and_ignored_values():
    soft = np.array([[[0.0, 0.49, 0.5, 1.0, 255.0]]])
    assert binary_mask(soft).tolist() == [[False, False, True, True, False]]
    assert binary_mask(torch.ones(2, 3)).all()
    with pytest.raises(ValueError, match='single mask'):
        binary_mask(np.zeros((2, 3, 3)))
