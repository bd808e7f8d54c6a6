# Modules are imported for their registrations.
from . import (
    hooks,  # noqa: F401
    optimizers,  # noqa: F401
    schedulers,  # noqa: F401
)
