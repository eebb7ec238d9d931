import pytest

from tnrnn.errors import PartitionError, SpecError
from tnrnn.partition import Partition, explicit, odd_even, parse_partition, start_end


def test_named_partitions():
    assert start_end(4).A == (1, 2) and start_end(4).is_start_end
    assert odd_even(5).A == (1, 3, 5) and odd_even(5).B == (2, 4)
    assert parse_partition("A:4,1", 5).A == (1, 4)
    assert parse_partition(None, 4) == start_end(4)


@pytest.mark.parametrize("text,T,message", [
    ("start-end", 5, r"needs an even length T; got T=5"),
    ("A:1,9", 4, r"time steps must be integers in 1..4; got \[9\]"),
    ("A:1,1", 4, r"time steps of A must be distinct"),
    ("A:1,2,3,4", 4, r"both sides of a partition must be non-empty"),
    ("A:x", 4, r"steps must be integers, as in 'A:1,2,5'"),
    ("middle", 4, r"partition must be one of start-end, odd-even, A:<steps>; got 'middle'"),
])
def test_bad_partitions(text, T, message):
    with pytest.raises(PartitionError, match=message):
        parse_partition(text, T)


def test_partition_length_checked():
    with pytest.raises(PartitionError, match=r"covers 4 steps but the length is T=6"):
        parse_partition(start_end(4), 6)
    with pytest.raises(PartitionError, match=r"must cover the time steps 1..3 exactly"):
        Partition((1, 2), (5,))
    with pytest.raises(PartitionError, match=r"must be disjoint"):
        Partition((1, 2), (2,))
    with pytest.raises(SpecError, match=r"length must be an integer >= 2; got 1"):
        odd_even(1)
    with pytest.raises(PartitionError, match=r"time steps must be integers in 1..4"):
        explicit(["a"], 4)
