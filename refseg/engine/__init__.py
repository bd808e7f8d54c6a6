# Modules are imported for their registrations.
from . import hooks  # noqa: F401
from . import optimizers  # noqa: F401
from . import schedulers  # noqa: F401
