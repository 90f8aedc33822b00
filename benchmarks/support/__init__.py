"""What ``benchmarks/kernel.py`` measures with: the hand-written baselines, the shared inputs,
the self-checks and the timed loops.

Modules: :mod:`.baseline` (``BaselineOrder`` and the workflow as a dict table),
:mod:`.typed_baseline` (``TypedBaselineOrder``), :mod:`.inputs` (the data every measurement
shares), :mod:`.checks` (the baselines behave like ``Order``), :mod:`.timing` (create, fire,
typed methods, memory, growth), :mod:`.history` (10,000th transition against the 10th) and
:mod:`.machine` (``transitions``, for scale). Not a benchmark itself: nothing here runs on import.
"""
