"""Runs inside the kernel: put the process back to a clean state between notebooks.

A warm kernel is reused across documents to avoid paying kernel start-up and the pandas and
matplotlib imports again. `%reset -f` clears the user namespace but not module state, so
this resets what a notebook can change behind our back: matplotlib settings and open
figures, pandas options, random seeds, warning filters and the working folder.
"""

from __future__ import annotations

import os
import random
import warnings


def preload() -> None:
    """Import what every section needs, once per kernel."""
    # lazy, here and below: these run in the kernel; the build imports this module only for its code strings
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    from strategy_docs.sections import context, display  # noqa: F401

    try:
        from strategy_docs import analysis  # noqa: F401
        from strategy_docs.sections import charts
    except ImportError:
        pass


def reset(workdir: str) -> None:
    import matplotlib  # lazy: runs in the kernel (see preload)
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    plt.close("all")
    matplotlib.rcdefaults()
    matplotlib.use("agg")
    pd.reset_option("all")
    random.seed(0)
    np.random.seed(0)
    warnings.resetwarnings()
    warnings.simplefilter("default")
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    from strategy_docs.sections import context

    context.start_recording()  # what this notebook reads is its section's inputs (context.py)


def clear_namespace() -> None:
    """What `%reset -f` does (InteractiveShell.reset), without its full garbage collections.

    `%reset -f` and the output-cache flush inside it each run gc.collect(), 0.1 s apiece in a
    kernel holding pandas and matplotlib: 0.2 s per notebook. execute.py asks for one full
    collection per document instead (RESET_CODE + COLLECT_CODE).
    """
    import gc  # lazy: runs in the kernel (see preload)

    from IPython import get_ipython

    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        get_ipython().reset(new_session=False)
    finally:
        gc.collect = collect


RESET_CODE = """\
import strategy_docs.build.kernel_state as __sd_state
__sd_state.clear_namespace()
get_ipython().execution_count = 0
import strategy_docs.build.kernel_state as __sd_state
__sd_state.reset({workdir!r})
del __sd_state
"""

COLLECT_CODE = """\
import gc as __sd_gc
__sd_gc.collect()
del __sd_gc
"""

SAVE_READS_CODE = """\
import strategy_docs.sections.context as __sd_context
__sd_context.save_reads({path!r})
del __sd_context
"""

PRELOAD_CODE = """\
import strategy_docs.build.kernel_state as __sd_state
__sd_state.preload()
del __sd_state
"""
