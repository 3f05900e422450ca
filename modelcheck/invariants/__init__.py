"""The catalogue of safety properties the library's specs share, written once.

Each is a plain function over values a spec extracts from its state (usually its
ghost history), so a spec's ``@invariant`` is one line and its ``explain_*`` names
the witnesses the same way everywhere.  Pure functions: specs import them, the
explorer never does.  One module per family of protocols:

* :mod:`.consensus` — election safety, agreement, validity, chosen-by-quorum;
* :mod:`.logs` — replicated logs: log matching, leader completeness, state-machine safety;
* :mod:`.broadcast` — atomic broadcast (Zab): primary order, integrity;
* :mod:`.replication` — leases and quorum reads: lease safety, read-your-writes;
* :mod:`.gossip` — gossip integrity.
"""

from .broadcast import *  # noqa: F401,F403
from .broadcast import __all__ as _broadcast
from .consensus import *  # noqa: F401,F403
from .consensus import __all__ as _consensus
from .gossip import *  # noqa: F401,F403
from .gossip import __all__ as _gossip
from .logs import *  # noqa: F401,F403
from .logs import __all__ as _logs
from .replication import *  # noqa: F401,F403
from .replication import __all__ as _replication

__all__ = [*_consensus, *_logs, *_broadcast, *_replication, *_gossip]
