"""utils.data: batching, collation of nested samples, shuffling determinism, splits — the
batch structure compared with torch's DataLoader (shuffled orders differ by design: dyngrad
does not reproduce torch's random stream, only its determinism)."""

from __future__ import annotations

import numpy as np
import pytest

import dyngrad
from dyngrad.utils.data import (
    ConcatDataset,
    DataLoader,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _structure(batch):  # type: ignore[no-untyped-def]
    """Nested types, shapes, dtypes and values, comparable across libraries."""
    if hasattr(batch, "shape") and hasattr(batch, "dtype"):
        return ("tensor", tuple(batch.shape), str(batch.dtype), batch.numpy().tolist())
    if isinstance(batch, dict):
        return {k: _structure(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_structure(b) for b in batch])
    return batch


def _dataset(m):  # type: ignore[no-untyped-def]
    class Nested(m.utils.data.Dataset):
        def __len__(self):  # type: ignore[no-untyped-def]
            return 7

        def __getitem__(self, i):  # type: ignore[no-untyped-def]
            return {
                "x": m.full((2,), float(i)),
                "pair": (i, i * 0.5),
                "name": f"s{i}",
                "flag": i % 2 == 0,
            }

    return Nested()


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")
@pytest.mark.parametrize(
    "batch_size,drop_last", [(1, False), (3, False), (3, True), (7, False), (10, True)]
)
def test_batches_and_collation_match_torch(batch_size: int, drop_last: bool) -> None:
    ours = [
        _structure(b)
        for b in DataLoader(_dataset(dyngrad), batch_size=batch_size, drop_last=drop_last)
    ]
    theirs = [_structure(b) for b in torch.utils.data.DataLoader(_dataset(torch), batch_size=batch_size,
                                                                 drop_last=drop_last)]  # fmt: skip
    assert ours == theirs
    assert len(DataLoader(_dataset(dyngrad), batch_size=batch_size, drop_last=drop_last)) == len(
        theirs
    )


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")
def test_tensor_dataset_batches_match_torch() -> None:
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ours = [
        _structure(b)
        for b in DataLoader(TensorDataset(dyngrad.tensor(x), dyngrad.tensor(y)), batch_size=4)
    ]
    ds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    theirs = [_structure(b) for b in torch.utils.data.DataLoader(ds, batch_size=4)]
    assert ours == theirs


def test_shuffle_is_a_permutation_and_repeats_with_a_seeded_generator() -> None:
    ds = TensorDataset(dyngrad.arange(50))

    def epoch(seed):  # type: ignore[no-untyped-def]
        g = dyngrad.Generator().manual_seed(seed)
        return [
            int(v) for (b,) in DataLoader(ds, batch_size=8, shuffle=True, generator=g) for v in b
        ]

    first = epoch(1)
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert epoch(1) == first and epoch(2) != first
    dyngrad.manual_seed(5)
    a = [int(v) for (b,) in DataLoader(ds, batch_size=8, shuffle=True) for v in b]
    dyngrad.manual_seed(5)
    b = [int(v) for (b_,) in DataLoader(ds, batch_size=8, shuffle=True) for v in b_]
    assert a == b


def test_random_split_subset_concat() -> None:
    ds = TensorDataset(dyngrad.arange(10))
    a, b = random_split(ds, [7, 3], generator=dyngrad.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(int(a[i][0]) for i in range(7)) + [] != []
    assert sorted([int(a[i][0]) for i in range(7)] + [int(b[i][0]) for i in range(3)]) == list(
        range(10)
    )
    frac = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(s) for s in frac] == [5, 3, 2]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [4, 4])
    sub = Subset(ds, [9, 0])
    assert [int(sub[i][0]) for i in range(2)] == [9, 0]
    cat = ConcatDataset([sub, ds])
    assert len(cat) == 12 and int(cat[2][0]) == 0 and int(cat[-1][0]) == 9


def test_iterable_dataset_and_errors() -> None:
    class Stream(IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(5))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        list(DataLoader(TensorDataset(dyngrad.arange(3)), batch_size=0))
