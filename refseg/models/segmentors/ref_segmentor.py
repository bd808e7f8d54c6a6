from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from refseg.registry import MODELS
from refseg.structures.letterbox import warp_to_original

from ..utils.tokenizer import TruncationLog, tokenize_expressions


@MODELS.register_module()
class RefSegmentor(BaseSegmentor):
    """Referring segmentor: an image and an expression in, the referent's mask out.

    .. code:: text

        image (B,3,H,W) ──► backbone ──► img_feats ─┐
                                                    ├─► neck ──► vis_feats ─┐
        text ─► tokenize (B,L) ─► text_encoder ─────┴── word_feats, sent_feat, pad_mask
                                                                            ▼
                                                            decode_head ──► logits (B,1,h',w')

    Expressions travel in ``data_sample.text`` and are tokenized here, so datasets and
    pipelines stay model-agnostic. :meth:`predict_texts` segments K expressions in one
    image with the image encoded once, unless the class sets
    ``image_encoder_reads_text`` (its image features depend on the expression).

    Args:
        backbone (dict): Image encoder config, e.g. ``CLIPResNet``.
        text_encoder (dict): Text encoder config returning ``word_feats``,
            ``sent_feat`` and ``pad_mask``.
        decode_head (dict): Head config taking the feature dict of :meth:`extract_feat`.
        neck (dict, optional): Cross-modal neck ``neck(img_feats, text)``; ``text`` is
            the text encoder's dict (``word_feats``, ``sent_feat``, ``pad_mask``), so
            sentence- and word-level fusion necks plug in alike (docs/customize.md).
        context_length (int): L, token positions per expression (CRIS: 17 for
            RefCOCO/RefCOCO+, 22 for RefCOCOg).
        text_override (str, optional): If set, every expression is replaced by this
            string: ``''`` gives the "no language" ablation. Defaults to None.
        no_target_head (dict, optional): ``NoTargetHead`` config: trained beside the mask
            loss, it empties the mask of expressions it judges to have no target
            (gRefCOCO). Defaults to None.
        data_preprocessor (dict, optional): ``mmseg.SegDataPreProcessor`` config.
        train_cfg (dict, optional): Training config handed to the head.
        test_cfg (dict, optional): Test config; ``upsample_mode`` (default
            ``'bicubic'``, CRIS) and ``warp_mode`` (default ``'bicubic'``) select the
            interpolations used to bring probabilities back to the original image.
        init_cfg (dict, optional): Initialisation config.
    """

    # True where the image encoder reads the expression, so that one image's features
    # cannot serve several expressions.
    image_encoder_reads_text = False

    def __init__(
        self,
        backbone: ConfigType,
        text_encoder: ConfigType,
        decode_head: ConfigType,
        neck: OptConfigType = None,
        context_length: int = 17,
        text_override: Optional[str] = None,
        no_target_head: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_head = MODELS.build(decode_head)
        if no_target_head is not None:
            self.no_target_head = MODELS.build(no_target_head)
        self.context_length = context_length
        self.truncations = TruncationLog()  # one warning per model, i.e. per run
        self.text_override = text_override
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg if test_cfg is not None else dict()

    # ------------------------------------------------------------------ text
    def expressions(self, data_samples: SampleList) -> List[str]:
        """The expression of each sample (or the override)."""
        if self.text_override is not None:
            return [self.text_override] * len(data_samples)
        texts = []
        for i, sample in enumerate(data_samples):
            text = sample.metainfo.get('text')
            if text is None:
                raise KeyError(
                    f'data sample {i} has no "text" in its metainfo: add it to '
                    f'PackRefSegInputs meta_keys (got {sorted(sample.metainfo)})'
                )
            texts.append(text)
        return texts

    def tokenize(self, texts: List[str]) -> Tensor:
        """(B, L) CLIP token ids on the model's device."""
        device = next(self.parameters()).device
        return tokenize_expressions(texts, self.context_length, self.truncations).to(device)

    # -------------------------------------------------------------- features
    def extract_feat(self, inputs: Tensor, data_samples: SampleList, img_feats=None) -> Dict:
        """Tokenize the samples' expressions, then :meth:`encode`."""
        token_ids = self.tokenize(self.expressions(data_samples))
        return self.encode(inputs, token_ids, img_feats=img_feats)

    def encode(self, inputs: Tensor, token_ids: Tensor, img_feats=None) -> Dict:
        """Encode images and token ids into the features the head consumes.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            token_ids (Tensor): (B, L) CLIP token ids.
            img_feats (optional): The backbone's output for ``inputs``, computed
                before (e.g. once for several expressions); the backbone is not run.

        Returns:
            dict: ``img_feats`` (backbone output), ``vis_feats`` (neck output, or
            ``img_feats`` without a neck), ``word_feats`` (B, L, Cw), ``sent_feat``
            (B, Cs), ``pad_mask`` (B, L) bool and ``token_ids`` (B, L).
        """
        if img_feats is None:
            img_feats = self.backbone(inputs)
        text = self.text_encoder(token_ids)
        vis_feats = self.neck(img_feats, text) if self.with_neck else img_feats
        return dict(img_feats=img_feats, vis_feats=vis_feats, token_ids=token_ids, **text)

    def forward_tokens(self, inputs: Tensor, token_ids: Tensor) -> Tensor:
        """Tensor-only forward, (B, 3, H, W) + (B, L) -> head logits; for tracing,
        FLOP counting and export."""
        return self.decode_head.forward(self.encode(inputs, token_ids))

    def encode_decode(self, inputs: Tensor, batch_data_samples: SampleList) -> Tensor:
        """Mask logits at the network input size, (B, 1, H, W)."""
        probs = self.predict_probs(inputs, batch_data_samples)
        return torch.logit(probs.clamp(0, 1), eps=1e-6)

    def predict_probs(
        self, inputs: Tensor, batch_data_samples: SampleList, img_feats=None
    ) -> Tensor:
        """Foreground probabilities at the network input size, (B, 1, H, W).

        The head's logits go through the sigmoid first and are then upsampled (CRIS:
        bicubic, ``align_corners=True``), as the official evaluation does.
        ``img_feats``: see :meth:`encode`.
        """
        feats = self.extract_feat(inputs, batch_data_samples, img_feats=img_feats)
        logits = self.decode_head.predict(
            feats, [s.metainfo for s in batch_data_samples], self.test_cfg
        )
        probs = logits.float().sigmoid()
        if self.with_no_target_head:
            probs = self.no_target_head.gate(feats, probs, batch_data_samples)
        return self._resize_to_input(probs, inputs.shape[-2:])

    def _resize_to_input(self, maps: Tensor, size) -> Tensor:
        if maps.shape[-2:] == tuple(size):
            return maps
        mode = self.test_cfg.get('upsample_mode', 'bicubic')
        align = None if mode == 'nearest' else True
        return F.interpolate(maps, size=tuple(size), mode=mode, align_corners=align)

    # ----------------------------------------------------------------- modes
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(inputs, data_samples)
        losses = self._mask_loss(feats, data_samples)
        losses = {f'decode.{k}' if not k.startswith('decode.') else k: v for k, v in losses.items()}
        if self.with_no_target_head:
            losses.update(
                {
                    f'no_target.{k}': v
                    for k, v in self.no_target_head.loss(feats, data_samples).items()
                }
            )
        return losses

    def _mask_loss(self, feats: dict, data_samples: SampleList) -> dict:
        """The decode head's loss, on the samples with a target only where the no-target
        head asks for it (``mask_loss_on_targets_only``)."""
        if not (self.with_no_target_head and self.no_target_head.mask_loss_on_targets_only):
            return self.decode_head.loss(feats, data_samples, self.train_cfg)
        keep = (self.no_target_head.labels(data_samples) == 0).nonzero()[:, 0]
        if len(keep) == 0:  # zeros keep every parameter in the graph (DDP)
            losses = self.decode_head.loss(feats, data_samples, self.train_cfg)
            return {k: v * 0 if 'loss' in k else v for k, v in losses.items()}
        kept = select_batch(feats, keep)
        return self.decode_head.loss(kept, [data_samples[i] for i in keep], self.train_cfg)

    @property
    def with_no_target_head(self) -> bool:
        return getattr(self, 'no_target_head', None) is not None

    def predict(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> SampleList:
        if data_samples is None:
            raise ValueError(
                'RefSegmentor.predict needs data samples carrying the '
                'expressions ("text" in metainfo)'
            )
        probs = self.predict_probs(inputs, data_samples)
        return self.postprocess_probs(probs, data_samples)

    def predict_texts(
        self, inputs: Tensor, data_sample: SegDataSample, texts: Sequence[str]
    ) -> SampleList:
        """Segment K expressions in one image, encoding the image once.

        Args:
            inputs (Tensor): (1, 3, H, W) image after the data preprocessor.
            data_sample (SegDataSample): The image's sample (metainfo such as
                ``ori_shape`` and ``letterbox_matrix``); its ``text`` is ignored.
            texts (Sequence[str]): K expressions.

        Returns:
            list[SegDataSample]: K samples, as :meth:`predict` fills them
            (``seg_logits``, ``pred_sem_seg`` at the original size), each with its
            ``text`` in the metainfo.
        """
        if inputs.dim() != 4 or inputs.shape[0] != 1:
            raise ValueError(
                'predict_texts takes one image, (1, 3, H, W), got shape '
                f'{tuple(inputs.shape)}; see predict_batch_texts'
            )
        return self.predict_batch_texts(inputs, [data_sample], [texts])[0]

    def predict_batch_texts(
        self, inputs: Tensor, data_samples: SampleList, texts: Sequence[Sequence[str]]
    ) -> List[SampleList]:
        """Segment K_i expressions in each of B images, each image encoded once.

        Args:
            inputs (Tensor): (B, 3, H, W) images after the data preprocessor.
            data_samples (list[SegDataSample]): B samples with the images' metainfo.
            texts (Sequence[Sequence[str]]): B lists of expressions (K_i >= 1).

        Returns:
            list[list[SegDataSample]]: Per image, K_i samples as :meth:`predict_texts`.
        """
        if len(data_samples) != inputs.shape[0] or len(texts) != inputs.shape[0]:
            raise ValueError(
                f'{inputs.shape[0]} images but {len(data_samples)} data '
                f'samples and {len(texts)} lists of expressions'
            )
        counts = [len(image_texts) for image_texts in texts]
        if min(counts) < 1:
            raise ValueError('every image needs at least one expression')
        pair_samples = []
        for sample, image_texts in zip(data_samples, texts):
            for text in image_texts:
                pair = sample.clone()
                pair.set_metainfo(dict(text=text))
                pair_samples.append(pair)
        image_index = torch.repeat_interleave(
            torch.arange(len(counts), device=inputs.device),
            torch.tensor(counts, device=inputs.device),
        )
        img_feats = None
        if not self.image_encoder_reads_text:
            img_feats = select_batch(self.backbone(inputs), image_index)
        probs = self.predict_probs(inputs[image_index], pair_samples, img_feats=img_feats)
        pair_samples = self.postprocess_probs(probs, pair_samples)
        groups, start = [], 0
        for count in counts:
            groups.append(pair_samples[start : start + count])
            start += count
        return groups

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None):
        if data_samples is None:
            raise ValueError('RefSegmentor needs data samples carrying the expressions')
        feats = self.extract_feat(inputs, data_samples)
        return self.decode_head.forward(feats)

    # ------------------------------------------------------- postprocessing
    @property
    def threshold(self) -> float:
        """Probability above which a pixel is predicted as the referent (the head's)."""
        return self.decode_head.threshold

    def postprocess_result(self, seg_logits: Tensor, data_samples: SampleList) -> SampleList:
        """mmseg's hook: (B, 1, H, W) logits -> :meth:`postprocess_probs`."""
        return self.postprocess_probs(seg_logits.float().sigmoid(), data_samples)

    def postprocess_probs(self, probs: Tensor, data_samples: SampleList) -> SampleList:
        """Bring (B, 1, H, W) network-size probabilities back to each original image.

        With a letterbox (``letterbox_matrix`` in the metainfo) the sigmoid
        probabilities are warped back through the inverse affine map (border 0, as CRIS
        does); otherwise the valid (unpadded) region is cropped and resized to
        ``ori_shape``. Writes ``seg_logits`` (logits, (1, h, w)) and ``pred_sem_seg``
        (uint8, (1, h, w), ``sigmoid > threshold``).
        """
        warp_mode = self.test_cfg.get('warp_mode', 'bicubic')
        for prob, sample in zip(probs, data_samples):
            meta = sample.metainfo
            ori_shape = tuple(meta['ori_shape'][:2])
            if meta.get('letterbox_matrix') is not None:
                prob = warp_to_original(prob, meta['letterbox_matrix'], ori_shape, mode=warp_mode)
            else:
                prob = self._crop_and_resize(prob, meta, ori_shape)
            prob = prob.clamp(0, 1)
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=torch.logit(prob, eps=1e-6)),
                    pred_sem_seg=PixelData(data=(prob > self.threshold).to(torch.uint8)),
                )
            )
        return data_samples

    def _crop_and_resize(self, prob: Tensor, meta: dict, ori_shape) -> Tensor:
        pad_left, pad_right, pad_top, pad_bottom = meta.get('padding_size', [0] * 4)
        height, width = prob.shape[-2:]
        prob = prob[:, pad_top : height - pad_bottom, pad_left : width - pad_right]
        if meta.get('flip'):
            dim = 2 if meta.get('flip_direction') == 'horizontal' else 1
            prob = prob.flip(dims=(dim,))
        return F.interpolate(prob[None], size=ori_shape, mode='bilinear', align_corners=False)[0]


def select_batch(feats, index: Tensor):
    """Gather batch entries ``index`` of every tensor in nested image features.

    Args:
        feats (Tensor | dict | list | tuple): A backbone output, batch axis first.
        index (Tensor): (N, ) long indices into the batch axis.
    """
    if isinstance(feats, Tensor):
        return feats.index_select(0, index.to(feats.device))
    if isinstance(feats, dict):
        return {k: select_batch(v, index) for k, v in feats.items()}
    if isinstance(feats, (list, tuple)):
        return type(feats)(select_batch(v, index) for v in feats)
    raise TypeError(f'cannot select from image features of type {type(feats).__name__}')
