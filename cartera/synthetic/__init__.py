"""The realistic synthetic source system: a Mexican B2B company written into an ERP-like schema.

``generate`` is the one entry point (used by ``cartera generate``, the demo and the tests); see
README.md in this folder for what it generates, its knobs and the ground truth it stores.
"""

from cartera.synthetic.behaviours import Behaviour
from cartera.synthetic.summary import GenerationParams, GenerationSummary
from cartera.synthetic.writer import generate

__all__ = ["Behaviour", "GenerationParams", "GenerationSummary", "generate"]
