"""CRIS projectors: stride-16 features to stride-4 mask logits."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS

from .torch_init import reset_to_torch_defaults


def build_upsampling_path(in_channels: int, channels: int, norm_cfg: ConfigType) -> nn.Sequential:
    """Visual path of the CRIS projector, x4 upsampling.

    up x2 -> ConvModule 3x3 (in -> in) -> up x2 -> ConvModule 3x3 (in -> channels)
    -> 1x1 conv with bias (channels -> channels). Indices 1, 3, 4 hold the weights,
    as in the official ``proj.vis``.
    """
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
        ConvModule(in_channels, in_channels, 3, padding=1, bias=False, norm_cfg=norm_cfg),
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
        ConvModule(in_channels, channels, 3, padding=1, bias=False, norm_cfg=norm_cfg),
        nn.Conv2d(channels, channels, 1),
    )


def _shifted_dynamic_conv(pixels: Tensor, kernels: Tensor, biases: Tensor) -> Tensor:
    """Per-sample convolution as a sum over the k x k kernel offsets, batch-agnostic.

    Args:
        pixels (Tensor): (B, C, H, W) maps.
        kernels (Tensor): (B, C, k, k) one kernel per sample.
        biases (Tensor): (B, ) one bias per sample.

    Returns:
        Tensor: (B, 1, H, W), ``conv2d(pixels[b], kernels[b], padding=k // 2)``
        + ``biases[b]`` for each b.
    """
    size = kernels.shape[-1]
    height, width = pixels.shape[-2:]
    padded = F.pad(pixels, [size // 2] * 4)
    logits = biases[:, None, None, None]
    for dy in range(size):
        for dx in range(size):
            window = padded[:, :, dy : dy + height, dx : dx + width]
            logits = logits + torch.einsum('bchw,bc->bhw', window, kernels[:, :, dy, dx])[:, None]
    return logits


@MODELS.register_module()
class TextPixelProjector(BaseModule):
    """Text-to-pixel projector of CRIS: the sentence predicts a per-sample conv.

    Pixels are upsampled x4 and projected to ``channels``; the sentence state is
    mapped to a ``channels x k x k`` kernel plus a bias, which is convolved with its
    own sample's pixel map. With k = 1 this is the paper's text-pixel dot product.

    Args:
        in_channels (int): Width of the input map. Defaults to 512.
        channels (int): Width of the projected pixels. Defaults to 256.
        text_channels (int): Width Cs of the sentence state. Defaults to 1024.
        kernel_size (int): Odd size k of the dynamic kernel. Defaults to 3.
        norm_cfg (dict): Norm config of the visual path. Defaults to
            ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Without one, layers keep
            PyTorch's defaults, as in the official code.
    """

    def __init__(
        self,
        in_channels: int = 512,
        channels: int = 256,
        text_channels: int = 1024,
        kernel_size: int = 3,
        norm_cfg: ConfigType = dict(type='BN'),
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd to keep the map size, got {kernel_size}')
        self.channels = channels
        self.kernel_size = kernel_size
        self.vis = build_upsampling_path(in_channels, channels, norm_cfg)
        self.txt = nn.Linear(text_channels, channels * kernel_size**2 + 1)

    def init_weights(self) -> None:
        """Undo ConvModule's Kaiming init unless an ``init_cfg`` is given."""
        super().init_weights()
        if self.init_cfg is None:
            reset_to_torch_defaults(self)

    def forward(self, x: Tensor, sent_feat: Tensor) -> Tensor:
        """Predict mask logits.

        Args:
            x (Tensor): (B, in_channels, h, w) multi-modal features.
            sent_feat (Tensor): (B, text_channels) sentence state.

        Returns:
            Tensor: (B, 1, 4h, 4w) logits.
        """
        pixels = self.vis(x)
        batch, channels, height, width = pixels.shape
        params = self.txt(sent_feat)
        kernels = params[:, :-1].reshape(batch, channels, self.kernel_size, self.kernel_size)
        biases = params[:, -1]
        if torch.onnx.is_in_onnx_export():
            # An ONNX Conv's group count is fixed at export; this form keeps B dynamic.
            return _shifted_dynamic_conv(pixels, kernels, biases)
        # one grouped conv: group b convolves sample b's pixels with kernel b
        logits = F.conv2d(
            pixels.reshape(1, batch * channels, height, width),
            kernels,
            biases,
            padding=self.kernel_size // 2,
            groups=batch,
        )
        return logits.reshape(batch, 1, height, width)


@MODELS.register_module()
class ConvProjector(BaseModule):
    """Plain classifier projector, the "w/o contrastive" ablation of CRIS (Table 1).

    Same visual path as :class:`TextPixelProjector`, then a fixed 1x1 conv to one
    logit per pixel: no sentence-conditioned kernel. Text then reaches the mask only
    through the neck and the decoder.

    Args:
        in_channels (int): Width of the input map. Defaults to 512.
        channels (int): Width of the projected pixels. Defaults to 256.
        norm_cfg (dict): Norm config of the visual path. Defaults to
            ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Without one, layers keep
            PyTorch's defaults.
    """

    def __init__(
        self,
        in_channels: int = 512,
        channels: int = 256,
        norm_cfg: ConfigType = dict(type='BN'),
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.vis = build_upsampling_path(in_channels, channels, norm_cfg)
        self.cls = nn.Conv2d(channels, 1, 1)

    def init_weights(self) -> None:
        """Undo ConvModule's Kaiming init unless an ``init_cfg`` is given."""
        super().init_weights()
        if self.init_cfg is None:
            reset_to_torch_defaults(self)

    def forward(self, x: Tensor, sent_feat: Tensor) -> Tensor:
        """Predict mask logits; ``sent_feat`` (B, Cs) is accepted and unused, so the
        head calls both projectors alike.

        Args:
            x (Tensor): (B, in_channels, h, w).
            sent_feat (Tensor): (B, Cs) sentence state (unused).

        Returns:
            Tensor: (B, 1, 4h, 4w) logits.
        """
        return self.cls(self.vis(x))
