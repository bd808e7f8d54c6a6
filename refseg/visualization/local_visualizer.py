"""Draw a referring prediction: the mask over the image and the expression that asked."""
import textwrap
from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.visualization import Visualizer
from mmseg.structures import SegDataSample

from refseg.registry import VISUALIZERS

Color = Tuple[int, int, int]


@VISUALIZERS.register_module()
class RefSegLocalVisualizer(Visualizer):
    """Visualizer for referring segmentation.

    Each panel is the image with one binary mask blended in and the expression written
    in its top-left corner on a dark box. :meth:`add_datasample` puts the ground-truth
    panel (when the sample has ``gt_sem_seg``) left of the prediction panel, as mmseg's
    ``SegLocalVisualizer`` does. Rendering uses matplotlib's Agg canvas, so it works
    without a display.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): Storage backends, e.g.
            ``[dict(type='LocalVisBackend')]``.
        save_dir (str, optional): Root folder of the storage backends.
        pred_color (tuple[int]): RGB colour of predicted masks.
        gt_color (tuple[int]): RGB colour of ground-truth masks.
        alpha (float): Opacity of the mask colour. Defaults to 0.5.
        font_size (int, optional): Text size in points. Defaults to one that grows
            with the image (6 to 40 points).
        **kwargs: Other :class:`mmengine.visualization.Visualizer` arguments.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[Sequence[dict]] = None,
                 save_dir: Optional[str] = None,
                 pred_color: Color = (220, 20, 60),
                 gt_color: Color = (0, 190, 80),
                 alpha: float = 0.5,
                 font_size: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        self.pred_color = tuple(pred_color)
        self.gt_color = tuple(gt_color)
        self.alpha = alpha
        self.font_size = font_size

    def draw_expression(self, image: np.ndarray, mask: Optional[np.ndarray],
                        text: Optional[str], color: Color) -> np.ndarray:
        """One panel: ``mask`` blended over ``image`` and ``text`` written on it.

        Args:
            image (np.ndarray): (h, w, 3) RGB uint8 image.
            mask (np.ndarray, optional): (h, w) mask; non-zero is foreground.
            text (str, optional): The expression; nothing is written when empty.
            color (tuple[int]): RGB colour of the mask.

        Returns:
            np.ndarray: (h, w, 3) RGB uint8 drawing.
        """
        self.set_image(image)
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != image.shape[:2]:
                raise ValueError(f'mask shape {mask.shape} differs from the image size '
                                 f'{image.shape[:2]}')
            self.draw_binary_masks(mask.astype(bool), colors=[color], alphas=self.alpha)
        if text:
            font_size = self.font_size or _auto_font_size(*image.shape[:2])
            self.draw_texts(
                self._wrap(text, image.shape[1], font_size),
                positions=np.array([[2., 2.]]),
                font_sizes=font_size,
                colors='white',
                vertical_alignments='top',
                bboxes=dict(facecolor='black', alpha=0.7, pad=0.3, edgecolor='none',
                            boxstyle='square'))
        return self.get_image()

    def _wrap(self, text: str, width: int, font_size: float) -> str:
        # An average glyph is about 0.6 em wide; 1 point is dpi / 72 pixels.
        char_px = 0.6 * font_size * self.dpi / 72
        return textwrap.fill(text, width=max(8, int(width / char_px)))

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw a sample's ground truth and prediction with its expression, and store it.

        The expression is ``data_sample.text``. With ``out_file`` the drawing is written
        there; otherwise it goes to the storage backends under ``name``.

        Args:
            name (str): Identifier of the drawing (file stem for the backends).
            image (np.ndarray): (h, w, 3) RGB image the masks refer to.
            data_sample (SegDataSample, optional): With ``gt_sem_seg`` and/or
                ``pred_sem_seg`` of shape (1, h, w).
            draw_gt (bool): Draw the ground-truth panel. Defaults to True.
            draw_pred (bool): Draw the prediction panel. Defaults to True.
            show (bool): Show in a window. Defaults to False.
            wait_time (float): Seconds to show. Defaults to 0.
            out_file (str, optional): Output image file.
            step (int): Global step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The drawing, (h, w, 3) or (h, 2w, 3) RGB.
        """
        text = data_sample.metainfo.get('text') if data_sample is not None else None
        panels = []
        if draw_gt and data_sample is not None and 'gt_sem_seg' in data_sample:
            panels.append(self.draw_expression(
                image, binary_mask(data_sample.gt_sem_seg.data), text, self.gt_color))
        if draw_pred and data_sample is not None and 'pred_sem_seg' in data_sample:
            panels.append(self.draw_expression(
                image, binary_mask(data_sample.pred_sem_seg.data), text, self.pred_color))
        if not panels:
            panels.append(self.draw_expression(image, None, text, self.pred_color))
        drawing = np.concatenate(panels, axis=1)
        if show:
            self.show(drawing, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawing), out_file)
        else:
            self.add_image(name, drawing, step)
        return drawing


def _auto_font_size(height: int, width: int) -> float:
    # About 1/30 of the image scale: readable on 640 px photos, not covering 64 px ones.
    return float(np.clip(np.sqrt(height * width) / 30, 6, 40))


def binary_mask(data) -> np.ndarray:
    """(h, w) bool foreground of a (1, h, w) or (h, w) mask.

    Soft masks (the letterboxed training targets) count as foreground from 0.5; the
    ignore value 255 is background.
    """
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    data = np.asarray(data)
    if data.ndim == 3:
        if data.shape[0] != 1:
            raise ValueError(f'expected a single mask (1, h, w), got shape {data.shape}')
        data = data[0]
    return (data >= 0.5) & (data <= 1)
