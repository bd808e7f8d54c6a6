# Modules are imported for their registrations.
from . import (
    projector,  # noqa: F401
    vl_decoder,  # noqa: F401
)
