"""Draw a referring mask so that it shows: outline + light fill, caption strip, legend."""

import math
import textwrap
from typing import Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.visualization import Visualizer
from mmseg.structures import SegDataSample

from refseg.registry import VISUALIZERS

Color = Tuple[int, int, int]

# Saturated colours that stay visible as an outline; the one farthest from the pixels
# under the mask is used.
CONTRAST_COLORS: Tuple[Color, ...] = (
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 0),
    (255, 120, 0),
    (0, 120, 255),
    (0, 255, 0),
    (255, 0, 0),
)
KIND_LABELS = dict(pred='prediction', gt='ground truth')
STRIP_COLOR: Color = (32, 32, 32)
STRIP_COLOR_MPL = tuple(c / 255 for c in STRIP_COLOR)


def no_target_label(score: Optional[float]) -> str:
    """``'no target (score 0.93)'``: how a no-target decision is written."""
    return 'no target' if score is None else f'no target (score {score:.2f})'


@VISUALIZERS.register_module()
class RefSegLocalVisualizer(Visualizer):
    """Visualizer for referring segmentation.

    A panel is the image with one mask drawn as a light fill and a solid outline, in a
    colour chosen to contrast with the pixels under the mask (:func:`contrasting_color`),
    above a caption strip that holds the legend (colour swatch, "prediction" or "ground
    truth", the score, "no target" / "(empty)" for an empty mask) and the expression.
    The strip never covers the image, except for a prediction that a model's no-target
    head (gRES) judges to have no target: then "no target (score s)" is also written
    across the middle of the image, so that the drawing does not merely show nothing.
    Images narrower than ``min_width`` pixels are enlarged (nearest neighbour, integer
    factor) so that the caption stays readable; text size follows the panel width.
    :meth:`add_datasample` puts the ground-truth panel left of the prediction panel.
    Rendering uses matplotlib's Agg canvas, so it works without a display.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): Storage backends, e.g.
            ``[dict(type='LocalVisBackend')]``.
        save_dir (str, optional): Root folder of the storage backends.
        colors (Sequence[tuple[int]]): RGB candidates for the mask colour.
        alpha (float): Opacity of the fill. Defaults to 0.3.
        min_width (int): Panels are enlarged to at least this width. Defaults to 320.
        font_size (int, optional): Text size in points. Defaults to one that grows
            with the panel width.
        **kwargs: Other :class:`mmengine.visualization.Visualizer` arguments.
    """

    def __init__(
        self,
        name: str = 'visualizer',
        vis_backends: Optional[Sequence[dict]] = None,
        save_dir: Optional[str] = None,
        colors: Sequence[Color] = CONTRAST_COLORS,
        alpha: float = 0.3,
        min_width: int = 320,
        font_size: Optional[int] = None,
        **kwargs,
    ) -> None:
        super().__init__(name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        if not colors:
            raise ValueError('colors must hold at least one RGB colour')
        self.colors = tuple(tuple(int(c) for c in color) for color in colors)
        self.alpha = alpha
        self.min_width = min_width
        self.font_size = font_size

    # --------------------------------------------------------------- panels
    def draw_panel(
        self,
        image: np.ndarray,
        mask: Optional[np.ndarray],
        text: Optional[str],
        kind: str = 'pred',
        score: Optional[float] = None,
        color: Optional[Color] = None,
        avoid: Sequence[Color] = (),
        no_target_score: Optional[float] = None,
        no_target: Optional[bool] = None,
    ) -> np.ndarray:
        """One panel: the mask over the image, the caption strip below it.

        Args:
            image (np.ndarray): (h, w, 3) RGB uint8 image.
            mask (np.ndarray, optional): (h, w) mask, non-zero is foreground. None
                draws the image and the expression only.
            text (str, optional): The expression.
            kind (str): ``'pred'`` or ``'gt'``: the legend's label and the note for an
                empty mask ("no target" / "(empty)").
            score (float, optional): Written in the legend.
            color (tuple[int], optional): RGB mask colour. Defaults to the candidate
                that contrasts most with the pixels under the mask.
            avoid (Sequence[tuple[int]]): Colours not to choose (another panel's).
            no_target_score (float, optional): A no-target head's probability that the
                expression names nothing (gRES models); written in the legend.
            no_target (bool, optional): The head's decision. True: the legend says
                "no target (score s)", s the no-target score, and so does a label
                across the image; False: an empty mask is "(empty)", not "no target".

        Returns:
            np.ndarray: (s*h + strip, s*w, 3) RGB uint8 drawing, s the enlargement.
        """
        if kind not in KIND_LABELS:
            raise ValueError(f'kind must be one of {tuple(KIND_LABELS)}, got {kind!r}')
        scale = max(1, math.ceil(self.min_width / image.shape[1]))
        canvas = _enlarge(image, scale)
        legend = banner = None
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != image.shape[:2]:
                raise ValueError(
                    f'mask shape {mask.shape} differs from the image size {image.shape[:2]}'
                )
            mask = mask.astype(bool)
            if color is None:
                color = contrasting_color(image, mask, self.colors, avoid)
            canvas = draw_mask(canvas, _enlarge(mask, scale), color, self.alpha)
            legend = self._legend(kind, mask.any(), score, no_target_score, no_target)
            if no_target and kind == 'pred':
                banner = no_target_label(no_target_score)
        return self._add_caption(canvas, text, legend, color, banner)

    def draw_expression(
        self,
        image: np.ndarray,
        mask: Optional[np.ndarray],
        text: Optional[str],
        color: Optional[Color] = None,
    ) -> np.ndarray:
        """A prediction panel (see :meth:`draw_panel`) with a fixed or chosen colour."""
        return self.draw_panel(image, mask, text, kind='pred', color=color)

    @staticmethod
    def _legend(
        kind: str,
        nonempty: bool,
        score: Optional[float],
        no_target_score: Optional[float] = None,
        no_target: Optional[bool] = None,
    ) -> str:
        label = KIND_LABELS[kind]
        if kind == 'pred' and no_target is not None:  # a no-target head decided
            if no_target:
                return f'{label}: {no_target_label(no_target_score)}'
            if not nonempty:
                label += ': (empty)'
            scores = [] if score is None else [f'score {score:.2f}']
            if no_target_score is not None:
                scores.append(f'no target {no_target_score:.2f}')
            return label + (f'  ({", ".join(scores)})' if scores else '')
        if not nonempty:
            label += ': no target' if kind == 'pred' else ': (empty)'
        if score is not None:
            label += f'  (score {score:.2f})'
        return label

    def _add_caption(
        self,
        canvas: np.ndarray,
        text: Optional[str],
        legend: Optional[str],
        color: Optional[Color],
        banner: Optional[str] = None,
    ) -> np.ndarray:
        """Append the strip below ``canvas`` and write the legend and expression in it."""
        width = canvas.shape[1]
        font_size = self.font_size or float(np.clip(width / 32, 7, 28))
        line_px = int(math.ceil(font_size * self.dpi / 72 * 1.45))
        pad = max(2, line_px // 4)
        swatch = line_px - 2 * pad if legend else 0
        lines = []
        if legend:
            lines.append(legend)
        if text:
            lines += self._wrap(f'"{text}"', width - 2 * pad, font_size).split('\n')
        if not lines:
            return canvas
        strip = np.empty((len(lines) * line_px + 2 * pad, width, 3), np.uint8)
        strip[:] = STRIP_COLOR
        if legend:
            # Legend swatch: the fill over the outline, as in the panel.
            cv2.rectangle(
                strip,
                (pad, pad + pad),
                (pad + 2 * swatch, pad + line_px - pad),
                color,
                thickness=-1,
            )
            cv2.rectangle(
                strip,
                (pad, pad + pad),
                (pad + 2 * swatch, pad + line_px - pad),
                (255, 255, 255),
                thickness=1,
            )
        drawing = np.concatenate([canvas, strip], axis=0)
        self.set_image(drawing)
        top = canvas.shape[0] + pad
        for index, line in enumerate(lines):
            indent = pad + (3 * swatch if legend and index == 0 else 0)
            self.draw_texts(
                line,
                positions=np.array([[indent, top + index * line_px]]),
                font_sizes=font_size,
                colors='white',
                vertical_alignments='top',
            )
        if banner:
            # Across the middle of the image, on a dark box: the image itself says it.
            self.draw_texts(
                banner,
                positions=np.array([[width / 2, canvas.shape[0] / 2]]),
                font_sizes=font_size * 1.3,
                colors='white',
                vertical_alignments='center',
                horizontal_alignments='center',
                bboxes=dict(facecolor=STRIP_COLOR_MPL, alpha=0.8, edgecolor='white', pad=6),
            )
        return self.get_image()

    def _wrap(self, text: str, width: int, font_size: float) -> str:
        # An average glyph is about 0.55 em wide; 1 point is dpi / 72 pixels.
        char_px = 0.55 * font_size * self.dpi / 72
        return textwrap.fill(text, width=max(8, int(width / char_px)))

    # -------------------------------------------------------------- samples
    @master_only
    def add_datasample(
        self,
        name: str,
        image: np.ndarray,
        data_sample: Optional[SegDataSample] = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        out_file: Optional[str] = None,
        step: int = 0,
    ) -> np.ndarray:
        """Draw a sample's ground truth and prediction side by side, and store it.

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
            np.ndarray: The drawing, one or two panels wide (RGB).
        """
        panels = self.sample_panels(image, data_sample, draw_gt, draw_pred)
        gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)  # panel separator
        drawing = np.concatenate([part for panel in panels for part in (gap, panel)][1:], axis=1)
        if show:
            self.show(drawing, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawing), out_file)
        else:
            self.add_image(name, drawing, step)
        return drawing

    def sample_panels(
        self,
        image: np.ndarray,
        data_sample: Optional[SegDataSample],
        draw_gt: bool = True,
        draw_pred: bool = True,
    ) -> list:
        """The ground-truth and prediction panels of a sample, padded to one height."""
        text = data_sample.metainfo.get('text') if data_sample is not None else None
        panels, gt_color = [], ()
        if draw_gt and data_sample is not None and 'gt_sem_seg' in data_sample:
            gt = binary_mask(data_sample.gt_sem_seg.data)
            gt_color = (contrasting_color(image, gt, self.colors),)
            panels.append(self.draw_panel(image, gt, text, kind='gt', color=gt_color[0]))
        if draw_pred and data_sample is not None and 'pred_sem_seg' in data_sample:
            no_target = data_sample.get('pred_no_target')
            panels.append(
                self.draw_panel(
                    image,
                    binary_mask(data_sample.pred_sem_seg.data),
                    text,
                    kind='pred',
                    avoid=gt_color,
                    no_target_score=data_sample.get('no_target_score'),
                    no_target=None if no_target is None else bool(no_target),
                )
            )
        if not panels:
            panels.append(self.draw_panel(image, None, text))
        return pad_to_height(panels)


def contrasting_color(
    image: np.ndarray,
    mask: np.ndarray,
    candidates: Sequence[Color] = CONTRAST_COLORS,
    avoid: Sequence[Color] = (),
) -> Color:
    """The candidate farthest (median RGB distance) from the image under the mask.

    The whole image is used when the mask is empty; ``avoid`` is skipped when another
    candidate remains.

    Args:
        image (np.ndarray): (h, w, 3) RGB image.
        mask (np.ndarray): (h, w) bool mask.
    """
    pool = [c for c in candidates if tuple(c) not in set(map(tuple, avoid))] or list(candidates)
    pixels = image[mask] if mask.any() else image.reshape(-1, 3)
    step = max(1, len(pixels) // 4096)  # a subsample is enough for a median
    pixels = pixels[::step].astype(np.float32)
    distances = [np.median(np.linalg.norm(pixels - np.float32(c), axis=1)) for c in pool]
    return tuple(pool[int(np.argmax(distances))])


def draw_mask(image: np.ndarray, mask: np.ndarray, color: Color, alpha: float) -> np.ndarray:
    """``image`` with ``mask`` blended in at ``alpha`` and outlined in ``color``.

    The outline is about 1/150 of the image size thick (at least 1 pixel), with a
    one-pixel dark rim outside it so that it reads on any background.
    """
    out = image.copy()
    if not mask.any():
        return out
    fill = np.asarray(color, np.float32)
    out[mask] = (out[mask] * (1 - alpha) + fill * alpha).round().astype(np.uint8)
    thickness = max(1, round(min(image.shape[:2]) / 150))
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, (0, 0, 0), thickness + 2)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in color), thickness)
    return out


def pad_to_height(panels: Sequence[np.ndarray]) -> list:
    """Pad panels at the bottom (strip colour) to the tallest one's height."""
    height = max(p.shape[0] for p in panels)
    padded = []
    for panel in panels:
        extra = np.empty((height - panel.shape[0], panel.shape[1], 3), np.uint8)
        extra[:] = STRIP_COLOR
        padded.append(np.concatenate([panel, extra], axis=0))
    return padded


def _enlarge(array: np.ndarray, scale: int) -> np.ndarray:
    if scale == 1:
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(array.repeat(scale, axis=0).repeat(scale, axis=1))


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
