# Modules are imported for their registrations.
from . import bias_norm_decay_constructor  # noqa: F401
