# Modules are imported for their registrations.
from . import cris_lr  # noqa: F401
from . import bias_norm_decay_constructor  # noqa: F401
