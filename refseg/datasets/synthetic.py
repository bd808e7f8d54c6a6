"""The built-in synthetic world as a dataset, generated on first use.

The world itself (objects, expressions, pairs, files) is written by :mod:`refseg.synthetic`.
"""

from typing import Optional

from mmengine.dist import barrier, get_dist_info

from refseg.registry import DATASETS
from refseg.synthetic import ensure_synthetic_refer

from .refcoco import RefCOCODataset


@DATASETS.register_module()
class SyntheticRefDataset(RefCOCODataset):
    """:class:`RefCOCODataset` over the synthetic world, generated on first use.

    In a distributed run rank 0 generates while the other ranks wait at a barrier; then
    every rank checks the data (and generates it itself on a machine that does not share
    rank 0's file system).

    Args:
        data_root (str): Folder of the synthetic world, created if missing.
        generate_cfg (dict, optional): Keyword arguments of
            :func:`refseg.synthetic.ensure_synthetic_refer` (``num_images``,
            ``image_size``, ``seed``, ``splits``, ``progress``).
        **kwargs: Arguments of :class:`RefCOCODataset`; the defaults of ``ann_file``,
            ``split_file`` and ``data_prefix`` already match the generated layout.
    """

    def __init__(self, data_root: str, generate_cfg: Optional[dict] = None, **kwargs) -> None:
        generate_cfg = dict(generate_cfg or {})
        rank, world_size = get_dist_info()
        if world_size > 1 and rank != 0:
            barrier()
        ensure_synthetic_refer(data_root, **generate_cfg)
        if world_size > 1 and rank == 0:
            barrier()
        super().__init__(data_root=data_root, **kwargs)
