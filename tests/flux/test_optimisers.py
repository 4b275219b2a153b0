"""Optimisation rules: defaults, single steps by hand, and convergence to known optima.

Convergence runs use analytic gradients so that they test the rules alone. The implicit and
explicit update styles are tested separately, with zygote_py's gradients at the end.
"""

import math

import numpy as np
import pytest

import flux
from flux import optimise

# f(x) = 0.5 * sum(A * (x - C)^2) has its minimum at C.
A = np.array([1.0, 2.0, 0.5])
C = np.array([1.0, -2.0, 3.0])

RULES = {
    "Descent": (lambda: flux.Descent(0.1), 400),
    "Momentum": (lambda: flux.Momentum(0.01), 2000),
    "Nesterov": (lambda: flux.Nesterov(0.01), 2000),
    "RMSProp": (lambda: flux.RMSProp(0.01), 2000),
    "RMSPropCentred": (lambda: flux.RMSProp(0.01, centred=True), 2000),
    "Adam": (lambda: flux.Adam(0.05), 2000),
    "AdamW": (lambda: flux.AdamW(0.05), 2000),
    "RAdam": (lambda: flux.RAdam(0.05), 2000),
    "AdaMax": (lambda: flux.AdaMax(0.05), 2000),
    "NAdam": (lambda: flux.NAdam(0.05), 2000),
    "AMSGrad": (lambda: flux.AMSGrad(0.05), 2000),
    "OAdam": (lambda: flux.OAdam(0.05), 2000),
    "AdaGrad": (lambda: flux.AdaGrad(0.5), 2000),
    "AdaDelta": (lambda: flux.AdaDelta(0.9), 5000),
    "AdaBelief": (lambda: flux.AdaBelief(0.05), 2000),
    "ClipValue": (lambda: flux.OptimiserChain(flux.ClipValue(0.5), flux.Descent(0.1)), 600),
    "ClipNorm": (lambda: flux.OptimiserChain(flux.ClipNorm(1.0), flux.Descent(0.1)), 600),
    "ExpDecay": (lambda: flux.OptimiserChain(flux.Adam(1.0),
                                             flux.ExpDecay(0.05, 0.5, 500, 1e-4)), 3000),
    "InvDecay": (lambda: flux.OptimiserChain(flux.InvDecay(0.001), flux.Descent(0.1)), 800),
    "Chain": (lambda: flux.OptimiserChain(flux.ClipNorm(10.0), flux.Momentum(0.01)), 2000),
}


def run_rule(rule, x, gradient, steps):
    state = rule.init(x)
    for _ in range(steps):
        state, step = rule.apply(state, x, gradient(x))
        x = x - step
    return x


@pytest.mark.parametrize("name", list(RULES))
def test_rule_quadratic(name):
    make, steps = RULES[name]
    x = run_rule(make(), np.zeros(3), lambda x: A * (x - C), steps)
    np.testing.assert_allclose(x, C, atol=1e-3)


def test_weightdecay_quadratic():
    # With decay wd the minimum of f + wd/2 |x|^2 is A C / (A + wd).
    rule = flux.OptimiserChain(flux.WeightDecay(0.5), flux.Descent(0.1))
    x = run_rule(rule, np.zeros(3), lambda x: A * (x - C), 1000)
    np.testing.assert_allclose(x, A * C / (A + 0.5), atol=1e-6)


# Logistic regression with an L2 penalty on all weights (the first row of X is constant, so
# the bias is a weight): mean(logitbce(w @ X, y)) + LAMBDA / 2 * |w|^2.
LAMBDA = 0.05


def logistic_data():
    rng = np.random.default_rng(11)
    n = 200
    features = rng.normal(size=(2, n))
    scores = 1.5 * features[0] - 2.0 * features[1] + 0.5
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-scores))).astype(np.float64)
    x = np.vstack([np.ones(n), features])
    return x, y


def logistic_gradient(x, y, penalty):
    def gradient(w):
        p = 1 / (1 + np.exp(-(w @ x)))
        return x @ (p - y) / y.size + penalty * w

    return gradient


@pytest.fixture(scope="module")
def logistic_optimum():
    from sklearn.linear_model import LogisticRegression

    x, y = logistic_data()
    model = LogisticRegression(C=1 / (LAMBDA * y.size), fit_intercept=False, tol=1e-12,
                               max_iter=10_000)
    model.fit(x.T, y)
    return model.coef_[0]


# Rules whose step keeps a size near eta while the gradient shrinks (RMSProp, OAdam, Adam at
# a large eta) circle the optimum at a distance of about eta/2, so they get a smaller eta.
LOGISTIC_RULES = dict(RULES, **{
    "RMSProp": (lambda: flux.RMSProp(0.0005), 4000),
    "RMSPropCentred": (lambda: flux.RMSProp(0.0005, centred=True), 4000),
    "Adam": (lambda: flux.Adam(0.01), 2000),
    "AdamW": (lambda: flux.AdamW(0.01), 2000),
    "OAdam": (lambda: flux.OAdam(0.001), 4000),
})


@pytest.mark.parametrize("name", list(LOGISTIC_RULES))
def test_rule_logistic(name, logistic_optimum):
    make, steps = LOGISTIC_RULES[name]
    x, y = logistic_data()
    w = run_rule(make(), np.zeros(3), logistic_gradient(x, y, LAMBDA), 2 * steps)
    np.testing.assert_allclose(w, logistic_optimum, atol=2e-3)


def test_weightdecay_logistic(logistic_optimum):
    x, y = logistic_data()
    rule = flux.OptimiserChain(flux.WeightDecay(LAMBDA), flux.Descent(0.5))
    w = run_rule(rule, np.zeros(3), logistic_gradient(x, y, 0.0), 4000)
    np.testing.assert_allclose(w, logistic_optimum, atol=2e-3)


def test_logistic_loss_matches_gradient():
    # The analytic gradient above is the gradient of flux's logitbinarycrossentropy.
    x, y = logistic_data()
    w = np.array([0.3, -0.2, 0.1])
    h = 1e-6
    numeric = [(flux.logitbinarycrossentropy((w + h * e) @ x, y)
                - flux.logitbinarycrossentropy((w - h * e) @ x, y)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(logistic_gradient(x, y, 0.0)(w), numeric, atol=1e-8)


# ---------------------------------------------------------------------------------------
# Defaults and single steps.

DEFAULTS = [
    (flux.Descent(), {"eta": 0.1}),
    (flux.Momentum(), {"eta": 0.01, "rho": 0.9}),
    (flux.Nesterov(), {"eta": 0.001, "rho": 0.9}),
    (flux.RMSProp(), {"eta": 0.001, "rho": 0.9, "eps": 1e-8}),
    (flux.Adam(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-8}),
    (flux.RAdam(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-8}),
    (flux.AdaMax(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-8}),
    (flux.NAdam(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-8}),
    (flux.AMSGrad(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-8}),
    (flux.OAdam(), {"eta": 0.001, "beta": (0.5, 0.9), "eps": 1e-8}),
    (flux.AdaGrad(), {"eta": 0.1, "eps": 1e-8}),
    (flux.AdaDelta(), {"rho": 0.9, "eps": 1e-8}),
    (flux.AdaBelief(), {"eta": 0.001, "beta": (0.9, 0.999), "eps": 1e-16}),
    (flux.WeightDecay(), {"wd": 0.0}),
    (flux.ExpDecay(), {"eta": 0.001, "decay": 0.1, "decay_step": 1000, "clip": 1e-4,
                       "start": 1}),
    (flux.InvDecay(), {"gamma": 0.001}),
    (flux.ClipNorm(), {"thresh": 10.0, "p": 2}),
    (flux.ClipValue(), {"thresh": 10.0}),
]


@pytest.mark.parametrize("rule,expected", DEFAULTS, ids=[type(r).__name__ for r, _ in DEFAULTS])
def test_rule_defaults(rule, expected):
    for name, value in expected.items():
        assert getattr(rule, name) == value, name


def test_adamw_defaults():
    rule = flux.AdamW()
    assert [type(r).__name__ for r in rule.rules] == ["Adam", "WeightDecay", "Descent"]
    assert rule.rules[2].eta == 0.001
    assert rule.rules[1].wd == 0.0


def test_adam_first_step():
    # After one step the bias-corrected moments are g and g^2, so the step is eta * sign(g).
    state, step = flux.Adam(0.1).apply(flux.Adam(0.1).init(np.zeros(2)), np.zeros(2),
                                       np.array([3.0, -0.5]))
    np.testing.assert_allclose(step, [0.1, -0.1], rtol=1e-6)


def test_momentum_two_steps():
    rule = flux.Momentum(0.1, 0.5)
    state = rule.init(np.zeros(1))
    state, step1 = rule.apply(state, np.zeros(1), np.array([1.0]))
    state, step2 = rule.apply(state, np.zeros(1), np.array([1.0]))
    assert step1[0] == pytest.approx(0.1)
    assert step2[0] == pytest.approx(0.5 * 0.1 + 0.1)


def test_nesterov_first_step():
    state, step = flux.Nesterov(0.1, 0.9).apply(np.zeros(1), np.zeros(1), np.array([1.0]))
    assert step[0] == pytest.approx((1 + 0.9) * 0.1)
    assert state[0] == pytest.approx(-0.1)


def test_clipvalue_step():
    _, step = flux.ClipValue(0.5).apply(None, np.zeros(3), np.array([-2.0, 0.1, 3.0]))
    np.testing.assert_allclose(step, [-0.5, 0.1, 0.5])


def test_clipnorm_step():
    _, step = flux.ClipNorm(1.0).apply(None, np.zeros(2), np.array([3.0, 4.0]))
    np.testing.assert_allclose(step, [0.6, 0.8])
    _, small = flux.ClipNorm(10.0).apply(None, np.zeros(2), np.array([3.0, 4.0]))
    np.testing.assert_allclose(small, [3.0, 4.0])


def test_expdecay_schedule():
    rule = flux.ExpDecay(1.0, 0.5, decay_step=2, clip=0.2, start=0)
    state = rule.init(np.zeros(1))
    steps = []
    for _ in range(8):
        state, step = rule.apply(state, np.zeros(1), np.ones(1))
        steps.append(step[0])
    assert steps == [1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]


def test_invdecay_schedule():
    rule = flux.InvDecay(0.5)
    state = rule.init(np.zeros(1))
    steps = []
    for _ in range(3):
        state, step = rule.apply(state, np.zeros(1), np.ones(1))
        steps.append(step[0])
    np.testing.assert_allclose(steps, [1.0, 1 / 1.5, 1 / 2.0])


def test_rule_apply_is_pure():
    rule = flux.Adam()
    x, g = np.ones(3), np.full(3, 0.5)
    state = rule.init(x)
    before = [np.copy(s) for s in state]
    rule.apply(state, x, g)
    for old, new in zip(before, state):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(x, np.ones(3))


def test_rule_keeps_float32():
    rule = flux.Adam()
    x = np.ones(3, np.float32)
    _, step = rule.apply(rule.init(x), x, np.ones(3, np.float32))
    assert step.dtype == np.float32


def test_rule_repr():
    assert repr(flux.Adam()) == "Adam(eta=0.001, beta=(0.9, 0.999), eps=1e-08)"
    assert repr(flux.OptimiserChain(flux.ClipValue(1.0), flux.Descent())) == \
        "OptimiserChain(ClipValue(thresh=1.0), Descent(eta=0.1))"


# ---------------------------------------------------------------------------------------
# The implicit and explicit styles, with hand-made gradients.


class IdentityGrads:
    """A mapping from arrays to gradients by identity, like zygote_py.Grads."""

    def __init__(self, pairs):
        self.pairs = {id(p): g for p, g in pairs}

    def __getitem__(self, p):
        return self.pairs.get(id(p))


def test_update_implicit_in_place():
    w, b = np.ones(2), np.zeros(1)
    rule = flux.Descent(0.5)
    flux.update(rule, [w, b], IdentityGrads([(w, np.array([1.0, 2.0])), (b, None)]))
    np.testing.assert_allclose(w, [0.5, 0.0])
    np.testing.assert_allclose(b, [0.0])


def test_update_implicit_state_per_array():
    w1, w2 = np.zeros(1), np.zeros(1)
    rule = flux.Momentum(1.0, 0.5)
    for _ in range(2):
        flux.update(rule, [w1], IdentityGrads([(w1, np.ones(1))]))
    flux.update(rule, [w2], IdentityGrads([(w2, np.ones(1))]))
    assert w1[0] == pytest.approx(-(1.0 + 1.5))
    assert w2[0] == pytest.approx(-1.0)


def test_update_float32_param_float64_grad():
    w = np.ones(2, np.float32)
    flux.update(flux.Descent(0.5), [w], IdentityGrads([(w, np.ones(2))]))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, [0.5, 0.5])


def test_update_shape_mismatch_raises():
    w = np.ones(2)
    with pytest.raises(ValueError, match="does not match"):
        flux.update(flux.Descent(), [w], IdentityGrads([(w, np.ones(3))]))


def test_setup_tree_shape():
    model = flux.Chain(flux.Dense(2, 3), flux.Dense(3, 1, bias=False))
    state = flux.setup(flux.Adam(), model)
    assert isinstance(state["layers"][0]["weight"], optimise.Leaf)
    assert state["layers"][1]["bias"] is None
    assert state["layers"][0]["sigma"] is None


def test_update_explicit_with_dict_grads():
    model = flux.Chain(flux.Dense(np.ones((1, 2)), np.zeros(1)))
    state = flux.setup(flux.Descent(0.5), model)
    grads = {"layers": ({"weight": np.array([[1.0, 2.0]]), "bias": None, "sigma": None},)}
    new_state, new_model = flux.update(state, model, grads)
    assert new_model is model
    np.testing.assert_allclose(model[0].weight, [[0.5, 0.0]])
    np.testing.assert_allclose(model[0].bias, [0.0])


def test_update_explicit_tied_weights_sum():
    shared = flux.Dense(np.ones((1, 1)), False)
    model = flux.Chain(shared, shared)
    state = flux.setup(flux.Descent(1.0), model)
    grads = {"layers": ({"weight": np.array([[1.0]])}, {"weight": np.array([[2.0]])})}
    flux.update(state, model, grads)
    assert shared.weight[0, 0] == pytest.approx(1.0 - 3.0)


def test_adjust_changes_eta():
    model = flux.Dense(np.ones((1, 1)), False)
    state = flux.adjust(flux.setup(flux.Descent(1.0), model), 0.25)
    flux.update(state, model, {"weight": np.array([[1.0]])})
    assert model.weight[0, 0] == pytest.approx(0.75)


def test_adjust_chain_rule():
    state = flux.adjust(flux.setup(flux.AdamW(0.1), flux.Dense(2, 2)), 0.01)
    leaf = state["weight"]
    assert leaf.rule.rules[2].eta == 0.01
    assert leaf.rule.rules[0].eta == 0.01


def test_freeze_skips_update():
    model = flux.Chain(flux.Dense(np.ones((1, 1)), False), flux.Dense(np.ones((1, 1)), False))
    state = flux.setup(flux.Descent(1.0), model)
    flux.freeze(state["layers"][0])
    grads = {"layers": ({"weight": np.ones((1, 1))}, {"weight": np.ones((1, 1))})}
    flux.update(state, model, grads)
    assert model[0].weight[0, 0] == 1.0
    assert model[1].weight[0, 0] == 0.0


# ---------------------------------------------------------------------------------------
# Both styles with gradients from zygote_py.

zygote_py = pytest.importorskip("zygote_py")
pytest.importorskip("zygote_py.testing")


def test_implicit_style_with_zygote():
    x, y = logistic_data()
    w = np.zeros((1, 3))
    ps = zygote_py.Params([w])
    rule = flux.Adam(0.05)

    def loss():
        return flux.logitbinarycrossentropy((w @ x)[0], y) + LAMBDA / 2 * np.sum(w * w)

    for _ in range(2000):
        gs = zygote_py.gradient(loss, ps)
        flux.update(rule, ps, gs)
    np.testing.assert_allclose(w[0], run_rule(flux.Adam(0.05), np.zeros(3),
                                              logistic_gradient(x, y, LAMBDA), 2000), atol=1e-6)


def test_explicit_style_with_zygote():
    x, y = logistic_data()
    model = flux.Dense(np.zeros((1, 3)), False)
    state = flux.setup(flux.Descent(0.5), model)

    def loss(m):
        return flux.logitbinarycrossentropy(m(x)[0], y) + LAMBDA / 2 * np.sum(m.weight ** 2)

    for _ in range(300):
        (g,) = zygote_py.gradient(loss, model)
        flux.update(state, model, g)
    expected = run_rule(flux.Descent(0.5), np.zeros(3), logistic_gradient(x, y, LAMBDA), 300)
    np.testing.assert_allclose(model.weight[0], expected, atol=1e-8)
