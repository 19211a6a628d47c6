"""tuneloop: turn a general language model into a reliable model for one task, data quality first.

Importing tuneloop asks PyTorch's CPU allocator for transparent huge pages on buffers of 2 MB and
more (`THP_MEM_ALLOC_ENABLE`, read once when torch loads), unless the environment already sets it.
A training step allocates and frees activations of a hundred megabytes and more (the logits over a
49k-token vocabulary); freed, they go back to the kernel, and with 4 KB pages each is faulted in
again page by page. Measured on this project's 2-core virtual machine: a 118 MB buffer allocated
and filled 147 ms → 29 ms, page faults 1.19 M → 68 k (BENCHMARKS.md has the effect on training).
"""

import os

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"
