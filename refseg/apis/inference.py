"""Inference on one's own images: build a model from a config, segment what sentences name.

Typical use::

    from refseg.apis import init_model, inference_refseg

    model = init_model('configs/cris/<config>.py', 'cris_r50.pth', device='cpu')
    preds = inference_refseg(model, 'photo.jpg', ['the dog on the left', 'the red car'])
    preds[0].mask    # (h, w) bool at the photo's size
    preds[0].prob    # (h, w) float32 foreground probability
    preds[0].no_target_score, preds[0].no_target  # gRES models (a no-target head) only

The model's ``predict_texts`` encodes the image once and runs all K expressions as one
text batch (only the text-dependent parts see a batch of K), except where the image
encoder reads the text (``image_encoder_reads_text``, RISCLIP): one pass per expression.
Many images at once, folders, drawings: :class:`refseg.apis.RefSegInferencer`.
"""

import copy
import os.path as osp
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from torch import nn

from refseg.registry import MODELS
from refseg.utils.checkpoint import load_from_weights_only

ImageType = Union[str, Path, np.ndarray, 'PIL.Image.Image']  # noqa: F821

# Drawn in overlays and browse output; a referring model predicts one foreground.
REFSEG_DATASET_META = dict(classes=('background', 'object'), palette=[[0, 0, 0], [220, 20, 60]])


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the model its config builds.

    Attributes:
        missing (list[str]): Model keys the checkpoint lacks.
        unexpected (list[str]): Checkpoint keys the model does not have.
        mismatched (list[str]): Keys present in both with different shapes, each as
            ``'key: checkpoint (shape) vs model (shape)'``.
    """

    def __init__(
        self, checkpoint: str, missing: List[str], unexpected: List[str], mismatched: List[str]
    ) -> None:
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        lines = [f'checkpoint {checkpoint} does not match the model built from the config:']
        for title, keys in (
            ('missing keys', missing),
            ('unexpected keys', unexpected),
            ('shape mismatches', mismatched),
        ):
            if keys:
                lines.append(f'  {len(keys)} {title}: {_shorten(keys)}')
        lines.append(
            '  (wrong config for this checkpoint? A checkpoint in the official '
            'CRIS layout must first be converted: see '
            'tools/model_converters/README.md)'
        )
        super().__init__('\n'.join(lines))


@dataclass
class RefSegPrediction:
    """The segmentation of one expression.

    Attributes:
        text (str): The expression.
        mask (np.ndarray): (h, w) bool, ``prob > threshold``, at the original image size.
        prob (np.ndarray): (h, w) float32 foreground probability.
        threshold (float): The threshold that gave ``mask``.
        no_target_score (float, optional): For a model with a no-target head (gRES), its
            probability that the expression names nothing in the image; None otherwise.
        no_target (bool, optional): For such a model, its decision (the score is above
            the head's threshold): then ``mask`` is empty, whatever ``threshold`` is.
            None for a model without the head.
    """

    text: str
    mask: np.ndarray
    prob: np.ndarray
    threshold: float
    no_target_score: Optional[float] = None
    no_target: Optional[bool] = None


def no_target_fields(sample) -> Dict[str, object]:
    """``no_target_score`` and ``no_target`` of a predicted sample, or ``{}``.

    A model with a no-target head (gRES) writes ``no_target_score`` and
    ``pred_no_target`` into its predictions and has already emptied the mask
    probabilities of the no-target ones; other models write neither.
    """
    if 'no_target_score' not in sample:
        return {}
    return dict(
        no_target_score=float(sample.no_target_score), no_target=bool(sample.pred_no_target)
    )


def has_no_target_head(model: nn.Module) -> bool:
    """True if ``model`` (PyTorch or ONNX) decides "no target" (gRES)."""
    return bool(getattr(model, 'with_no_target_head', False))


# ------------------------------------------------------------------------- model
def init_model(
    config: Union[str, Path, Config],
    checkpoint: Optional[str] = None,
    device: str = 'cpu',
    cfg_options: Optional[dict] = None,
    strict: bool = True,
) -> nn.Module:
    """Build a referring segmentor from a config and load its weights.

    Pretrained-weight initialisers (``init_cfg`` with a ``checkpoint``, ``pretrained``
    fields) are removed from the model config first: the checkpoint supplies every
    weight, so no CLIP file is needed. Without a checkpoint the model keeps the
    constructors' random weights (useful for speed measurements only).

    Args:
        config (str | Path | Config): Config file or object, or an ``.onnx`` file from
            ``tools/deployment/export_onnx.py``, served on ONNX Runtime by
            :class:`~refseg.apis.onnx_model.ONNXSegmentor` (no checkpoint).
        checkpoint (str, optional): A refseg checkpoint (a training checkpoint, one
            from ``tools/model_converters/publish_model.py`` or a converter, or a bare
            state dict): a path or an ``http(s)://`` (downloaded to the torch hub cache),
            ``open-mmlab://`` or ``s3://`` address, read with
            ``torch.load(weights_only=True)``. Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.
        strict (bool): Raise :class:`CheckpointMismatchError` naming the missing,
            unexpected and mis-shaped keys when the checkpoint does not fit. With
            False, only the fitting weights are loaded and the rest is warned about.
            Defaults to True.

    Returns:
        nn.Module: The model in eval mode on ``device``, with ``cfg`` (the config),
        ``test_pipeline`` (a :class:`~mmengine.dataset.Compose` of the config's test
        transforms without its loading steps) and ``dataset_meta`` attributes.
    """
    if isinstance(config, (str, Path)) and str(config).endswith('.onnx'):
        from .onnx_model import ONNXSegmentor

        if checkpoint is not None or cfg_options:
            raise ValueError(
                f'{config} carries its config and weights: give no '
                'checkpoint or cfg_options with an ONNX file'
            )
        return ONNXSegmentor(str(config))
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file path or a Config, got {type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise KeyError(f'config {config.filename} has no "model" field')
    init_default_scope(config.get('default_scope', 'refseg'))

    model_cfg = copy.deepcopy(config.model)
    _drop_pretrained(model_cfg)
    model_cfg['train_cfg'] = None
    model = MODELS.build(model_cfg)

    dataset_meta = dict(REFSEG_DATASET_META)
    if checkpoint is not None:
        weights, meta = _read_checkpoint(checkpoint)
        _load_weights(model, weights, checkpoint, strict)
        dataset_meta.update(meta.get('dataset_meta') or {})
    model.cfg = config
    model.test_pipeline = build_inference_pipeline(config)
    model.dataset_meta = dataset_meta
    if not str(device).startswith('cuda'):
        # SyncBN (the CRIS recipes) needs CUDA and a process group; in eval it is plain BN.
        model = revert_sync_batchnorm(model)
    return model.to(device).eval()


def _drop_pretrained(cfg) -> None:
    """Remove pretrained-weight initialisers in place, at every depth of a model config."""
    if isinstance(cfg, dict):
        if 'pretrained' in cfg:
            cfg['pretrained'] = None
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and _loads_a_file(init_cfg):
            cfg['init_cfg'] = None
        elif isinstance(init_cfg, list):
            cfg['init_cfg'] = [c for c in init_cfg if not _loads_a_file(c)] or None
        for value in cfg.values():
            _drop_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _drop_pretrained(value)


def _loads_a_file(init_cfg) -> bool:
    if not isinstance(init_cfg, dict):
        return False
    init_type = str(init_cfg.get('type', '')).split('.')[-1]
    return 'checkpoint' in init_cfg or 'Pretrained' in init_type


def _read_checkpoint(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """(state dict, meta) of a checkpoint file, read weights-only."""
    ckpt = load_from_weights_only(path, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise TypeError(
            f'checkpoint {path} holds a {type(ckpt).__name__}, expected a dict '
            '(a state dict, or a dict with "state_dict")'
        )
    weights = ckpt.get('state_dict', ckpt)
    meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) else {}
    bad = [k for k, v in weights.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f'checkpoint {path}: the state dict has non-tensor entries {_shorten(bad)}')
    # DistributedDataParallel prefixes every key with "module.".
    weights = {re.sub(r'^module\.', '', k): v for k, v in weights.items()}
    return weights, meta


def _shorten(keys: List[str], limit: int = 10) -> str:
    shown = ', '.join(keys[:limit])
    return shown if len(keys) <= limit else f'{shown}, ... ({len(keys) - limit} more)'


def _load_weights(
    model: nn.Module, weights: Dict[str, torch.Tensor], path: str, strict: bool
) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    mismatched = sorted(
        f'{k}: checkpoint {tuple(weights[k].shape)} vs model {tuple(v.shape)}'
        for k, v in expected.items()
        if k in weights and weights[k].shape != v.shape
    )
    if missing or unexpected or mismatched:
        error = CheckpointMismatchError(path, missing, unexpected, mismatched)
        if strict:
            raise error
        warnings.warn(f'{error}\nloading the fitting weights only (strict=False)')
        mismatched_keys = {m.split(':')[0] for m in mismatched}
        weights = {k: v for k, v in weights.items() if k in expected and k not in mismatched_keys}
    model.load_state_dict(weights, strict=False)


def build_inference_pipeline(config: Config) -> Compose:
    """The config's test pipeline without its loading steps.

    Images are read by :func:`load_image` (which accepts arrays and PIL images too) and
    there is no ground truth to load, so every ``Load*`` transform is dropped.
    """
    pipeline = config.get('test_pipeline')
    if pipeline is None and 'test_dataloader' in config:
        pipeline = config.test_dataloader.dataset.get('pipeline')
    if not pipeline:
        raise KeyError(
            f'config {config.filename} has neither "test_pipeline" nor '
            '"test_dataloader.dataset.pipeline": the inference API needs the '
            'test transforms (e.g. LetterBox, PackRefSegInputs)'
        )
    kept = [t for t in pipeline if not str(t['type']).split('.')[-1].startswith('Load')]
    return Compose(copy.deepcopy(kept))


# ------------------------------------------------------------------------ inputs
def load_image(image: ImageType) -> Tuple[np.ndarray, Optional[str]]:
    """Read an image as a BGR uint8 array (mmcv's convention).

    Args:
        image (str | Path | np.ndarray | PIL.Image.Image): A file path; an (h, w, 3)
            BGR or (h, w) grey uint8 array; or a PIL image (any mode, converted to RGB
            then BGR).

    Returns:
        tuple[np.ndarray, str | None]: (h, w, 3) BGR image and its path (None for
        arrays and PIL images).
    """
    if isinstance(image, (str, Path)):
        path = str(image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'image file not found: {path}')
        with open(path, 'rb') as f:
            img = mmcv.imfrombytes(f.read(), flag='color', channel_order='bgr')
        if img is None:
            raise ValueError(f'cannot decode image {path}: not an image file, or corrupt')
        return img, path
    if isinstance(image, np.ndarray):
        return _check_array(image), None
    try:
        from PIL import Image
    except ImportError:  # Pillow is optional; without it only paths and arrays exist
        Image = None
    if Image is not None and isinstance(image, Image.Image):
        rgb = np.asarray(image.convert('RGB'))
        return np.ascontiguousarray(rgb[..., ::-1]), None
    raise TypeError(
        f'image must be a path, a numpy array (BGR) or a PIL image, got {type(image).__name__}'
    )


def _check_array(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        raise TypeError(
            f'image array must be uint8 (BGR, as mmcv.imread gives), got dtype {img.dtype}'
        )
    if img.ndim == 2:
        return mmcv.gray2bgr(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'image array must be (h, w, 3) BGR or (h, w) grey, got shape {img.shape}')
    if min(img.shape[:2]) == 0:
        raise ValueError(f'image array is empty: shape {img.shape}')
    return img


def check_expressions(texts: Union[str, Sequence[str]]) -> List[str]:
    """Validate expressions: a non-empty list of non-empty strings."""
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    if not texts:
        raise ValueError('no expression given: pass a string or a list of strings')
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f'expression {i} must be a str, got {type(text).__name__}: {text!r}')
        if not text.strip():
            raise ValueError(
                f'expression is empty (expression {i}: {text!r}); give a '
                'sentence naming the object to segment'
            )
    return texts


# ---------------------------------------------------------------------- inference
def inference_refseg(
    model: nn.Module,
    image: ImageType,
    texts: Union[str, Sequence[str]],
    threshold: Optional[float] = None,
) -> Union[RefSegPrediction, List[RefSegPrediction]]:
    """Segment the object each expression refers to in one image.

    Expressions longer than the model's context length are truncated, with a
    ``UserWarning`` naming them (from the tokenizer). Non-ASCII text works (CLIP's
    BPE is byte-level).

    Args:
        model (nn.Module): A model from :func:`init_model`.
        image (str | Path | np.ndarray | PIL.Image.Image): See :func:`load_image`;
            arrays are BGR.
        texts (str | Sequence[str]): One expression or K expressions.
        threshold (float, optional): Probability threshold of the masks. Defaults to
            the model's (``decode_head.threshold``).

    Returns:
        RefSegPrediction | list[RefSegPrediction]: One prediction for a string, a list
        of K (in the order of ``texts``) for a sequence. With a no-target head (gRES)
        each carries ``no_target_score`` and ``no_target``; when ``no_target`` is True
        its mask is empty.
    """
    single = isinstance(texts, str)
    texts = check_expressions(texts)
    samples = predict_samples(model, image, texts)
    if threshold is None:
        threshold = float(getattr(model, 'threshold', 0.5))
    preds = []
    for text, sample in zip(texts, samples):
        prob = sample.seg_logits.data[0].float().sigmoid().cpu().numpy()
        extra = no_target_fields(sample)
        # The segmentor has zeroed a no-target sample's probabilities; a threshold below
        # what is left of them (logit(0, eps)) must not fill the mask again.
        mask = prob > threshold if not extra.get('no_target') else np.zeros(prob.shape, bool)
        preds.append(
            RefSegPrediction(text=text, mask=mask, prob=prob, threshold=threshold, **extra)
        )
    return preds[0] if single else preds


def predict_samples(model: nn.Module, image: ImageType, texts: Sequence[str]) -> list:
    """Run the model on one image and K expressions (``model.predict_texts``).

    Returns:
        list[SegDataSample]: K samples with ``seg_logits`` and ``pred_sem_seg`` (1, h, w)
        at the original image size and ``text`` in their metainfo.
    """
    inputs, sample = prepare_inputs(model, image)
    with torch.no_grad():
        return model.predict_texts(inputs, sample, check_expressions(texts))


def prepare_inputs(model: nn.Module, image: ImageType) -> Tuple[torch.Tensor, object]:
    """Run the test pipeline and data preprocessor on one image.

    Returns:
        tuple[Tensor, SegDataSample]: The (1, 3, H, W) normalised image on the model's
        device and its data sample (metainfo only).
    """
    if not hasattr(model, 'test_pipeline'):
        raise AttributeError('model has no test_pipeline: build it with refseg.apis.init_model')
    img, path = load_image(image)
    data = model.data_preprocessor(
        collate([pipeline_inputs(model.test_pipeline, img, path)]), False
    )
    return data['inputs'], data['data_samples'][0]


def pipeline_inputs(pipeline: Compose, img: np.ndarray, path: Optional[str]) -> dict:
    """The test pipeline's output for one BGR image, without ground truth or text."""
    return pipeline(
        dict(
            img=img,
            img_path=path,
            ori_shape=img.shape[:2],
            img_shape=img.shape[:2],
            seg_fields=[],
            text='',
        )
    )


def collate(packed: Sequence[dict]) -> dict:
    """Pipeline outputs -> the data preprocessor's input (lists, as pseudo_collate)."""
    return dict(
        inputs=[p['inputs'] for p in packed], data_samples=[p['data_samples'] for p in packed]
    )
