# Modules are imported for their registrations.
from . import checkpoint  # noqa: F401
