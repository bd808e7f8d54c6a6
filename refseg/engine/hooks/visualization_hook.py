"""Draw validation and test predictions, one image file per sentence."""

import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.visualization import Visualizer
from mmseg.structures import SegDataSample

from refseg.registry import HOOKS
from refseg.visualization.local_visualizer import RefSegLocalVisualizer


@HOOKS.register_module()
class RefSegVisualizationHook(Hook):
    """Draw predictions (and ground truth) with their expression during val and test.

    Like mmseg's ``SegVisualizationHook``, but a drawing is named after the sentence, not
    only the image: ``{mode}_{image stem}_ref{ref_id}_sent{sent_id}``, so the several
    expressions of one image do not overwrite each other. Samples without those ids are
    named ``{mode}_{image stem}_b{batch index}_{sample index}``. The current visualizer
    must be a :class:`~refseg.visualization.RefSegLocalVisualizer`.

    Where drawings go:

    * ``show_dir`` unset: to the visualizer's storage backends, as mmseg does
      (``LocalVisBackend`` writes ``{save_dir}/vis_data/vis_image/{name}_{step}.png``;
      mmseg's ``test.py --show-dir`` sets the visualizer's ``save_dir``).
    * ``show_dir`` set: ``{show_dir}/{name}.png``. A relative ``show_dir`` is placed
      under ``{work_dir}/{timestamp}/`` of the run (mmdet's ``test_out_dir``).

    Args:
        draw (bool): Draw at all. Defaults to False (``tools/test.py --show-dir``
            switches it on).
        interval (int): During validation, draw the samples of every ``interval``-th
            batch; during testing (``tools/test.py --show-dir``, ``--show-interval``),
            every ``interval``-th sample (the 1st, the ``interval + 1``-th, ...).
            Defaults to 50.
        show (bool): Show in a window instead of storing. Defaults to False.
        wait_time (float): Seconds a shown drawing stays. Defaults to 0.
        show_dir (str, optional): Folder for one PNG per sentence (see above).
        backend_args (dict, optional): mmengine file backend arguments to read images.
    """

    def __init__(
        self,
        draw: bool = False,
        interval: int = 50,
        show: bool = False,
        wait_time: float = 0.0,
        show_dir: Optional[str] = None,
        backend_args: Optional[dict] = None,
    ) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.show_dir = show_dir
        self.backend_args = dict(backend_args) if backend_args else None
        self._out_dir: Optional[str] = None
        self._test_index = 0

    def before_run(self, runner: Runner) -> None:
        if self.show_dir is not None:
            self._out_dir = (
                self.show_dir
                if osp.isabs(self.show_dir)
                else osp.join(runner.work_dir, runner.timestamp, self.show_dir)
            )

    @property
    def visualizer(self) -> Visualizer:
        visualizer = Visualizer.get_current_instance()
        if not isinstance(visualizer, RefSegLocalVisualizer):
            raise TypeError(
                'RefSegVisualizationHook draws with RefSegLocalVisualizer, but the current '
                f'visualizer is a {type(visualizer).__name__}: set visualizer = '
                "dict(type='RefSegLocalVisualizer', ...) in the config"
            )
        if self.show:
            # Shown drawings are not stored.
            visualizer._vis_backends = {}
        return visualizer

    def before_test(self, runner: Runner) -> None:
        self._test_index = 0

    def after_val_iter(
        self, runner: Runner, batch_idx: int, data_batch: dict, outputs: Sequence[SegDataSample]
    ) -> None:
        if self.every_n_inner_iters(batch_idx, self.interval):
            # The training step when training; a standalone validation has none, and
            # asking the runner for runner.iter would build the training loop and data.
            step = runner.message_hub.get_info('iter', 0)
            self._draw_batch(batch_idx, outputs, 'val', range(len(outputs)), step)

    def after_test_iter(
        self, runner: Runner, batch_idx: int, data_batch: dict, outputs: Sequence[SegDataSample]
    ) -> None:
        first = self._test_index
        self._test_index += len(outputs)
        chosen = [i for i in range(len(outputs)) if (first + i) % self.interval == 0]
        self._draw_batch(batch_idx, outputs, 'test', chosen, batch_idx)

    def _draw_batch(
        self,
        batch_idx: int,
        outputs: Sequence[SegDataSample],
        mode: str,
        chosen: Sequence[int],
        step: int,
    ) -> None:
        if not self.draw or not chosen:
            return
        visualizer = self.visualizer
        for index in chosen:
            output = outputs[index]
            img_path = output.metainfo.get('img_path')
            if img_path is None:
                raise KeyError(
                    f'{mode} output {index} of batch {batch_idx} has no '
                    'img_path in its metainfo: keep it in PackRefSegInputs '
                    'meta_keys'
                )
            img = mmcv.imfrombytes(
                fileio.get(img_path, backend_args=self.backend_args), channel_order='rgb'
            )
            name = sentence_name(mode, output.metainfo, batch_idx, index)
            out_file = None if self._out_dir is None else osp.join(self._out_dir, f'{name}.png')
            visualizer.add_datasample(
                name,
                img,
                data_sample=output,
                show=self.show,
                wait_time=self.wait_time,
                out_file=out_file,
                step=step,
            )


def sentence_name(mode: str, metainfo: dict, batch_idx: int, index: int) -> str:
    """A drawing name unique per sentence, e.g. ``test_COCO_0001_ref12_sent34``."""
    stem = osp.splitext(osp.basename(metainfo['img_path']))[0]
    if metainfo.get('ref_id') is not None and metainfo.get('sent_id') is not None:
        return f'{mode}_{stem}_ref{metainfo["ref_id"]}_sent{metainfo["sent_id"]}'
    return f'{mode}_{stem}_b{batch_idx}_{index}'
