# Modules are imported for their registrations.
from . import (
    cris_neck,  # noqa: F401
    word_attention_neck,  # noqa: F401
)
