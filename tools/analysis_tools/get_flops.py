"""Parameters (total and trainable, per top-level module) and FLOPs of a refseg model.

Example::

    python tools/analysis_tools/get_flops.py configs/cris/cris_r50_refcoco.py --input-size 416

FLOPs are counted by MMEngine's ``FlopAnalyzer`` (one fused multiply-add = 1 FLOP, the
fvcore convention) on the tensor path ``model.forward_tokens(image, token_ids)`` with random
weights. Arguments are parsed before torch is imported, so ``--help`` is quick.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description='refseg parameters and FLOPs')
    parser.add_argument('config')
    parser.add_argument('--input-size', type=int, default=None)
    parser.add_argument('--no-flops', action='store_true', help='parameters only')
    return parser.parse_args()


def parameter_table(model) -> str:
    rows = ['| module | params (M) | trainable (M) |', '|---|---|---|']
    for name, child in model.named_children():
        total = sum(p.numel() for p in child.parameters())
        trainable = sum(p.numel() for p in child.parameters() if p.requires_grad)
        if total:
            rows.append(f'| {name} | {total / 1e6:.2f} | {trainable / 1e6:.2f} |')
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows.append(f'| **total** | {total / 1e6:.2f} | {trainable / 1e6:.2f} |')
    return '\n'.join(rows)


def tensor_forward(model):
    """``model`` as a module whose forward is the tensor path FlopAnalyzer traces."""
    import torch

    class TensorForward(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, inputs, token_ids):
            return self.model.forward_tokens(inputs, token_ids)

    return TensorForward(model)


def main():
    args = parse_args()

    import torch
    from _bench_common import build_model

    model, cfg = build_model(args.config, 'cpu')
    input_size = args.input_size or cfg.get('img_size', 416)
    print(f'config: {args.config}  input: {input_size}x{input_size}')
    print(parameter_table(model))
    if args.no_flops:
        return
    from mmengine.analysis import FlopAnalyzer

    context_length = getattr(model, 'context_length', 17)
    tokens = model.tokenize(['the man in the red shirt on the left'])
    tokens = tokens[:, :context_length]
    image = torch.randn(1, 3, input_size, input_size)
    with torch.inference_mode():
        flops = FlopAnalyzer(tensor_forward(model), (image, tokens))
        flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        total = flops.total()
    print(f'FLOPs (batch 1): {total / 1e9:.2f} G')


if __name__ == '__main__':
    main()
