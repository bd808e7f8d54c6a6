"""CLIP tokenization for referring expressions, on mmseg's bundled BPE (no download)."""
import warnings
from typing import Sequence

import torch


def tokenize_expressions(texts: Sequence[str], context_length: int,
                         warn_truncated: bool = True) -> torch.Tensor:
    """Tokenize expressions to fixed-length CLIP token ids.

    Sequences are ``[SOT] + BPE + [EOT]`` padded with 0. An over-long expression is cut to
    ``context_length`` tokens with EOT kept as the last one, so that ``argmax`` finds it.

    Args:
        texts (Sequence[str]): B expressions.
        context_length (int): L, the number of token positions.
        warn_truncated (bool): Warn, naming the expression, when one is cut.

    Returns:
        Tensor: (B, L) int64 token ids.
    """
    from mmseg.utils.tokenizer import _tokenizer, tokenize

    if isinstance(texts, str):
        texts = [texts]
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f'expressions must be str, got {type(text).__name__}: {text!r}')
    if warn_truncated:
        for text in texts:
            n_tokens = len(_tokenizer.encode(text)) + 2
            if n_tokens > context_length:
                warnings.warn(
                    f'expression {text!r} has {n_tokens} tokens, more than the context '
                    f'length {context_length}: it is truncated (EOT kept last)')
    return tokenize(list(texts), context_length=context_length)

