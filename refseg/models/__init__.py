# Modules are imported for their registrations.
from . import backbones  # noqa: F401
from . import necks  # noqa: F401
from . import decode_heads  # noqa: F401
from . import segmentors  # noqa: F401
from . import adapters  # noqa: F401
from . import losses  # noqa: F401
from . import layers  # noqa: F401
