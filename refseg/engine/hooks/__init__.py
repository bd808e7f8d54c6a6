# Modules are imported for their registrations.
from . import (
    checkpoint_hook,  # noqa: F401
    visualization_hook,  # noqa: F401
)
