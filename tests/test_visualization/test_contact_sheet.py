"""tools/analysis_tools/contact_sheet.py: sample choice and sheet layout."""

import numpy as np

from refseg.visualization import RefSegLocalVisualizer
from script_loader import load_script

contact_sheet = load_script('tools/analysis_tools/contact_sheet.py')


def test_samples_are_spread_over_the_split():
    assert contact_sheet.pick(100, 5) == [0, 25, 50, 74, 99]
    assert contact_sheet.pick(3, 8) == [0, 1, 2]


def test_rows_are_image_gt_prediction():
    visualizer = RefSegLocalVisualizer.get_instance('contact_sheet_test')
    image = np.full((96, 128, 3), 120, np.uint8)
    gt = np.zeros((96, 128), bool)
    gt[10:40, 10:40] = True
    pred = dict(mask=np.zeros((96, 128), bool), score=0.1)
    row = contact_sheet.sheet_row(visualizer, image, 'the square', gt, pred)
    panel_w = 128 * 3  # enlarged to >= 320 px
    assert row.shape[1] == 3 * panel_w + 2 * 4
    image_panel = row[:, :panel_w]
    gt_panel = row[:, panel_w + 4 : 2 * panel_w + 4]
    pred_panel = row[:, 2 * panel_w + 8 :]
    assert (image_panel[: 96 * 3] == 120).all()  # the plain image
    assert not (gt_panel[25 * 3, 25 * 3] == 120).all()  # GT filled
    assert (pred_panel[: 96 * 3] == 120).all()  # empty prediction: image untouched...
    assert (pred_panel[96 * 3 :] != 120).any()  # ...and the legend says "no target"
    sheet = contact_sheet.stack_rows([row, row[:, :500]])
    assert sheet.shape == (2 * row.shape[0] + 4, row.shape[1], 3)
