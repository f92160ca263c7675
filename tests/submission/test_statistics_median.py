"""The median of a histogram (value -> how many), as the statistics compute it."""

import random
import statistics
from collections import Counter

import pytest
from submission.statistics import median


@pytest.mark.parametrize("values", [[5], [1, 2], [3, 1, 2], [0, 0, 0, 7], [10, 1, 1, 4, 9, 9]])
def test_median_of_a_histogram_is_the_median_of_its_values(values):
    assert median(Counter(values)) == statistics.median(values)


def test_random_histograms():
    rng = random.Random(1)
    for _ in range(200):
        values = [rng.randrange(50) for _ in range(rng.randrange(1, 40))]
        assert median(Counter(values)) == statistics.median(values)
    assert median(Counter()) is None
