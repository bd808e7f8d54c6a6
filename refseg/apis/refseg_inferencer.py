"""RefSegInferencer: many images x many expressions, from a config, a checkpoint or ONNX.

Typical use::

    from refseg.apis import RefSegInferencer

    inferencer = RefSegInferencer('cris_tiny_synthetic-1a2b3c4d.pth')  # stored config
    result = inferencer('photos/', ['the red square', 'the small blue circle'],
                        out_dir='out/')
    result['predictions'][0][1]['mask']   # image 0, expression 1: (h, w) bool
"""

import ast
import json
import os
import os.path as osp
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.infer import BaseInferencer
from mmengine.utils import ProgressBar
from torch import nn

from refseg.registry import INFERENCERS
from refseg.utils.checkpoint import load_from_local_weights_only

from .inference import (
    ImageType,
    build_inference_pipeline,
    check_expressions,
    collate,
    init_model,
    load_image,
    no_target_fields,
    pipeline_inputs,
)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
TextsType = Union[str, Sequence[str], Sequence[Sequence[str]]]


@dataclass
class _Item:
    """One image to segment: what the caller gave, its expressions, its output stem."""

    source: Any
    index: int
    texts: List[str]
    stem: str
    from_folder: bool


@INFERENCERS.register_module()
class RefSegInferencer(BaseInferencer):
    """Referring segmentation of many images, each with one or many expressions.

    MMEngine's :class:`~mmengine.infer.BaseInferencer` steps (preprocess, forward,
    visualize, postprocess), with expressions beside the images. Each image is encoded
    once for all its expressions (``model.predict_texts``); ``batch_size`` images go
    through the network together where the model offers ``predict_batch_texts``.

    Args:
        model (str | Path | Config | dict): A config file or object; a checkpoint file
            (``.pth``) that stores its config (``meta['cfg']``, as training and
            ``tools/model_converters/publish_model.py`` keep it), whose weights are
            then used; or an exported ``.onnx`` file (through :func:`init_model`).
        weights (str, optional): Checkpoint to load into a config's model. Defaults
            to None (random weights with a config, the file's own with a checkpoint).
        device (str, optional): Torch device. Defaults to CUDA when available.
        scope (str): Registry scope. Defaults to ``'refseg'``.
        show_progress (bool): Show a progress bar over the images of a folder or of
            a list of several images. Defaults to True.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'out_dir', 'show', 'wait_time'}
    postprocess_kwargs: set = {'threshold'}

    def __init__(
        self,
        model: Union[str, Path, Config, dict],
        weights: Optional[str] = None,
        device: Optional[str] = None,
        scope: str = 'refseg',
        show_progress: bool = True,
    ) -> None:
        self._prebuilt: Optional[nn.Module] = None
        if isinstance(model, Path):
            model = str(model)
        if isinstance(model, str):
            if not osp.isfile(model):
                raise FileNotFoundError(
                    f'model file not found: {model} (expected a '
                    'config .py, a checkpoint .pth or an .onnx file)'
                )
            if model.endswith('.onnx'):
                self._prebuilt = init_model(model, device=device or 'cpu')
                model = self._prebuilt.cfg
            elif not model.endswith('.py'):
                weights = weights if weights is not None else model
                model = config_from_checkpoint(model)
        elif isinstance(model, dict) and not isinstance(model, Config):
            model = Config(model)
        super().__init__(
            model=model, weights=weights, device=device, scope=scope, show_progress=show_progress
        )

    # -------------------------------------------------------------- building
    def _init_model(self, cfg: Config, weights: Optional[str], device: str) -> nn.Module:
        if self._prebuilt is not None:
            return self._prebuilt
        if weights is None:
            warnings.warn(
                'RefSegInferencer: no weights given, the model keeps its random initialisation'
            )
        return init_model(cfg, weights, device=device)

    def _init_pipeline(self, cfg: Config):
        pipeline = getattr(self.model, 'test_pipeline', None)
        return pipeline if pipeline is not None else build_inference_pipeline(cfg)

    def _init_collate(self, cfg: Config):
        return collate

    def _init_visualizer(self, cfg: Config):
        from refseg.visualization import RefSegLocalVisualizer

        return RefSegLocalVisualizer(name=f'refseg_inferencer_{id(self)}')

    # ------------------------------------------------------------------ call
    def __call__(
        self,
        images: Union[ImageType, Sequence[ImageType]],
        texts: TextsType,
        out_dir: Optional[str] = None,
        show: bool = False,
        batch_size: int = 1,
        threshold: Optional[float] = None,
        return_vis: bool = False,
        wait_time: float = 0,
    ) -> Dict[str, list]:
        """Segment every expression of every image.

        Args:
            images: An image (path, BGR array, PIL image), a list of them, or a folder
                (its image files, sorted; not recursive). In a folder, files that
                cannot be read are reported in ``failures`` and skipped; a bad image
                given by itself raises.
            texts: One expression, one list of expressions for every image, or one
                list per image.
            out_dir (str, optional): Write, per (image, expression), the drawing
                ``{stem}_{k:02d}_{slug}.png`` and the mask ``..._mask.png`` (0/255),
                and one ``summary.json``.
            show (bool): Show each drawing in a window. Defaults to False.
            batch_size (int): Images per forward pass. Defaults to 1.
            threshold (float, optional): Mask threshold on the probability. Defaults
                to the model's (its ``pred_sem_seg``).
            return_vis (bool): Also return the drawings. Defaults to False.
            wait_time (float): Seconds a shown drawing stays. Defaults to 0.

        Returns:
            dict: ``inputs`` (per segmented image, its path or its index in the
            input list), ``predictions`` (per image, per expression a dict with
            ``text``, ``mask`` (h, w) bool at the original size, ``prob`` (h, w)
            float32 and ``score``, the highest probability: the mask is empty
            exactly when ``score`` is at most the threshold; with a no-target head
            (gRES) also ``no_target_score``, the head's probability that the
            expression names nothing, and ``no_target``, its decision, True with an
            empty mask), ``failures`` (dicts
            with ``input`` and ``error``) and, with ``return_vis``, ``visualization``
            (per image, per expression an (h', w', 3) RGB drawing).
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if threshold is not None and not 0 <= threshold <= 1:
            raise ValueError(f'threshold must be in [0, 1], got {threshold}')
        items, from_folder = self._inputs_to_items(images, texts)
        result = dict(inputs=[], predictions=[], failures=[])
        if return_vis:
            result['visualization'] = []
        if out_dir is not None:
            os.makedirs(out_dir, exist_ok=True)
        self._threshold = (
            threshold if threshold is not None else getattr(self.model, 'threshold', None)
        )
        progress = (
            ProgressBar(len(items), file=sys.stdout)
            if self.show_progress and (from_folder or len(items) > 1) and sys.stdout.isatty()
            else None
        )
        summary = []
        draw = out_dir is not None or show or return_vis
        for chunk, loaded, data in self.preprocess(items, batch_size, result['failures']):
            if loaded:
                groups = self.forward(data, [item.texts for item, _ in loaded])
                for (item, img), samples in zip(loaded, groups):
                    preds = self.postprocess(samples, threshold)
                    drawings = (
                        self.visualize(img, item, preds, out_dir, show, wait_time) if draw else None
                    )
                    result['inputs'].append(
                        item.source if isinstance(item.source, str) else item.index
                    )
                    result['predictions'].append(preds)
                    if return_vis:
                        result['visualization'].append(drawings)
                    if out_dir is not None:
                        summary.append(self._write_files(img, item, preds, drawings, out_dir))
            if progress is not None:
                for _ in chunk:
                    progress.update()
        if progress is not None:
            print(file=progress.file)
        if out_dir is not None:
            self._write_summary(out_dir, summary, result['failures'])
        if result['failures']:
            warnings.warn(
                f'{len(result["failures"])} of {len(items)} images skipped: '
                + '; '.join(f'{f["input"]}: {f["error"]}' for f in result['failures'])
            )
        return result

    def _inputs_to_items(self, images, texts: TextsType) -> Tuple[List[_Item], bool]:
        from_folder = isinstance(images, (str, Path)) and osp.isdir(str(images))
        if from_folder:
            sources = list_images(str(images))
            if not sources:
                raise FileNotFoundError(
                    f'no image files ({", ".join(IMAGE_EXTENSIONS)}) in folder {images}'
                )
        elif isinstance(images, (list, tuple)):
            sources = [str(s) if isinstance(s, Path) else s for s in images]
            if not sources:
                raise ValueError('no image given: pass an image, a list or a folder')
        else:
            sources = [str(images) if isinstance(images, Path) else images]
        per_image = split_texts(texts, len(sources))
        stems = UniqueStems()
        items = [
            _Item(
                source,
                index,
                image_texts,
                stems(source if isinstance(source, str) else f'image_{index:04d}'),
                from_folder,
            )
            for index, (source, image_texts) in enumerate(zip(sources, per_image))
        ]
        return items, from_folder

    def preprocess(
        self, inputs: List[_Item], batch_size: int = 1, failures: Optional[list] = None, **kwargs
    ) -> Iterator[Tuple[list, list, Optional[dict]]]:
        """Read, transform and normalise ``batch_size`` images at a time.

        Yields:
            tuple: the chunk's items, the ``(item, BGR image)`` pairs that could be
            read, and the data preprocessor's output for them (None if none).
        """
        for chunk in self._get_chunk_data(iter(inputs), batch_size):
            loaded, packed = [], []
            for item in chunk:
                try:
                    img, path = load_image(item.source)
                except (OSError, ValueError) as err:
                    if not item.from_folder or failures is None:
                        raise
                    failures.append(dict(input=item.source, error=f'{type(err).__name__}: {err}'))
                    continue
                loaded.append((item, img))
                packed.append(pipeline_inputs(self.pipeline, img, path))
            data = self.model.data_preprocessor(self.collate_fn(packed), False) if packed else None
            yield chunk, loaded, data

    @torch.no_grad()
    def forward(self, inputs: dict, texts: Sequence[Sequence[str]], **kwargs) -> list:
        """Per image, its expressions' SegDataSamples (as the model's ``predict``)."""
        images, samples = inputs['inputs'], inputs['data_samples']
        if hasattr(self.model, 'predict_batch_texts'):
            return self.model.predict_batch_texts(images, samples, texts)
        return [
            self.model.predict_texts(images[i : i + 1], samples[i], texts[i])
            for i in range(len(samples))
        ]

    def postprocess(self, preds: list, threshold: Optional[float] = None, **kwargs) -> List[dict]:
        """SegDataSamples of one image -> ``text``/``mask``/``prob``/``score`` dicts, plus
        ``no_target_score``/``no_target`` from a model with a no-target head."""
        entries = []
        for sample in preds:
            prob = sample.seg_logits.data[0].float().sigmoid().cpu().numpy()
            extra = no_target_fields(sample)
            if extra.get('no_target'):
                # Emptied by the segmentor already; a low threshold must not refill it.
                mask = np.zeros(prob.shape, bool)
            elif threshold is not None:
                mask = prob > threshold
            else:
                mask = sample.pred_sem_seg.data[0].cpu().numpy().astype(bool)
            entries.append(
                dict(
                    text=sample.metainfo['text'],
                    mask=mask,
                    prob=prob,
                    score=float(prob.max()),
                    **extra,
                )
            )
        return entries

    def visualize(
        self,
        img: np.ndarray,
        item: _Item,
        preds: List[dict],
        out_dir: Optional[str] = None,
        show: bool = False,
        wait_time: float = 0,
        **kwargs,
    ) -> List[np.ndarray]:
        """One drawing per expression (only when drawings are shown or written)."""
        img_rgb = mmcv.bgr2rgb(img)
        drawings = [
            self.visualizer.draw_panel(
                img_rgb,
                pred['mask'],
                pred['text'],
                kind='pred',
                score=pred['score'],
                no_target_score=pred.get('no_target_score'),
                no_target=pred.get('no_target'),
            )
            for pred in preds
        ]
        if show:
            for pred, drawing in zip(preds, drawings):
                self.visualizer.show(
                    drawing, win_name=f'{item.stem}: {pred["text"]}', wait_time=wait_time
                )
        return drawings

    def _write_files(
        self,
        img: np.ndarray,
        item: _Item,
        preds: List[dict],
        drawings: List[np.ndarray],
        out_dir: str,
    ) -> dict:
        entries = []
        for index, (pred, drawing) in enumerate(zip(preds, drawings)):
            name = f'{item.stem}_{index:02d}_{slugify(pred["text"])}'
            _write(mmcv.rgb2bgr(drawing), osp.join(out_dir, f'{name}.png'))
            _write(pred['mask'].astype(np.uint8) * 255, osp.join(out_dir, f'{name}_mask.png'))
            entry = dict(index=index, text=pred['text'], score=round(pred['score'], 6))
            if 'no_target_score' in pred:
                entry.update(
                    no_target_score=round(pred['no_target_score'], 6), no_target=pred['no_target']
                )
            entry.update(
                mask_area=int(pred['mask'].sum()),
                mask_fraction=round(float(pred['mask'].mean()), 6),
                overlay=f'{name}.png',
                mask=f'{name}_mask.png',
            )
            entries.append(entry)
        source = item.source if isinstance(item.source, str) else item.stem
        return dict(
            image=source,
            height=int(img.shape[0]),
            width=int(img.shape[1]),
            threshold=self._threshold,
            expressions=entries,
        )

    def _write_summary(self, out_dir: str, results: list, failures: list) -> None:
        summary = dict(
            model=getattr(self.cfg, 'filename', None),
            results=results,
            failures=[dict(image=f['input'], error=f['error']) for f in failures],
        )
        path = osp.join(out_dir, 'summary.json')
        tmp = f'{path}.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
        os.replace(tmp, path)


# ---------------------------------------------------------------- helpers
def split_texts(texts: TextsType, num_images: int) -> List[List[str]]:
    """One list of checked expressions per image.

    ``texts`` is one expression, one list for every image, or one list per image.
    """
    if isinstance(texts, str):
        return [check_expressions(texts)] * num_images
    texts = list(texts)
    if texts and all(isinstance(t, (list, tuple)) for t in texts):
        if len(texts) != num_images:
            raise ValueError(
                f'texts has {len(texts)} lists of expressions for '
                f'{num_images} images: give one list per image, or one '
                'flat list for all'
            )
        return [check_expressions(t) for t in texts]
    if any(isinstance(t, (list, tuple)) for t in texts):
        raise TypeError(
            'texts mixes strings and lists: give one flat list of '
            'expressions for every image, or one list per image'
        )
    return [check_expressions(texts)] * num_images


def list_images(folder: str) -> List[str]:
    """The image files of a folder, sorted (not recursive)."""
    return sorted(
        osp.join(folder, name)
        for name in os.listdir(folder)
        if name.lower().endswith(IMAGE_EXTENSIONS) and osp.isfile(osp.join(folder, name))
    )


def slugify(text: str, max_len: int = 40) -> str:
    """File-name-safe short form of a text: ``'The dog, left!'`` -> ``'the-dog-left'``."""
    slug = re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')[:max_len].strip('-')
    return slug or 'text'


class UniqueStems:
    """File stems for images, made unique when two share one (``a.jpg`` and ``a.png``)."""

    def __init__(self) -> None:
        self._used = set()

    def __call__(self, path: str) -> str:
        base = osp.splitext(osp.basename(path))[0]
        stem, count = base, 1
        while stem in self._used:
            count += 1
            stem = f'{base}-{count}'
        self._used.add(stem)
        return stem


def _write(img: np.ndarray, path: str) -> None:
    if not mmcv.imwrite(img, path):
        raise OSError(f'could not write {path}')


# ------------------------------------------------------ stored configs
def config_from_checkpoint(path: str) -> Config:
    """The config a checkpoint stores (``meta['cfg']``), read without running it.

    MMEngine stores the config as Python text; executing text from a downloaded file
    would run whatever it holds, so it is parsed instead: only ``name = value``
    statements whose values are literals and ``dict(...)`` calls are accepted.

    Raises:
        ValueError: The checkpoint has no config, or its config text is not plain
            data (the offending line is named).
    """
    checkpoint = load_from_local_weights_only(path, map_location='cpu')
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    text = meta.get('cfg') if isinstance(meta, dict) else None
    if not isinstance(text, str):
        raise ValueError(
            f'checkpoint {path} stores no config (meta["cfg"]): pass the '
            'config file as model= and the checkpoint as weights='
        )
    return Config(parse_config_text(text, path), cfg_text=text, filename=path)


def parse_config_text(text: str, source: str = '<config>') -> dict:
    """``name = value`` Python text of plain data -> dict, without executing it."""
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f'{source}: stored config is not valid Python: {err}') from err
    cfg = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise ValueError(
                f'{source}: stored config line {node.lineno} is not a plain '
                '"name = value" assignment; refusing to run it'
            )
        cfg[node.targets[0].id] = _literal(node.value, source)
    return cfg


def _literal(node: ast.AST, source: str):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        values = [_literal(v, source) for v in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](values)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_literal(k, source): _literal(v, source) for k, v in zip(node.keys, node.values)}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == 'dict'
        and not node.args
        and all(k.arg is not None for k in node.keywords)
    ):
        return ConfigDict({k.arg: _literal(k.value, source) for k in node.keywords})
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, source)
        if isinstance(value, (int, float)):
            return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(
        f'{source}: stored config line {node.lineno} holds '
        f'{ast.dump(node)[:60]}..., not plain data; refusing to run it'
    )
