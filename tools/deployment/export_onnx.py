"""Export a refseg segmentor to ONNX (logits before the sigmoid, dynamic batch).

Examples::

    python tools/deployment/export_onnx.py configs/cris/cris_r50_refcoco.py \
        --checkpoint cris_r50.pth --out cris_r50.onnx --split --verify
    python tools/deployment/export_onnx.py configs/risclip/risclip_vitb_refcoco.py \
        --checkpoint risclip_b.pth --out risclip_b.onnx

Inputs ``image`` (B, 3, H, W) float32 normalised as the data preprocessor does and
``token_ids`` (B, L) int64; output ``logits`` (B, 1, h, w), ``forward_tokens``. The config
is stored in the file, so ``refseg.apis.init_model('cris_r50.onnx')`` serves it on ONNX
Runtime with the PyTorch model's pre- and post-processing. ``--split`` (CRIS) also writes
``<out>.image_encoder.onnx`` and ``<out>.text_head.onnx`` for encoding an image once for
many expressions. See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global np, torch
    import numpy as np
    import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a refseg model to ONNX')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='refseg checkpoint (random weights without)')
    parser.add_argument('--out', required=True, help='output file, *.onnx')
    parser.add_argument(
        '--split', action='store_true', help='also export image encoder and text+neck+head graphs'
    )
    parser.add_argument(
        '--input-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help="network input size (default: the data preprocessor's)",
    )
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--quantize-int8',
        action='store_true',
        help='also write <out>.int8.onnx: weights of MatMul/Gemm '
        '(linear layers) dynamically quantised to int8 (opt-in; '
        'changes the outputs, see docs/deployment.md)',
    )
    parser.add_argument(
        '--verify', action='store_true', help='compare ONNX Runtime with PyTorch on random inputs'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings before building the model, as tools/train.py '
        'does (e.g. img_size=192 for a model trained with it); stored in the file',
    )
    return parser.parse_args(argv)


def quantize_linear_int8(src: str, dst: str) -> None:
    """Dynamic int8 quantisation of the MatMul/Gemm weights, metadata kept."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, op_types_to_quantize=['MatMul', 'Gemm'], weight_type=QuantType.QInt8)
    props = {p.key: p.value for p in onnx.load(src, load_external_data=False).metadata_props}
    graph = onnx.load(dst)
    onnx.helper.set_model_props(graph, props)
    onnx.save(graph, dst)


def verify(model, path: str, input_size, batch: int = 2) -> float:
    """Max abs difference of the sigmoid probabilities, ONNX Runtime vs PyTorch."""
    from refseg.apis.onnx_model import ONNXSegmentor

    served = ONNXSegmentor(path)
    image = torch.randn(batch, 3, *input_size)
    token_ids = model.tokenize(['the dog on the left', 'the red car'][:batch] * batch)[:batch]
    with torch.no_grad():
        expected = model.forward_tokens(image, token_ids).sigmoid()
    got = served.forward_tokens(image, token_ids).sigmoid()
    diff = float((got - expected).abs().max())
    same = bool(torch.equal(got > served.threshold, expected > served.threshold))
    print(f'{path}: max |prob ORT - prob torch| = {diff:.2e}, masks identical: {same}')
    if served.can_encode_once:
        got = served.forward_shared_image(image[:1], token_ids).sigmoid()
        with torch.no_grad():
            expected = model.forward_tokens(
                image[:1].expand(batch, -1, -1, -1), token_ids
            ).sigmoid()
        split_diff = float((got - expected).abs().max())
        print(f'split graphs: max |prob ORT - prob torch| = {split_diff:.2e}')
        diff = max(diff, split_diff)
    return diff


def main(argv=None):
    args = parse_args(argv)
    _import_heavy()
    from refseg.apis import init_model
    from refseg.apis.onnx_model import export_onnx
    from refseg.utils.config import load_config

    model = init_model(load_config(args.config, args.cfg_options), args.checkpoint, device='cpu')
    written = export_onnx(
        model,
        model.cfg,
        args.out,
        input_size=args.input_size,
        split=args.split,
        opset=args.opset,
        dataset_meta=model.dataset_meta,
    )
    if args.quantize_int8:
        for path in list(written):
            dst = path[: -len('.onnx')] + '.int8.onnx'
            quantize_linear_int8(path, dst)
            written.append(dst)
        _rename_split_files(written)
    for path in written:
        print(f'wrote {path} ({osp.getsize(path) / 2**20:.1f} MiB)')
    if args.verify:
        size = args.input_size or model.data_preprocessor.size
        diff = verify(model, args.out, size)
        if not np.isfinite(diff) or diff >= 1e-4:
            sys.exit(f'verification failed: probabilities differ by {diff:.2e} >= 1e-4')


def _rename_split_files(written) -> None:
    """Point a quantised whole graph at the quantised split graphs."""
    import onnx

    for path in written:
        if not path.endswith('.int8.onnx'):
            continue
        graph = onnx.load(path)
        props = {p.key: p.value for p in graph.metadata_props}
        changed = False
        for key in ('refseg.image_encoder', 'refseg.text_head'):
            if key in props and not props[key].endswith('.int8.onnx'):
                props[key] = props[key][: -len('.onnx')] + '.int8.onnx'
                changed = True
        if changed:
            del graph.metadata_props[:]
            onnx.helper.set_model_props(graph, props)
            onnx.save(graph, path)


if __name__ == '__main__':
    main()
