"""Recommendation: interaction data, baselines, MF, two-tower, ranking metrics (notebook 09).

Data are tidy frames of interactions, one row per (user, item) event or rating, with
``user_id`` and ``item_id`` columns (other names via ``user_col=``, ``item_col=``). Every
model has one interface: ``fit(train)``, then ``recommend(users, k, exclude_seen=True)``
returns a tidy frame ``user_id, item_id, rank, score`` (rank 1 = top; items seen in
``train`` left out unless ``exclude_seen=False``). The ranking metrics take that frame as
``recommended`` and a frame of ``relevant`` (user, item) pairs, and follow the definitions of
microsoft/recommenders (``recommenders/evaluation/python_evaluation.py``), each written out in
its docstring. Each helper is checked against tables worked by hand, scikit-learn (cosine
similarity, weighted ridge regression) or scipy in ``tests/test_recommend.py``.

======================  ===================  ========  ====================================
name                    file                 notebook  what it does
======================  ===================  ========  ====================================
interaction_matrix,     _data.py             09        user x item scipy.sparse matrix and
InteractionMatrix                                      its row and column ids
stratified_split        _data.py             09        per-user random 75/25 split
                                                       (recommenders' python_stratified_split)
time_split              _data.py             09        a global time cut
leave_last_out          _data.py             09        each user's last n rows to test
Recommender             _base.py             09        the common fit/recommend interface
PopularityRecommender   _base.py             09        most-interacted items, for everyone
ItemKNNRecommender      _base.py             09        item-based cosine nearest neighbours
ALSRecommender          _als.py              09        implicit matrix factorisation (ALS)
TwoTowerRecommender     _two_tower.py        09        Keras 3 two-tower, in-batch softmax
precision_at_k          _metrics.py          09        hits in the top k / k
recall_at_k             _metrics.py          09        hits in the top k / relevant items
ndcg_at_k               _metrics.py          09        discounted hits / the ideal list's
map_at_k                _metrics.py          09        mean average precision at k
catalogue_coverage      _beyond.py           09        share of the catalogue recommended
novelty                 _beyond.py           09        −log2 popularity of recommended items
intra_list_diversity    _beyond.py           09        1 − mean similarity within a list
======================  ===================  ========  ====================================

``TwoTowerRecommender`` imports Keras (and TensorFlow) only when it is fitted, so importing
this topic stays fast.

**MovieLens-100k benchmark** (``python benchmarks/recommend.py``; the protocol of
microsoft/recommenders' algorithm comparison: ``stratified_split(ratio=0.75, seed=42)`` of
all 100,000 ratings, every test rating relevant, k = 10, seen items removed; 6 configurations
per model tuned on a validation split; mean ± sd over 3 splits; run 2026-12-01):

=======================  ==============  ==============
model                    nDCG@10         P@10
=======================  ==============  ==============
popularity               0.250 ± 0.002   0.225 ± 0.001
item-kNN                 0.397 ± 0.005   0.344 ± 0.006
ALS                      0.482 ± 0.003   0.420 ± 0.003
two-tower                0.474 ± 0.005   0.416 ± 0.006
BPR (published)          0.442           0.388
NCF (published)          0.396           0.347
SAR (published)          0.382           0.331
=======================  ==============  ==============

Recall, MAP, coverage, novelty, the tuning grids and the wall times are in
``docs/recommend-benchmark.md``.
"""

from retainkit.recommend._als import ALSRecommender
from retainkit.recommend._base import ItemKNNRecommender, PopularityRecommender, Recommender
from retainkit.recommend._beyond import catalogue_coverage, intra_list_diversity, novelty
from retainkit.recommend._data import (
    InteractionMatrix,
    interaction_matrix,
    leave_last_out,
    stratified_split,
    time_split,
)
from retainkit.recommend._metrics import map_at_k, ndcg_at_k, precision_at_k, recall_at_k
from retainkit.recommend._two_tower import TwoTowerRecommender

__all__ = [
    "interaction_matrix",
    "InteractionMatrix",
    "stratified_split",
    "time_split",
    "leave_last_out",
    "Recommender",
    "PopularityRecommender",
    "ItemKNNRecommender",
    "ALSRecommender",
    "TwoTowerRecommender",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "map_at_k",
    "catalogue_coverage",
    "novelty",
    "intra_list_diversity",
]
