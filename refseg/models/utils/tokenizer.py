"""CLIP tokenization for referring expressions, on mmseg's bundled BPE (no download)."""

import logging
import warnings
from typing import Optional, Sequence

import torch


class TruncationLog:
    """Counts the expressions cut to the context length, so that a run warns once.

    The first over-long expression gets a warning that names it; later ones are counted
    and the running count is logged when it reaches 10, 100, 1000, ... A segmentor keeps one
    log, so each run (one model) reports its own truncations.
    """

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0

    def add(self, text: str, n_tokens: int, context_length: int) -> None:
        """Record one truncated expression of ``n_tokens`` tokens."""
        self.count += 1
        self.longest = max(self.longest, n_tokens)
        if self.count == 1:
            warnings.warn(
                f'expression {text!r} has {n_tokens} tokens, more than the context length '
                f'{context_length}: it is truncated (EOT kept last). Further truncated '
                'expressions are counted, not listed.'
            )
        elif _is_power_of_ten(self.count):
            from mmengine.logging import print_log

            print_log(
                f'{self.count} expressions truncated to the context length '
                f'{context_length} so far (longest: {self.longest} tokens)',
                logger='current',
                level=logging.WARNING,
            )


def _is_power_of_ten(number: int) -> bool:
    while number % 10 == 0:
        number //= 10
    return number == 1


def tokenize_expressions(
    texts: Sequence[str], context_length: int, truncations: Optional[TruncationLog] = None
) -> torch.Tensor:
    """Tokenize expressions to fixed-length CLIP token ids.

    Sequences are ``[SOT] + BPE + [EOT]`` padded with 0. An over-long expression is cut to
    ``context_length`` tokens with EOT kept as the last one, so that ``argmax`` finds it.

    Args:
        texts (Sequence[str]): B expressions.
        context_length (int): L, the number of token positions.
        truncations (TruncationLog, optional): Where cut expressions are counted (one
            warning per log). Defaults to a new log for this call, which warns about the
            first cut expression of the call.

    Returns:
        Tensor: (B, L) int64 token ids.
    """
    from mmseg.utils.tokenizer import _tokenizer, tokenize

    if isinstance(texts, str):
        texts = [texts]
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f'expressions must be str, got {type(text).__name__}: {text!r}')
    if truncations is None:
        truncations = TruncationLog()
    for text in texts:
        n_tokens = len(_tokenizer.encode(text)) + 2
        if n_tokens > context_length:
            truncations.add(text, n_tokens, context_length)
    return tokenize(list(texts), context_length=context_length)
