# Modules are imported for their registrations.
from . import (
    ref_segmentor,  # noqa: F401
    risclip,  # noqa: F401
)
