# Modules are imported for their registrations.
from . import (
    cris_head,  # noqa: F401
    no_target_head,  # noqa: F401
    risclip_head,  # noqa: F401
)
