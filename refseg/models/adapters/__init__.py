# Modules are imported for their registrations.
from . import (
    cfe,  # noqa: F401
    ske,  # noqa: F401
)
