"""Export refseg models to ONNX and serve them on ONNX Runtime.

An exported file holds the network only: ``forward_tokens``, (B, 3, H, W) normalised
image + (B, L) int64 token ids -> (B, 1, h, w) logits before the sigmoid. The config it
was built from travels in the file's ``metadata_props``, so :class:`ONNXSegmentor`
rebuilds the test pipeline, the data preprocessor and the post-processing from it and
runs the same code as the PyTorch segmentor around the network.

For segmentors whose image encoder does not read the text (CRIS), ``split=True`` also
writes two graphs, ``<name>.image_encoder.onnx`` (image -> backbone features) and
``<name>.text_head.onnx`` (those maps for one or B images + (B, L) token ids -> logits),
so that K expressions share one image encoding. The image graph also runs the neck's
text-independent projections (``CRISNeck.project_image``), so they too run once.

A model with a no-target head (gRES) is exported with a second output,
``no_target_logits`` (B,), in the whole graph and the text-head graph, and the head's
threshold in the metadata; :class:`ONNXSegmentor` then reports ``no_target_score`` and
``pred_no_target`` and empties the masks as the PyTorch segmentor does.

Typical use::

    from refseg.apis import init_model, inference_refseg
    model = init_model('cris_r50.onnx')   # an ONNXSegmentor
    preds = inference_refseg(model, 'photo.jpg', ['the dog', 'the red car'])
"""

import copy
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from refseg.models.decode_heads.no_target_head import gate_probs
from refseg.models.segmentors.ref_segmentor import RefSegmentor
from refseg.registry import MODELS

META_PREFIX = 'refseg.'
GRAPHS = ('whole', 'image_encoder', 'text_head')
# ONNX protobufs cannot exceed 2 GiB; larger models keep their weights beside the graph.
_EXTERNAL_DATA_BYTES = 1 << 30


# ------------------------------------------------------------------------ export
class _WholeGraph(nn.Module):
    """``forward_tokens`` as a module with tensor inputs and one tensor output, plus
    the no-target logits (B,) for a model with a no-target head."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor, token_ids: Tensor):
        if not _has_no_target_head(self.model):
            return self.model.forward_tokens(image, token_ids)
        feats = self.model.encode(image, token_ids)
        return self.model.decode_head.forward(feats), self.model.no_target_head(feats)


def _has_no_target_head(model: nn.Module) -> bool:
    return bool(getattr(model, 'with_no_target_head', False))


def _splits_neck(model: nn.Module) -> bool:
    """True if the neck has a text-independent part (``project_image``/``fuse``)."""
    return model.with_neck and hasattr(model.neck, 'project_image') and hasattr(model.neck, 'fuse')


class _ImageEncoderGraph(nn.Module):
    """Everything that does not depend on the text: the backbone, and the neck's
    per-level image projections where the neck has them; a flat tuple of maps."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> Tuple[Tensor, ...]:
        feats = self.model.backbone(image)
        if _splits_neck(self.model):
            feats = self.model.neck.project_image(feats)
        return _as_tuple(feats)


class _TextHeadGraph(nn.Module):
    """The rest of :meth:`RefSegmentor.encode` and the head, from the maps of
    :class:`_ImageEncoderGraph` with batch 1 (one image for B expressions) or B."""

    def __init__(self, model: nn.Module, single_map: bool) -> None:
        super().__init__()
        self.model = model
        self.single_map = single_map

    def forward(self, *args: Tensor):
        *img_feats, token_ids = args
        batch = token_ids.shape[0]
        img_feats = [feat.expand(batch, -1, -1, -1) for feat in img_feats]
        img_feats = img_feats[0] if self.single_map else tuple(img_feats)
        text = self.model.text_encoder(token_ids)
        if _splits_neck(self.model):
            vis_feats = self.model.neck.fuse(img_feats, text['sent_feat'])
        elif self.model.with_neck:
            vis_feats = self.model.neck(img_feats, text)
        else:
            vis_feats = img_feats
        feats = dict(vis_feats=vis_feats, token_ids=token_ids, **text)
        logits = self.model.decode_head.forward(feats)
        if _has_no_target_head(self.model):
            return logits, self.model.no_target_head(feats)
        return logits


def _as_tuple(feats) -> Tuple[Tensor, ...]:
    if isinstance(feats, Tensor):
        return (feats,)
    if isinstance(feats, (list, tuple)) and all(isinstance(f, Tensor) for f in feats):
        return tuple(feats)
    raise TypeError(
        'the split export needs a backbone returning a tensor or a tuple of '
        f'tensors, got {type(feats).__name__}'
    )


def encodes_image_alone(model: nn.Module) -> bool:
    """True if the image encoder does not see the text (the split export applies)."""
    return isinstance(model, RefSegmentor) and not model.image_encoder_reads_text


def head_upsample_mode(model: nn.Module, image: Tensor, token_ids: Tensor) -> str:
    """How the head's ``predict`` turns ``forward`` logits into its prediction.

    Returns ``'none'`` (unchanged, CRIS) or ``'bilinear'`` (resized to the input size,
    RISCLIP), checked numerically on the example inputs.
    """
    with torch.no_grad():
        feats = model.encode(image, token_ids)
        logits = model.decode_head.forward(feats)
        metas = [dict(img_shape=tuple(image.shape[-2:]))] * image.shape[0]
        predicted = model.decode_head.predict(feats, metas, model.test_cfg)
    if predicted.shape == logits.shape and torch.equal(predicted, logits):
        return 'none'
    resized = F.interpolate(logits, size=image.shape[-2:], mode='bilinear', align_corners=False)
    if predicted.shape == resized.shape and torch.allclose(predicted, resized, atol=1e-5):
        return 'bilinear'
    raise NotImplementedError(
        f'{type(model.decode_head).__name__}.predict does more than resize its forward '
        'output; the ONNX wrapper cannot reproduce it'
    )


def export_onnx(
    model: nn.Module,
    cfg: Config,
    out: str,
    input_size: Optional[Tuple[int, int]] = None,
    split: bool = False,
    opset: int = 17,
    dataset_meta: Optional[dict] = None,
) -> List[str]:
    """Export a segmentor to ONNX with its config in the file's metadata.

    Args:
        model (nn.Module): A :class:`RefSegmentor` in eval mode on the CPU (e.g. from
            :func:`refseg.apis.init_model`).
        cfg (Config): The config the model was built from.
        out (str): Path of the whole graph, ``*.onnx``.
        input_size (tuple[int, int], optional): (H, W) of the example image; the graph
            is valid for this size only (positional embeddings and letterbox fix it).
            Defaults to the data preprocessor's ``size``.
        split (bool): Also write ``<out stem>.image_encoder.onnx`` and
            ``<out stem>.text_head.onnx``. Defaults to False.
        opset (int): ONNX opset. Defaults to 17.
        dataset_meta (dict, optional): Stored for the served model.

    Returns:
        list[str]: The written files, the whole graph first.
    """
    if not out.endswith('.onnx'):
        raise ValueError(f'output file must end with .onnx, got {out}')
    if split and not encodes_image_alone(model):
        raise ValueError(
            f'--split needs an image encoder that does not read the text; '
            f'{type(model).__name__} mixes the text into it (use the whole '
            'graph)'
        )
    model = model.cpu().eval()
    if input_size is None:
        input_size = tuple(model.data_preprocessor.size or (416, 416))
    image = torch.randn(2, 3, *input_size)
    token_ids = model.tokenize(['the man on the left', 'a red car'])
    stem = out[: -len('.onnx')]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    meta = {
        'config': cfg.pretty_text,
        'input_size': json.dumps(list(input_size)),
        'context_length': str(model.context_length),
        'threshold': repr(model.threshold),
        'head_upsample': head_upsample_mode(model, image, token_ids),
        'dataset_meta': json.dumps(dataset_meta or {}),
    }
    outputs = ['logits']
    if _has_no_target_head(model):
        meta['no_target_threshold'] = repr(float(model.no_target_head.threshold))
        outputs.append('no_target_logits')
    if split:
        meta['image_encoder'] = osp.basename(stem + '.image_encoder.onnx')
        meta['text_head'] = osp.basename(stem + '.text_head.onnx')
    written = [out]
    batch = {0: 'batch'}
    _export(
        _WholeGraph(model),
        (image, token_ids),
        out,
        ['image', 'token_ids'],
        outputs,
        dict(image=batch, token_ids=batch, **{name: batch for name in outputs}),
        opset,
        dict(meta, graph='whole'),
    )
    if split:
        with torch.no_grad():
            feats = _ImageEncoderGraph(model)(image)
        feat_names = [f'img_feat{i}' for i in range(len(feats))]
        path = osp.join(osp.dirname(out), meta['image_encoder'])
        _export(
            _ImageEncoderGraph(model),
            (image,),
            path,
            ['image'],
            feat_names,
            {name: batch for name in ['image'] + feat_names},
            opset,
            dict(meta, graph='image_encoder'),
        )
        written.append(path)
        path = osp.join(osp.dirname(out), meta['text_head'])
        # example image features of batch 1 for 2 expressions: the encode-once case
        _export(
            _TextHeadGraph(model, single_map=len(feats) == 1),
            tuple(f[:1] for f in feats) + (token_ids,),
            path,
            feat_names + ['token_ids'],
            outputs,
            {name: batch for name in feat_names + ['token_ids'] + outputs},
            opset,
            dict(meta, graph='text_head'),
        )
        written.append(path)
    return written


def _export(
    module: nn.Module,
    args: tuple,
    path: str,
    input_names: List[str],
    output_names: List[str],
    dynamic_axes: dict,
    opset: int,
    meta: Dict[str, str],
) -> None:
    import onnx

    module.eval()
    tmp = path + '.tmp'
    # nn.MultiheadAttention's fused inference kernel has no ONNX export.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        _export_graph(module, args, tmp, input_names, output_names, dynamic_axes, opset)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    graph = onnx.load(tmp)
    onnx.helper.set_model_props(graph, {META_PREFIX + k: v for k, v in meta.items()})
    large = graph.ByteSize() > _EXTERNAL_DATA_BYTES if _fits_protobuf(graph) else True
    if large:
        onnx.save(
            graph,
            tmp,
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=osp.basename(path) + '.data',
        )
    else:
        onnx.save(graph, tmp)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def _export_graph(module, args, path, input_names, output_names, dynamic_axes, opset):
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            dynamo=False,
        )


def _fits_protobuf(graph) -> bool:
    try:
        graph.ByteSize()
        return True
    except Exception:  # protobuf refuses to size a message over 2 GiB
        return False


def read_metadata(path: str) -> Dict[str, str]:
    """The ``refseg.*`` metadata of an ONNX file, without the prefix."""
    import onnxruntime as ort

    if not osp.isfile(path):
        raise FileNotFoundError(f'ONNX file not found: {path}')
    props = _session(path, ort.SessionOptions()).get_modelmeta().custom_metadata_map
    return _check_metadata(path, props)


def _check_metadata(path: str, props: Dict[str, str]) -> Dict[str, str]:
    meta = {k[len(META_PREFIX) :]: v for k, v in props.items() if k.startswith(META_PREFIX)}
    missing = [
        k
        for k in ('config', 'graph', 'input_size', 'context_length', 'threshold', 'head_upsample')
        if k not in meta
    ]
    if missing:
        raise ValueError(
            f'{path} is not a refseg export: its metadata lacks '
            f'{[META_PREFIX + k for k in missing]} (export it with '
            'tools/deployment/export_onnx.py)'
        )
    return meta


def _session(path: str, options):
    import onnxruntime as ort

    return ort.InferenceSession(path, sess_options=options, providers=['CPUExecutionProvider'])


# ------------------------------------------------------------------------- serve
def session_options(threads: Optional[int] = None, optimization: str = 'all'):
    """ONNX Runtime session options.

    Args:
        threads (int, optional): Intra-op threads. Defaults to torch's thread count, so
            that ``torch.set_num_threads`` governs both back-ends.
        optimization (str): Graph optimisation level, ``'disable'``, ``'basic'``,
            ``'extended'`` or ``'all'``. Defaults to ``'all'``.
    """
    import onnxruntime as ort

    levels = dict(
        disable=ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        basic=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        extended=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        all=ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    )
    if optimization not in levels:
        raise ValueError(f'optimization must be one of {sorted(levels)}, got {optimization!r}')
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[optimization]
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


@MODELS.register_module()
class ONNXSegmentor(nn.Module):
    """A refseg segmentor whose network runs on ONNX Runtime.

    It offers what the inference code uses of a PyTorch :class:`RefSegmentor`:
    ``cfg``, ``data_preprocessor`` (built from the stored config), ``test_pipeline``,
    ``dataset_meta``, ``threshold``, ``with_no_target_head``, :meth:`predict` and
    :meth:`predict_texts`, and the runner's :meth:`test_step` / :meth:`val_step`, so
    that ``tools/test.py CONFIG FILE.onnx`` scores an exported (or int8) file with the
    config's data and evaluator (``model=dict(type='ONNXSegmentor', path=...)``).
    Tokenization and post-processing (sigmoid, upsampling, warp back, threshold) are
    :class:`RefSegmentor`'s own methods; only the network differs.

    Args:
        path (str): The whole graph written by :func:`export_onnx`.
        threads (int, optional): ONNX Runtime intra-op threads; see
            :func:`session_options`.
        optimization (str): Graph optimisation level. Defaults to ``'all'``.
    """

    def __init__(self, path: str, threads: Optional[int] = None, optimization: str = 'all') -> None:
        super().__init__()
        from refseg.apis.inference import REFSEG_DATASET_META, build_inference_pipeline

        meta = read_metadata(path)
        if meta['graph'] != 'whole':
            raise ValueError(
                f'{path} holds the {meta["graph"]} graph of a split export; '
                'load the whole graph (the file named without '
                '".image_encoder"/".text_head")'
            )
        self.path = path
        self.meta = meta
        self.cfg = Config.fromstring(meta['config'], '.py')
        init_default_scope(self.cfg.get('default_scope', 'refseg'))
        model_cfg = self.cfg.model
        self.data_preprocessor = MODELS.build(copy.deepcopy(model_cfg.data_preprocessor))
        self.test_pipeline = build_inference_pipeline(self.cfg)
        self.dataset_meta = dict(REFSEG_DATASET_META, **json.loads(meta['dataset_meta']))
        self.context_length = int(meta['context_length'])
        self.input_size = tuple(json.loads(meta['input_size']))
        self.text_override = model_cfg.get('text_override')
        self.test_cfg = model_cfg.get('test_cfg') or dict()
        self._threshold = float(meta['threshold'])
        self._no_target_threshold = (
            float(meta['no_target_threshold']) if 'no_target_threshold' in meta else None
        )
        if model_cfg.get('no_target_head') and self._no_target_threshold is None:
            raise ValueError(
                f'{path}: its config has a no_target_head but the file has no '
                '"no_target_logits" output (an export from before gRES models were '
                'exported whole), so it could never say "no target"; export it again '
                'with tools/deployment/export_onnx.py'
            )
        self._options = session_options(threads, optimization)
        self._sessions = {}

    # ------------------------------------------------------------- sessions
    @property
    def can_encode_once(self) -> bool:
        """True if the file came with the split graphs."""
        return 'image_encoder' in self.meta

    def _run(self, graph: str, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
        if graph not in self._sessions:
            path = (
                self.path
                if graph == 'whole'
                else osp.join(osp.dirname(self.path), self.meta[graph])
            )
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{self.path} names its {graph} graph {path}, '
                    'which is missing: keep the split files together'
                )
            self._sessions[graph] = _session(path, self._options)
        return self._sessions[graph].run(None, feeds)

    # -------------------------------------------------------------- network
    def tokenize(self, texts: List[str]) -> Tensor:
        """(B, L) CLIP token ids."""
        from refseg.models.utils.tokenizer import tokenize_expressions

        return tokenize_expressions(texts, self.context_length)

    @property
    def with_no_target_head(self) -> bool:
        """True if the file carries a no-target head's output (a gRES model)."""
        return self._no_target_threshold is not None

    def forward_tokens(self, inputs: Tensor, token_ids: Tensor) -> Tensor:
        """(B, 3, H, W) + (B, L) -> (B, 1, h, w) logits, on ONNX Runtime."""
        return self._forward_whole(inputs, token_ids)[0]

    def forward_shared_image(self, inputs: Tensor, token_ids: Tensor) -> Tensor:
        """One image, K expressions: (1, 3, H, W) + (K, L) -> (K, 1, h, w) logits; the
        image encoder runs once (split graphs)."""
        return self._forward_shared(inputs, token_ids)[0]

    def _forward_whole(self, inputs: Tensor, token_ids: Tensor):
        """(logits, no-target logits (B,) or None) of the whole graph."""
        self._check_size(inputs)
        return _outputs(
            self._run(
                'whole',
                dict(image=_numpy(inputs, np.float32), token_ids=_numpy(token_ids, np.int64)),
            )
        )

    def _forward_shared(self, inputs: Tensor, token_ids: Tensor):
        """(logits, no-target logits (K,) or None) of the split graphs."""
        self._check_size(inputs)
        if inputs.shape[0] != 1:
            raise ValueError(f'expected one image, got a batch of {inputs.shape[0]}')
        feats = self._run('image_encoder', dict(image=_numpy(inputs, np.float32)))
        feeds = {f'img_feat{i}': feat for i, feat in enumerate(feats)}
        feeds['token_ids'] = _numpy(token_ids, np.int64)
        return _outputs(self._run('text_head', feeds))

    def _check_size(self, inputs: Tensor) -> None:
        if tuple(inputs.shape[-2:]) != self.input_size:
            raise ValueError(
                f'{self.path} was exported for {self.input_size} inputs, got '
                f'{tuple(inputs.shape[-2:])}'
            )

    # ------------------------------------------------------------ prediction
    @property
    def threshold(self) -> float:
        return self._threshold

    def predict(self, inputs: Tensor, data_samples: Sequence[SegDataSample]) -> List[SegDataSample]:
        """As :meth:`RefSegmentor.predict`: fills ``seg_logits`` and ``pred_sem_seg``
        at each original image size."""
        if data_samples is None:
            raise ValueError(
                'ONNXSegmentor.predict needs data samples carrying the '
                'expressions ("text" in metainfo)'
            )
        token_ids = self.tokenize(self.expressions(data_samples))
        return self._postprocess(*self._forward_whole(inputs, token_ids), inputs, data_samples)

    def predict_texts(
        self, inputs: Tensor, data_sample: SegDataSample, texts: Sequence[str]
    ) -> List[SegDataSample]:
        """K expressions on one image, the image encoded once when the split graphs
        exist (else the image is repeated K times through the whole graph).

        Args:
            inputs (Tensor): (1, 3, H, W) preprocessed image.
            data_sample (SegDataSample): Its sample (image metainfo).
            texts (Sequence[str]): K expressions.

        Returns:
            list[SegDataSample]: One per text, with ``text`` in its metainfo and the
            fields of :meth:`predict`, at the original size.
        """
        samples = []
        for text in texts:
            sample = copy.deepcopy(data_sample)
            sample.set_metainfo(dict(text=text))
            samples.append(sample)
        token_ids = self.tokenize(self.expressions(samples))
        if self.can_encode_once:
            outputs = self._forward_shared(inputs, token_ids)
        else:
            outputs = self._forward_whole(inputs.expand(len(texts), -1, -1, -1), token_ids)
        return self._postprocess(*outputs, inputs, samples)

    def _postprocess(
        self,
        logits: Tensor,
        no_target_logits: Optional[Tensor],
        inputs: Tensor,
        samples: Sequence[SegDataSample],
    ) -> List[SegDataSample]:
        if self.meta['head_upsample'] == 'bilinear':
            logits = F.interpolate(
                logits, size=inputs.shape[-2:], mode='bilinear', align_corners=False
            )
        probs = self._resize_to_input(logits.float().sigmoid(), inputs.shape[-2:])
        samples = list(samples)
        if no_target_logits is not None:
            probs = gate_probs(no_target_logits, probs, samples, self._no_target_threshold)
        return self.postprocess_probs(probs, samples)

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'predict'):
        if mode != 'predict':
            raise ValueError(f'an ONNX model only predicts, got mode={mode!r}')
        return self.predict(inputs, data_samples)

    def test_step(self, data: dict) -> List[SegDataSample]:
        """The runner's step, as ``BaseModel.test_step``: preprocess a batch from the
        dataloader, then :meth:`predict`."""
        data = self.data_preprocessor(data, False)
        return self.predict(data['inputs'], data['data_samples'])

    val_step = test_step

    # The PyTorch segmentor's own pre- and post-processing code.
    expressions = RefSegmentor.expressions
    _resize_to_input = RefSegmentor._resize_to_input
    postprocess_probs = RefSegmentor.postprocess_probs
    _crop_and_resize = RefSegmentor._crop_and_resize


def _outputs(outputs: List[np.ndarray]) -> Tuple[Tensor, Optional[Tensor]]:
    """A graph's (logits, no-target logits or None) as tensors."""
    no_target = torch.from_numpy(outputs[1]) if len(outputs) > 1 else None
    return torch.from_numpy(outputs[0]), no_target


def _numpy(tensor: Tensor, dtype) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=dtype)
