# Modules are imported for their registrations.
from . import (
    adapters,  # noqa: F401
    backbones,  # noqa: F401
    decode_heads,  # noqa: F401
    layers,  # noqa: F401
    losses,  # noqa: F401
    necks,  # noqa: F401
    pretrainers,  # noqa: F401
    segmentors,  # noqa: F401
)
