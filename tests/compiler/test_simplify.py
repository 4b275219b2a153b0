"""The backward-pass rewrite that decides `None` checks on gradients statically."""

import textwrap

import astunparse
import gast

from zygote_py.compiler import simplify


def simplified(text, known=()):
    body = gast.parse(textwrap.dedent(text)).body
    body = simplify.drop_known_none(body, set(known))
    module = gast.gast_to_ast(gast.Module(body=body, type_ignores=[]))
    return astunparse.unparse(module).strip()


def test_first_contribution_becomes_plain_assignment():
    text = simplified("""
        dx = None
        dx = (g if dx is None else acc(dx, g))
        dx = (h if dx is None else acc(dx, h))
    """)
    assert "dx = g" in text
    assert "dx = (h if (dx is None) else acc(dx, h))" in text


def test_check_on_known_none_is_dropped():
    text = simplified("""
        dy = None
        if dy is not None:
            dx = dy
        if (dy is not None) and (back is not None):
            dx = back(dy)
        work()
    """)
    assert text == "dy = None\nwork()"


def test_unknown_name_keeps_its_checks():
    text = simplified("""
        if dy is not None:
            dx = (dy if dx is None else acc(dx, dy))
    """)
    assert "if (dy is not None):" in text
    assert "acc(dx, dy)" in text


def test_branch_keeps_what_both_sides_agree_on():
    text = simplified("""
        dx = None
        dz = None
        if flag:
            dx = g
        else:
            pass
        dx = (h if dx is None else acc(dx, h))
        dz = (h if dz is None else acc(dz, h))
    """)
    assert "acc(dx, h)" in text
    assert "acc(dz, h)" not in text


def test_loop_keeps_names_reset_in_body():
    text = simplified("""
        dt = None
        dx = g
        for _ in range(n):
            if dx is not None:
                dt = (dx if dt is None else acc(dt, dx))
            dx = None
            if dt is not None:
                dx = (f(dt) if dx is None else acc(dx, f(dt)))
            dt = None
    """)
    assert "acc(dt, dx)" not in text
    assert "acc(dx, f(dt))" not in text


def test_loop_forgets_names_carried_between_iterations():
    text = simplified("""
        dx = None
        for _ in range(n):
            dx = (g if dx is None else acc(dx, g))
    """)
    assert "acc(dx, g)" in text


def test_loop_with_break_forgets_written_names():
    text = simplified("""
        dx = None
        while True:
            dx = (g if dx is None else acc(dx, g))
            dx = None
            if done:
                break
    """)
    assert "acc(dx, g)" in text


def test_nested_function_forgets_everything():
    text = simplified("""
        dx = None
        def inner():
            nonlocal dx
            dx = 1.0
        inner()
        dx = (g if dx is None else acc(dx, g))
    """)
    assert "acc(dx, g)" in text
