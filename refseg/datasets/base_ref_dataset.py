"""What every referring dataset shares: how a referent's sentences become samples."""

import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

SENTENCE_MODES = ('random', 'all', 'first')


class DataItemError(RuntimeError):
    """A data item could not be prepared; the message names its image file."""


def describe_file_problem(path: str) -> str:
    """' (the file is empty)' and the like for a local image that cannot be decoded."""
    if '://' in path:
        return ''
    if not osp.exists(path):
        return ' (the file does not exist)'
    if osp.getsize(path) == 0:
        return ' (the file is empty: 0 bytes)'
    return ' (not a decodable image?)'


class BaseRefDataset(BaseDataset):
    """A dataset of referents, each described by one or more sentences.

    Subclasses read their files in ``load_data_list`` and turn each referent's record into
    items with :meth:`expand_sentences`; ``sentence_mode`` says how:

    * ``'random'``: one item per referent; :meth:`get_data_info` draws its ``text`` (and
      ``sent_id``) from the referent's ``sentences`` on every access, with NumPy's global
      generator, which mmengine seeds per run, rank and dataloader worker (training);
    * ``'all'``: one item per sentence (evaluation);
    * ``'first'``: one item per referent with its first sentence (CRIS's validation
      during training).

    Args:
        sentence_mode (str, optional): One of the modes above. Defaults to ``'all'`` in
            test mode (every expression is scored), else ``'random'``.
        sentence_weights (Sequence[float], optional): Weights of the sentence positions
            when drawing in ``'random'`` mode (PartImageNet's template weights): non-
            negative, with a positive sum. Defaults to uniform.
        **kwargs: ``mmengine.dataset.BaseDataset`` arguments.
    """

    def __init__(
        self,
        *,
        sentence_mode: Optional[str] = None,
        sentence_weights: Optional[Sequence[float]] = None,
        **kwargs,
    ) -> None:
        if sentence_mode is None:
            sentence_mode = 'all' if kwargs.get('test_mode', False) else 'random'
        if sentence_mode not in SENTENCE_MODES:
            raise ValueError(
                f'{type(self).__name__}: sentence_mode must be one of '
                f'{SENTENCE_MODES}, got {sentence_mode!r}'
            )
        self.sentence_mode = sentence_mode
        self.sentence_weights = None
        if sentence_weights is not None:
            weights = np.asarray(sentence_weights, dtype=np.float64)
            if weights.ndim != 1 or (weights < 0).any() or weights.sum() <= 0:
                raise ValueError(
                    f'{type(self).__name__}: sentence_weights must be '
                    'non-negative numbers with a positive sum, got '
                    f'{list(sentence_weights)}'
                )
            self.sentence_weights = weights
        super().__init__(**kwargs)

    def expand_sentences(
        self, record: dict, sentences: Sequence[str], sent_ids: Sequence[int]
    ) -> List[dict]:
        """The items of one referent under ``sentence_mode``.

        Args:
            record (dict): The referent's fields shared by its items.
            sentences (Sequence[str]): Its sentences, at least one.
            sent_ids (Sequence[int]): One id per sentence.

        Returns:
            list[dict]: ``[record + sentences + sent_ids]`` in random mode; else one
            ``record + text + sent_id`` per kept sentence.
        """
        if self.sentence_mode == 'random':
            return [dict(record, sentences=list(sentences), sent_ids=list(sent_ids))]
        pairs = list(zip(sentences, sent_ids))
        if self.sentence_mode == 'first':
            pairs = pairs[:1]
        return [dict(record, text=text, sent_id=sent_id) for text, sent_id in pairs]

    def get_data_info(self, idx: int) -> dict:
        """The idx-th item; in random mode with a freshly drawn ``text`` and ``sent_id``."""
        info = super().get_data_info(idx)
        if self.sentence_mode == 'random':
            sent_ids = info.pop('sent_ids')
            choice = self._draw_sentence(len(sent_ids))
            info['text'] = info['sentences'][choice]
            info['sent_id'] = sent_ids[choice]
        return info

    def _draw_sentence(self, num: int) -> int:
        if self.sentence_weights is None:
            return int(np.random.randint(num))
        weights = self.sentence_weights[:num]
        if weights.sum() <= 0:
            raise ValueError(
                f'{type(self).__name__}: sentence_weights '
                f'{self.sentence_weights.tolist()} give no weight to the '
                f'first {num} sentences of this item'
            )
        return int(np.random.choice(num, p=weights / weights.sum()))

    def prepare_data(self, idx: int):
        """The idx-th item through the pipeline; a failure names the image file."""
        info = self.get_data_info(idx)
        try:
            return self.pipeline(info)
        except Exception as error:
            path = str(info.get('img_path'))
            raise DataItemError(
                f'{type(self).__name__} item {idx} (ref_id={info.get("ref_id")}, '
                f'sent_id={info.get("sent_id")}): cannot prepare image {path}'
                f'{describe_file_problem(path)}: {type(error).__name__}: {error}'
            ) from error
