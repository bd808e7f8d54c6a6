# Modules are imported for their registrations.
from . import cris_lr  # noqa: F401
