"""Check every registered rule against central finite differences, and in float32."""

import numpy as np
import pytest

from .conftest import Loss, check_rule, float32_cotangents, float_leaves, get_path
from .rule_table import TABLE, registered_keys, table_calls


def test_table_covers_registry():
    missing = sorted(registered_keys() - {entry.key for entry in TABLE})
    assert not missing, f"registered rules without a table entry: {missing}"


def test_table_names_registered():
    unknown = sorted({entry.key for entry in TABLE} - registered_keys())
    assert not unknown, f"table entries for unregistered rules: {unknown}"


def test_registry_size():
    assert len(registered_keys()) >= 200


@pytest.mark.parametrize("entry, case", table_calls(),
                         ids=[f"{e.key}-{i}" for e in TABLE for i in range(len(e.calls))])
def test_rule_matches_finite_differences(entry, case):
    assert entry.rule is not None, f"no rule is registered for {entry.key}"
    if entry.identity:
        check_identity(entry, case)
        return
    check_rule(entry.rule, entry.primal, case.args, case.kwargs, loss=entry.loss,
               symmetric=entry.symmetric)


def check_identity(entry, case):
    """Check a conversion: the cotangent is the seed, in the type of the argument."""
    (x,) = case.args
    y, back = entry.rule(*case.args, **case.kwargs)
    assert y == entry.primal(*case.args, **case.kwargs)
    dy = y.dtype.type(1.5 - 0.5j) if np.iscomplexobj(y) else Loss(y).cotangent(y)
    (g,) = back(dy)
    assert type(g) is type(x)
    assert np.asarray(g).dtype == np.asarray(x).dtype
    np.testing.assert_allclose(g, np.real(dy), rtol=1e-6)


def float32_entries():
    """Return `(entry, call)` for the first call of each entry that has a float array."""
    selected = []
    for entry in TABLE:
        for case in entry.calls:
            has_array = any(isinstance(leaf, np.ndarray) for _, leaf in float_leaves(case.args))
            if has_array and entry.float32:
                selected.append((entry, case))
                break
    return selected


@pytest.mark.parametrize("entry, case", float32_entries(),
                         ids=[e.key for e, _ in float32_entries()])
def test_rule_keeps_float32(entry, case):
    args, cotangents = float32_cotangents(entry.rule, case.args, case.kwargs, entry.loss)
    checked = 0
    for path, leaf in float_leaves(args):
        g = get_path(cotangents, path)
        if not isinstance(leaf, np.ndarray):
            continue
        assert g is not None, f"no cotangent for the float32 argument {path}"
        assert np.asarray(g).dtype == leaf.dtype, f"cotangent dtype at {path}"
        assert np.all(np.isfinite(g) | np.isnan(leaf)), f"non-finite cotangent at {path}"
        checked += 1
    assert checked > 0
