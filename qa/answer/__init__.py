"""Answer selection in small steps you can see, test and explain:

    question → analyse (analysis.py) → Query → candidates (candidates.py) → features
    (features.py) → score with fitted weights (scoring.py) → decide, found or refused
    (decide.py) → strategy: plain, compare, trend, difference, sum, several (strategies.py)
    → reply from templates (replies.py) → Answer (records.py)

:class:`Answerer` (pipeline.py) runs the steps for one index; ``qa train`` (train.py) refits
the weights in ``qa/data/answer_weights.json``.
"""

from .analysis import Query, analyze
from .pipeline import Answerer
from .records import Answer, Citation

__all__ = ["Answerer", "Answer", "Citation", "Query", "analyze"]
